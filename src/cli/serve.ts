/** `udp-chat serve`: run a room. */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, LOOPBACK_LIMITS } from '../core/limits.js';
import { demoRunner } from '../demos/runner.js';
import { DEFAULT_ROOM, startChatServer, type ServerTransport } from '../servers/chat-server.js';
import { serverName } from '../core/bus.js';
import { isLoopback } from '../transports/address.js';
import type { FramingName } from '../transports/framing.js';
import { DEFAULT_TICKET_ROOM } from '../servers/tickets.js';
import { addressOptions, count, groupFrom, groupOptions, notEmpty, numeric, duration, host, port, positive, secretFrom, transport } from './options.js';
import { clusterBanner, formatCounters, formatServerEvent, jsonEvent, multicastBanner, paint, serveBanner, teacherBanner, webBanner, wrapForTerminal } from './output.js';
import { selfCommand } from './invocation.js';
import { untilSignal } from './signals.js';

export const command = 'serve';
export const describe = 'run a chat room (peers join with nc -u, udp-chat chat or udp-chat send)';

const L = DEFAULT_LIMITS;

export function builder(y: Argv) {
  const built = addressOptions(y, 'address to listen on (0.0.0.0 or :: opens the room to the network)', ['udp', 'tcp', 'both'])
    .option('peer-timeout', { type: 'string', requiresArg: true, default: `${DEFAULT_PEER_TIMEOUT_MS / 1000}s`, describe: 'drop a peer silent this long (500ms, 10s, 5m)' })
    .option('echo-self', { type: 'boolean', default: false, describe: "send a sender's chat lines back to it too" })
    .option('password', { type: 'string', describe: 'peers must send /join PASSWORD before they hear or are heard' })
    .option('ticket-secret', { type: 'string', describe: 'take /join TICKET (udp-chat ticket NAME, same secret): it signs the peer in under NAME, which nobody else can take' })
    .option('ticket-secret-file', { type: 'string', describe: 'the ticket secret, read from this file (not seen in ps)' })
    .option('ticket-room', { type: 'string', describe: `take only tickets made with this --room (default: serve's --room, else ${DEFAULT_TICKET_ROOM})` })
    .option('tickets-required', { type: 'boolean', default: false, describe: 'turn away everyone without a ticket (needs --ticket-secret)' })
    .option('allow', { type: 'string', array: true, default: [], describe: 'only these addresses may join (CIDR, repeatable)' })
    .option('deny', { type: 'string', array: true, default: [], describe: 'these addresses may not join (CIDR, repeatable; wins over --allow)' })
    .option('open', { type: 'boolean', describe: 'UDP: first datagram joins, no join token (default: on loopback only)' })
    .option('max-message', { type: 'string', default: String(L.maxMessageBytes), describe: 'largest message in bytes' })
    .option('max-peers', { type: 'string', default: String(L.maxPeers), describe: 'most peers in the room (0: no limit)' })
    .option('max-per-ip', { type: 'string', default: String(L.maxPeersPerIp), describe: 'most peers and connections from one address (0: no limit)' })
    .option('max-joins', { type: 'string', default: String(L.joinsPerIpPerMinute), describe: 'most joins from one address a minute (0: no limit)' })
    .option('rate', { type: 'string', describe: `messages a second per peer after a burst; a TCP or web peer is read no faster (0: no limit; default ${L.messageRate}, ${LOOPBACK_LIMITS.messageRate} on loopback)` })
    .option('burst', { type: 'string', describe: `messages a peer may send at once (0: no rate limit; default ${L.messageBurst}, ${LOOPBACK_LIMITS.messageBurst} on loopback)` })
    .option('max-queue', { type: 'string', default: String(L.maxQueueBytes), describe: 'bytes queued for a stream peer before it is dropped as not reading (0: no limit)' })
    .option('send-cap', { type: 'string', default: String(L.maxSendDatagramsPerSecond), describe: 'datagrams a second the server sends at most (0: no limit)' })
    .option('send-bytes-cap', { type: 'string', default: String(L.maxSendBytesPerSecond), describe: 'bytes a second the server sends over UDP at most (0: no limit)' })
    .option('challenge-rate', { type: 'string', default: String(L.unvalidatedRepliesPerSecond), describe: 'answers a second to each unvalidated address (0: no limit)' })
    .option('challenge-prefix-rate', { type: 'string', default: String(L.unvalidatedRepliesPerPrefix), describe: 'answers a second to all unvalidated addresses of one /24 or /56 together (0: no limit)' })
    .option('rename-burst', { type: 'string', default: String(L.renameBurst), describe: 'renames a peer may make at once (0: no limit)' })
    .option('rename-interval', { type: 'string', requiresArg: true, default: `${L.renameIntervalMs / 1000}s`, describe: 'then one rename every DUR' })
    .option('max-name', { type: 'string', default: String(L.maxNameLength), describe: 'longest name, in characters' })
    .option('max-blank-run', { type: 'string', default: String(L.maxBlankRun), describe: 'widest run of spaces a relayed message keeps, in columns (TAB 8); wider runs are shortened (0: no limit)' })
    .option('max-who', { type: 'string', default: String(L.maxWhoLines), describe: 'most peers one /who lists (0: all)' })
    .option('who-interval', { type: 'string', requiresArg: true, default: `${L.whoIntervalMs / 1000}s`, describe: 'answer a peer\'s /who and /help in full once every DUR (0: always)' })
    .option('output-budget', { type: 'string', default: String(L.outputBytesPerPeer), describe: 'bytes a second the room answers one peer with, in 8-second bursts (0: no limit)' })
    .option('output-budget-ip', { type: 'string', describe: `the same for all the UDP peers of one address together in an open room (peers that proved their address have their own) (0: no limit; default ${L.outputBytesPerIp}, none on loopback)` })
    .option('max-echoes', { type: 'string', default: String(L.maxEchoes), describe: 'messages in a row sending back what the room sent, then the peer is dropped as an echo loop (0: never)' })
    .option('password-tries', { type: 'string', default: String(L.maxPasswordTries), describe: 'wrong passwords before a peer is dropped (0: no limit)' })
    .option('password-timeout', { type: 'string', requiresArg: true, default: `${L.waitingTimeoutMs / 1000}s`, describe: 'drop a peer that has not tried /join PASSWORD for DUR; nothing else keeps it (0: the peer timeout)' })
    .option('max-waiting', { type: 'string', default: String(L.maxWaiting), describe: 'most peers waiting to give the password; past it the oldest goes (0: no limit)' })
    .option('max-waiting-per-ip', { type: 'string', describe: `most of them from one address (0: no limit; default ${L.maxWaitingPerIp}, none on loopback)` })
    .option('stats', { type: 'string', requiresArg: true, describe: 'print the counters every DUR, e.g. 10s (default: only at exit)' })
    .option('web', { type: 'string', describe: 'also serve the web page and its WebSocket on this HTTP port (0 picks one)' })
    .option('origin', { type: 'string', array: true, default: [], describe: 'with --web: let pages from this origin join too, and answer for its host name (http://HOST:PORT, repeatable; * for any origin)' })
    .option('teacher-key', { type: 'string', describe: 'with --web: the teacher key (8 to 128 of A-Z a-z 0-9 _ -) instead of a random one; it reads the timeline of a room with a password and runs demos from the page' })
    .option('json', { type: 'boolean', default: false, describe: 'one NDJSON object per event on stdout' })
    .option('multicast', { type: 'string', requiresArg: true, describe: "also send every line of the room once to this multicast group (239.1.2.3, ff15::1): any number of listeners follow it (not with --password or tickets: anyone on the LAN can join a group)" })
    .option('multicast-port', { type: 'string', requiresArg: true, describe: "the group's port (default: the room's)" })
    .option('cluster', { type: 'string', requiresArg: true, describe: 'one room over several servers: the Redis they share (redis://HOST:PORT, redis://:PASSWORD@HOST:PORT or redis://USER:PASSWORD@HOST:PORT, rediss:// for TLS); docs/CLUSTER.md' })
    .option('room', { type: 'string', requiresArg: true, describe: `the room's name (A-Z a-z 0-9 _ . -): the page shows it; with --cluster, servers with the same --room are one room (default ${DEFAULT_ROOM})` })
    .option('node', { type: 'string', requiresArg: true, describe: "with --cluster: this server's name in it, at the end of its peers' first names (default: this machine's name and the port)" })
    .option('reuse-port', { type: 'boolean', default: false, describe: 'share the port with other servers on this machine (SO_REUSEPORT: Linux, Node 22.12+); else give each its own --port' });
  return numeric(notEmpty(groupOptions(built, 'send the group on', "127.0.0.1 (lo for an IPv6 group) for a room on loopback, else the system's choice"), 'password', 'ticket-secret-file', 'ticket-room', 'teacher-key', 'cluster', 'room', 'node'), 'rate', 'burst', 'output-budget-ip', 'max-waiting-per-ip', 'web', 'multicast-port')
    // 45 flags: the few a first run needs first, then one group per concern.
    .group(['host', 'port', 'transport', 'tcp', 'framing', 'peer-timeout', 'echo-self'], 'Basics:')
    .group(['password', 'ticket-secret', 'ticket-secret-file', 'ticket-room', 'tickets-required', 'allow', 'deny', 'open'], 'Who may join:')
    .group(['web', 'origin', 'teacher-key'], 'Web page:')
    .group(['multicast', 'multicast-port', 'interface', 'ttl'], 'Multicast:')
    .group(['cluster', 'room', 'node', 'reuse-port'], 'Cluster (one room over several servers):')
    .group(['json', 'stats'], 'Output:')
    .group(
      ['max-message', 'max-peers', 'max-per-ip', 'max-joins', 'rate', 'burst', 'max-queue', 'send-cap', 'send-bytes-cap', 'challenge-rate', 'challenge-prefix-rate', 'rename-burst', 'rename-interval', 'max-name', 'max-blank-run', 'max-who', 'who-interval', 'output-budget', 'output-budget-ip', 'max-echoes', 'password-tries', 'password-timeout', 'max-waiting', 'max-waiting-per-ip'],
      'Limits (the defaults suit a class):',
    )
    .example('$0 serve', 'a room on 127.0.0.1:9000 over UDP, for this machine')
    .example('$0 serve --host 0.0.0.0 --transport both --web 8080', 'the class: UDP and TCP on 9000, the page on 8080, open to the LAN')
    .example('$0 serve --password s3cret --port 0', 'a room with a password, on a free port (the banner says which)')
    .example('$0 serve --json > room.ndjson', 'the log as one JSON object a line (docs/json.md)')
    .example('$0 serve --cluster redis://127.0.0.1:6379 --room lab -p 9001', 'one server of a room shared over Redis; start another with -p 9002 (docs/CLUSTER.md)');
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  // Unset, they follow the host (startChatServer's defaultLimits): the room on loopback is faster.
  const burst = argv['burst'] === undefined ? undefined : count(argv['burst'], 'burst', 0);
  const rate = argv['rate'] === undefined ? undefined : count(argv['rate'], 'rate', 0);
  const options = {
    transport: transport(argv) as ServerTransport,
    framing: argv['framing'] as FramingName,
    host: host(argv['host']),
    port: port(argv['port']),
    peerTimeoutMs: positive(duration(argv['peer-timeout'], 'peer-timeout'), 'peer-timeout'),
    echoSelf: Boolean(argv['echo-self']),
    allow: (argv['allow'] as unknown[]).map(String),
    deny: (argv['deny'] as unknown[]).map(String),
    limits: {
      maxMessageBytes: count(argv['max-message'], 'max-message'),
      maxPeers: count(argv['max-peers'], 'max-peers', 0),
      maxPeersPerIp: count(argv['max-per-ip'], 'max-per-ip', 0),
      joinsPerIpPerMinute: count(argv['max-joins'], 'max-joins', 0),
      // --rate 0 turns the message limit off, as --burst 0 does.
      ...(rate === 0 ? { messageBurst: 0 } : burst === undefined ? {} : { messageBurst: burst }),
      ...(rate === undefined ? {} : { messageRate: rate }),
      maxQueueBytes: count(argv['max-queue'], 'max-queue', 0),
      maxSendDatagramsPerSecond: count(argv['send-cap'], 'send-cap', 0),
      maxSendBytesPerSecond: count(argv['send-bytes-cap'], 'send-bytes-cap', 0),
      unvalidatedRepliesPerSecond: count(argv['challenge-rate'], 'challenge-rate', 0),
      unvalidatedRepliesPerPrefix: count(argv['challenge-prefix-rate'], 'challenge-prefix-rate', 0),
      renameBurst: count(argv['rename-burst'], 'rename-burst', 0),
      renameIntervalMs: Math.max(1, duration(argv['rename-interval'], 'rename-interval')),
      maxNameLength: count(argv['max-name'], 'max-name'),
      maxWhoLines: count(argv['max-who'], 'max-who', 0),
      maxBlankRun: count(argv['max-blank-run'], 'max-blank-run', 0),
      maxPasswordTries: count(argv['password-tries'], 'password-tries', 0),
      waitingTimeoutMs: duration(argv['password-timeout'], 'password-timeout'),
      maxWaiting: count(argv['max-waiting'], 'max-waiting', 0),
      ...(argv['max-waiting-per-ip'] === undefined ? {} : { maxWaitingPerIp: count(argv['max-waiting-per-ip'], 'max-waiting-per-ip', 0) }),
      whoIntervalMs: duration(argv['who-interval'], 'who-interval'),
      outputBytesPerPeer: count(argv['output-budget'], 'output-budget', 0),
      ...(argv['output-budget-ip'] === undefined ? {} : { outputBytesPerIp: count(argv['output-budget-ip'], 'output-budget-ip', 0) }),
      maxEchoes: count(argv['max-echoes'], 'max-echoes', 0),
    },
  };
  const open = argv['open'] === undefined ? isLoopback(options.host) : Boolean(argv['open']);
  const origins = ((argv['origin'] as unknown[] | undefined) ?? []).map(String);
  if (argv['web'] === undefined && origins.length > 0) throw new ChatError('ERR_BAD_ARGUMENT', '--origin is for the web page: add --web PORT');
  const teacherKey = argv['teacher-key'] === undefined ? undefined : String(argv['teacher-key']);
  if (teacherKey !== undefined && argv['web'] === undefined) throw new ChatError('ERR_BAD_ARGUMENT', '--teacher-key is for the web page: add --web PORT');
  // It goes in the banner's link as it is: characters a URL keeps as they are, and long enough not to guess.
  if (teacherKey !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(teacherKey)) throw new ChatError('ERR_BAD_ARGUMENT', '--teacher-key takes 8 to 128 of A-Z a-z 0-9 _ -');
  // The page's Demos view runs the classroom demos on this machine, for the teacher only (see demos-endpoint.ts).
  const web = argv['web'] === undefined ? undefined : { port: port(argv['web']), origins, demos: demoRunner, ...(teacherKey ? { teacherKey } : {}) };
  const statsEvery = argv['stats'] === undefined ? 0 : duration(argv['stats'], 'stats');
  const ticketSecret = secretFrom(argv, 'ticket-secret');
  if (ticketSecret === undefined && argv['tickets-required']) throw new ChatError('ERR_BAD_ARGUMENT', '--tickets-required needs --ticket-secret or --ticket-secret-file');
  const roomName = argv['room'] === undefined ? undefined : String(argv['room']);
  if (roomName !== undefined) serverName('--room', roomName);
  const tickets =
    ticketSecret === undefined ? undefined : { secret: ticketSecret, room: String(argv['ticket-room'] ?? roomName ?? DEFAULT_TICKET_ROOM), required: Boolean(argv['tickets-required']) };
  const cluster = clusterFrom(argv);
  const multicast = multicastFrom(argv);
  const c = paint(process.stdout);
  const json = Boolean(argv['json']);
  // On a terminal the log wraps with an indent too, so a peer's long message cannot fake a log
  // line; NDJSON is never wrapped.
  const wrap = !json && Boolean(process.stdout.isTTY);
  const print = (line: string) => process.stdout.write((wrap ? wrapForTerminal(line, process.stdout.columns) : line) + '\n');
  const server = await startChatServer({
    ...options,
    open,
    ...(web ? { web } : {}),
    ...(tickets ? { tickets } : {}),
    ...(multicast ? { multicast } : {}),
    ...(cluster ? { cluster } : {}),
    ...(roomName ? { room: roomName } : {}),
    reusePort: Boolean(argv['reuse-port']),
    ...(typeof argv['password'] === 'string' ? { password: argv['password'] } : {}),
    onEvent: json
      ? (event) => print(jsonEvent(event))
      : (event) => {
          if (event.type === 'start') return;
          const line = formatServerEvent(event, c);
          if (line) print(line);
        },
  });
  if (!json) {
    const l = server.room.limits;
    const rateLimit = { perSecond: l.messageBurst > 0 ? l.messageRate : 0, burst: l.messageBurst };
    const self = selfCommand();
    const { allow, deny, framing } = options;
    const banner = { transport: options.transport, host: options.host, port: server.port, peerTimeoutMs: options.peerTimeoutMs, open, password: typeof argv['password'] === 'string', tickets, rateLimit, framing, allow, deny, self };
    for (const line of serveBanner(banner, c)) print(line);
    // What the server chose (the interface defaults to loopback for a room on loopback), not what was asked.
    if (server.mirror) print(multicastBanner(server.mirror, self));
    if (server.cluster) for (const line of clusterBanner({ url: cluster!.url, room: server.cluster.room, node: server.cluster.node, port: server.port, askedPort: options.port, reusePort: Boolean(argv['reuse-port']) })) print(line);
    if (server.transports.ws) {
      print(webBanner(options.host, server.transports.ws.port, self));
      if (server.teacherKey) print(teacherBanner(options.host, server.transports.ws.port, server.teacherKey));
    }
  } else if (server.transports.ws && server.teacherKey) {
    // stdout is NDJSON for a program; the teacher's link goes to stderr, the terminal's, so a
    // random key is still shown to whoever started the server and stays out of the event log.
    process.stderr.write(teacherBanner(options.host, server.transports.ws.port, server.teacherKey) + '\n');
  }
  const ticker =
    statsEvery > 0
      ? setInterval(() => print(json ? jsonEvent({ type: 'stats', counters: server.counters() }) : `${c.dim(new Date().toTimeString().slice(0, 8))} ${formatCounters(server.counters())}`), statsEvery)
      : undefined;
  await untilSignal();
  clearInterval(ticker);
  await server.close();
}

/** What --cluster and --node ask of the room, checked; undefined without --cluster. */
function clusterFrom(argv: Record<string, unknown>) {
  if (argv['cluster'] === undefined) {
    if (argv['node'] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', '--node is for --cluster redis://HOST:PORT');
    return undefined;
  }
  const url = String(argv['cluster']);
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new ChatError('ERR_BAD_ARGUMENT', `--cluster takes redis://HOST:PORT (or rediss:// for TLS), not ${JSON.stringify(url)}`);
  const node = argv['node'] === undefined ? undefined : String(argv['node']);
  if (node !== undefined) serverName('--node', node);
  return { url, ...(node ? { node } : {}) };
}

/** What --multicast, --multicast-port, --interface and --ttl ask of the room, checked; undefined without --multicast. */
function multicastFrom(argv: Record<string, unknown>) {
  if (argv['multicast'] === undefined) {
    const stray = ['multicast-port', 'interface'].find((flag) => argv[flag] !== undefined);
    if (stray) throw new ChatError('ERR_BAD_ARGUMENT', `--${stray} is for --multicast GROUP`);
    return undefined;
  }
  const { group, interface: iface, ttl } = groupFrom(argv);
  const at = argv['multicast-port'] === undefined ? undefined : port(argv['multicast-port'], false);
  return { group, ttl, ...(iface !== undefined ? { interface: iface } : {}), ...(at !== undefined ? { port: at } : {}) };
}
