/**
 * `udp-chat send`: one datagram per message, from arguments or lines of stdin; to a server, or
 * (--multicast, --broadcast) to every receiver of a group or a subnet at once.
 */
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { MAX_SEQ_TOTAL } from '../client/seq-stats.js';
import { sendToGroup } from '../client/group-send.js';
import { sendMessages, type RunStart } from '../client/send.js';
import { ChatError } from '../core/errors.js';
import { LiveLine } from './live-line.js';
import { addressOptions, connectOptions, count, duration, groupFrom, groupOptions, port, positive } from './options.js';
import { formatSeqStats, jsonLine } from './output.js';
import { CHALLENGE_NO_REPLIES, formatInterval, formatProgress, ROOM_NO_REPLIES } from './send-output.js';
import { untilSignal } from './signals.js';
import { CLIENT_TRANSPORTS, noAnswerError } from '../client/connection.js';

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
    .option('report', { type: 'string', requiresArg: true, describe: 'with --seq: print what was sent, received and lost every DUR (1s, 200ms), as iperf3 -i' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON: a start event, interval events (--report), a stop event with sent, replies, stats' })
    .option('connect-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'TCP and WebSocket: give up connecting after this long' })
    .check(notAnAddress)
    .group(['host', 'port', 'transport', 'tcp', 'framing', 'connect-timeout'], 'Where to:')
    .group(['multicast', 'broadcast', 'interface', 'ttl'], 'To many (UDP):')
    .group(['wait', 'count', 'interval', 'seq'], 'What and how often:')
    .group(['report', 'json'], 'Output:')
    .example('$0 send hello', 'one datagram to the room on 127.0.0.1:9000')
    .example('$0 send -H 127.0.0.1 -p 9000 --seq -c 100 -i 10ms --wait 1s', 'a hundred numbered datagrams, then the loss and latency of the replies');
}

/**
 * The netcat habit `send 127.0.0.1 9000 hi` would send `127.0.0.1` and `9000` as messages to the
 * default room: say how to name a server instead (`--` sends such words as they are).
 */
function notAnAddress(argv: Record<string, unknown>): true | string {
  const [first, second] = ((argv['message'] as unknown[] | undefined) ?? []).map(String);
  if (argv['host'] !== undefined || first === undefined) return true;
  const address = (h: string) => isIP(h.replace(/^\[(.*)\]$/, '$1')) !== 0 || h === 'localhost';
  const hostPort = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(first);
  const [host, port] = hostPort ? [hostPort[1]!, hostPort[2]!] : second !== undefined && /^\d{1,5}$/.test(second) ? [first, second] : [];
  if (host === undefined || !address(host)) return true;
  return `send takes the server as flags: udp-chat send -H ${host} -p ${port} MESSAGE (to send these words as messages: udp-chat send -- ${hostPort ? first : `${first} ${second}`})`;
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
  const reportMs = argv['report'] === undefined ? 0 : positive(duration(argv['report'], 'report'), 'report');
  if (reportMs > 0 && !seq) throw new ChatError('ERR_BAD_ARGUMENT', '--report counts numbered datagrams: add --seq');
  const waitMs = argv['wait'] === undefined ? 0 : duration(argv['wait'], 'wait');
  const intervalMs = duration(argv['interval'], 'interval');
  const to = manyReceivers(argv);
  if (!to && argv['interface'] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', '--interface is for --multicast or --broadcast');
  // A numbered run on a terminal shows its counts as it goes; a pipe gets the result only.
  const live = seq && !json && process.stdout.isTTY ? new LiveLine(process.stdout) : undefined;
  const print = (line: string) => (live ? live.print(line) : process.stdout.write(line + '\n'));
  // Ctrl-C (or SIGTERM) ends the run, not the process: what was counted so far is printed, exit 0.
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  void untilSignal().then((signal) => {
    stoppedBy = signal;
    stop.abort();
  });
  // The replies are counted (not only printed) when a numbered run waits for them.
  const counting = seq && waitMs > 0;
  const timers: NodeJS.Timeout[] = [];
  let started: RunStart | undefined;
  const onStart = (run: RunStart) => {
    started = run;
    if (json) {
      const { meter: _meter, sent: _sent, ...where } = run;
      print(jsonLine('start', { ...where, seq, count: times, intervalMs, waitMs, ...(reportMs ? { reportMs } : {}) }));
    }
    const meter = run.meter;
    if (!meter) return;
    const report = () => {
      // Once all is sent and nothing more comes, an interval has nothing to say.
      if (meter.idle && meter.progress().sent === meter.total) return meter.interval();
      print(json ? jsonLine('interval', meter.interval()) : formatInterval(meter.interval(), counting));
    };
    if (reportMs) timers.push(setInterval(report, reportMs));
    if (live) {
      const draw = () => live.show(formatProgress(meter.progress(), counting));
      draw();
      timers.push(setInterval(draw, 100));
    }
  };
  const run = {
    messages: listed ?? stdinLines(),
    count: times,
    intervalMs,
    waitMs,
    seq,
    onStart,
    signal: stop.signal,
  };
  // Under --json the replies are kept here as they come, for the `stop` line (one that failed part-way too).
  const replies: string[] = [];
  const onLine = (line: string, from?: string) => {
    // To many, each reply says who sent it, as `grep -H` names its file.
    const said = from === undefined ? line : `${from}: ${line}`;
    if (json) replies.push(said);
    else print(said);
  };
  let result;
  try {
    // `to` says where they went.
    result = to
      ? await sendToGroup({ ...run, ...to, onLine })
      : await sendMessages({ ...connectOptions({ ...argv, host: argv['host'] ?? '127.0.0.1' }), ...run, onLine });
  } catch (err) {
    // The error line goes to stderr: not after the live line's text.
    live?.clear();
    // The stream still ends with its `stop` (docs/json.md), saying what went wrong, once the run had started.
    if (json && started) print(jsonLine('stop', { to: started.to, sent: started.sent(), replies, error: (err as Error).message }));
    throw err;
  } finally {
    for (const timer of timers) clearInterval(timer);
  }
  const meter = started?.meter;
  // The last interval is a partial one, as iperf3's last line can be.
  if (meter && reportMs && !meter.idle) print(json ? jsonLine('interval', meter.interval()) : formatInterval(meter.interval(), counting));
  live?.clear();
  // Stopped while reading stdin: the pending read would hold the process open.
  if (result.interrupted && !listed) process.stdin.destroy();

  const stats = result.stats;
  // UDP to one server: nothing at all came back. On Linux a closed port answers with an ICMP port
  // unreachable, which fails the run above (exit 1, "nothing is listening"); Windows never reports
  // it on UDP (libuv ignores it), nor does a firewall that drops, so silence is all there is: say
  // so and fail as ping does with no reply. Not over TCP or WebSocket, where the connection proved
  // a listener, and not to a group or a broadcast, where silent receivers are the common case.
  const silent = !to && !result.interrupted && waitMs > 0 && result.heard === 0 && started?.transport === 'udp';
  const noAnswer = silent ? noAnswerError('udp', started!.to, waitMs) : undefined;
  // A chat room relays a sender's lines to the others only: from a room, no numbered reply at all
  // is what a room does, not a loss.
  const whyNone = stats && stats.received === 0 && result.answerer ? (result.answerer === 'challenge' ? CHALLENGE_NO_REPLIES : ROOM_NO_REPLIES) : undefined;
  if (json) {
    print(
      jsonLine('stop', {
        to: started?.to ?? ('to' in result ? result.to : undefined),
        sent: result.sent,
        replies,
        ...(stats ? { stats } : {}),
        ...(result.answerer ? { answerer: result.answerer } : {}),
        ...(whyNone ? { note: whyNone } : {}),
        ...(stoppedBy ? { interrupted: stoppedBy } : {}),
        ...(noAnswer ? { error: noAnswer.message } : {}),
      }),
    );
  } else {
    if (stoppedBy && seq) print(`stopped by ${stoppedBy} after ${result.sent} of ${started?.total ?? result.sent} datagrams`);
    if (whyNone) print(`sent ${result.sent}; ${whyNone}`);
    else if (stats) for (const line of formatSeqStats(stats)) print(line);
  }
  if (noAnswer) throw noAnswer;
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
