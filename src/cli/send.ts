/**
 * `udp-chat send`: one datagram per message, from arguments or lines of stdin; to a server, or
 * (--multicast, --broadcast) to every receiver of a group or a subnet at once.
 */
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { MAX_SEQ_TOTAL } from '../client/seq-stats.js';
import { sendToGroup } from '../client/group-send.js';
import { sendMessages } from '../client/send.js';
import { ChatError } from '../core/errors.js';
import { addressOptions, connectOptions, count, duration, groupFrom, groupOptions, port } from './options.js';
import { formatSeqStats, jsonLine } from './output.js';
import { CLIENT_TRANSPORTS } from '../client/connection.js';

export const command = 'send [message..]';
export const describe = 'send messages (arguments, else each line of stdin) as datagrams, to a server, a multicast group or a broadcast address';

export function builder(y: Argv) {
  const addressed = addressOptions(y, 'server to send to', CLIENT_TRANSPORTS)
    // No default in argv (the help still shows it), so --multicast can tell a --host that was typed.
    .option('host', { default: undefined, defaultDescription: '127.0.0.1' });
  return groupOptions(addressed, 'send on')
    .option('multicast', { type: 'string', requiresArg: true, describe: 'send to this multicast group (239.1.2.3, ff15::1) on --port: one datagram reaches every member' })
    .option('broadcast', { type: 'string', describe: 'send to a broadcast address on --port (default 255.255.255.255; a subnet\'s, say 192.168.1.255, where that is refused)' })
    .example('$0 send --multicast 239.1.2.3 -p 9000 --interface 127.0.0.1 hello', 'one datagram to every member of the group on this machine')
    .example('$0 send --broadcast 192.168.1.255 -p 9000 --wait 1s who is there?', 'every host of the subnet; print who answers')
    .positional('message', { type: 'string', array: true, describe: 'messages; each is one datagram' })
    .option('wait', { alias: 'w', type: 'string', requiresArg: true, describe: 'print replies until none came for this long (500ms, 2s)' })
    .option('count', { alias: 'c', type: 'string', default: '1', describe: 'send each message N times, numbered #1..#N' })
    .option('interval', { alias: 'i', type: 'string', requiresArg: true, default: '0', describe: 'pause between datagrams (10ms, 1s)' })
    .option('seq', { type: 'boolean', default: false, describe: 'number datagrams seq=i/N t=MS; with --wait, count the replies (lost, late, duplicated, latency) and the room refusals apart from loss' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object at the end: sent, replies, stats' })
    .option('connect-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'TCP and WebSocket: give up connecting after this long' });
}

async function* stdinLines(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield line;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  // Messages after `--` (`send --broadcast -- hi`, `send -- -1`) land in argv._ after the command, not in message.
  const afterDashes = ((argv['_'] as unknown[] | undefined) ?? []).slice(1);
  const args = [...((argv['message'] as unknown[] | undefined) ?? []), ...afterDashes].map(String);
  const seq = Boolean(argv['seq']);
  const json = Boolean(argv['json']);
  const times = count(argv['count'], 'count');
  // A numbered run announces its total up front, so it takes its messages from the arguments
  // only; with none, the datagrams carry the number and time alone.
  const listed = args.length > 0 ? args : seq ? [''] : null;
  if (listed && seq && listed.length * times > MAX_SEQ_TOTAL) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--count: --seq sends at most ${MAX_SEQ_TOTAL} datagrams (messages × count)`);
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  const run = {
    messages: listed ?? stdinLines(),
    count: times,
    intervalMs: duration(argv['interval'], 'interval'),
    waitMs: argv['wait'] === undefined ? 0 : duration(argv['wait'], 'wait'),
    seq,
  };
  const to = manyReceivers(argv);
  if (!to && argv['interface'] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', '--interface is for --multicast or --broadcast');
  // To many, each reply says who sent it, as `grep -H` names its file; `to` says where they went.
  const result = to
    ? await sendToGroup({ ...run, ...to, ...(json ? {} : { onLine: (line: string, from?: string) => print(`${from}: ${line}`) }) }).then((r) => ({ ...r, replies: r.replies.map((x) => `${x.from}: ${x.line}`) }))
    : await sendMessages({ ...connectOptions({ ...argv, host: argv['host'] ?? '127.0.0.1' }), ...run, ...(json ? {} : { onLine: print }) }).then((r) => ({ ...r, replies: r.received }));
  if (json) print(jsonLine('stop', { sent: result.sent, replies: result.replies, ...(result.stats ? { stats: result.stats } : {}), ...('to' in result ? { to: result.to } : {}) }));
  else if (result.stats) for (const line of formatSeqStats(result.stats)) print(line);
}

/**
 * Where --multicast or --broadcast sends, checked, or undefined for a send to a server. Each is
 * a datagram to many: neither goes with a server's --host, a stream, or the other.
 */
function manyReceivers(argv: Record<string, unknown>) {
  const multicast = argv['multicast'] !== undefined;
  const broadcast = argv['broadcast'] !== undefined;
  if (!multicast && !broadcast) return undefined;
  const flag = multicast ? '--multicast' : '--broadcast';
  if (multicast && broadcast) throw new ChatError('ERR_BAD_ARGUMENT', '--multicast and --broadcast: give one (a group, or a broadcast address)');
  if (argv['host'] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', `${flag} sends to many receivers, not to a server: drop --host (-p is their port)`);
  const asked = String(argv['transport']);
  if (asked !== 'udp' || argv['tcp']) throw new ChatError('ERR_BAD_ARGUMENT', `${flag} is UDP only: one datagram to many receivers has no ${argv['tcp'] ? 'tcp' : asked} form`);
  const at = port(argv['port'], false);
  if (multicast) {
    const { group, interface: iface, ttl } = groupFrom(argv);
    return { to: group, port: at, ttl, ...(iface !== undefined ? { interface: iface } : {}) };
  }
  const iface = typeof argv['interface'] === 'string' ? argv['interface'] : undefined;
  return { to: String(argv['broadcast']), port: at, broadcast: true, ...(iface !== undefined ? { interface: iface } : {}) };
}
