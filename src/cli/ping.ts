/** `udp-chat ping`: the UDP Pinger lab's client, printing what ping(8) prints. */
import type { Argv } from 'yargs';
import { checkPing, ping, PING_DEFAULTS, TCP_FINAL_WAIT_FACTOR, type PingEvent, type PingResult } from '../client/ping.js';
import { formatDuration } from '../core/duration.js';
import { ChatError } from '../core/errors.js';
import { DEFAULT_PORT } from '../core/limits.js';
import { formatAddress } from '../transports/address.js';
import { count, duration, host, numeric, port, positive, transport } from './options.js';
import { jsonLine } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'ping [target]';
export const describe = "ping a UDP (or TCP) echo with `Ping SEQ TIME` probes, as the UDP Pinger lab's client, printing what ping(8) prints";

export function builder(y: Argv) {
  return numeric(y, 'size')
    .positional('target', { type: 'string', describe: 'host to ping (default 127.0.0.1; or --host)' })
    .option('host', { alias: 'H', type: 'string', requiresArg: true, describe: 'host to ping (as the positional HOST)' })
    .option('port', { alias: 'p', type: 'string', requiresArg: true, default: String(DEFAULT_PORT), describe: 'port number' })
    .option('count', { alias: 'c', type: 'string', requiresArg: true, default: String(PING_DEFAULTS.count), describe: 'probes to send (the lab sends 10); 0: until Ctrl-C' })
    .option('interval', { alias: 'i', type: 'string', requiresArg: true, default: formatDuration(PING_DEFAULTS.intervalMs), describe: 'from one probe to the next, reply or not' })
    .option('timeout', { alias: 'W', type: 'string', requiresArg: true, default: formatDuration(PING_DEFAULTS.timeoutMs), describe: 'UDP: a probe unanswered this long is a timeout; a reply after it is late, not received' })
    .option('size', { alias: 's', type: 'string', requiresArg: true, describe: 'pad each probe to this many bytes (default: the bare `Ping SEQ TIME`)' })
    .option('transport', { alias: 't', type: 'string', choices: ['udp', 'tcp'], default: 'udp', describe: 'transport' })
    .option('tcp', { type: 'boolean', default: false, describe: `short for --transport tcp: one connection, a probe a line; nothing is lost, so a reply after -W still counts, and the run waits up to ${TCP_FINAL_WAIT_FACTOR} × -W after the last probe for the replies owed` })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON instead: a start line, one per probe event, and a stop line with the figures and each probe (docs/json.md)' })
    .example('udp-chat ping -p 12000', "ten probes to the book's UDPPingerServer.py on this machine")
    .example('udp-chat ping 192.168.1.20 -p 9001 -c 0 -i 200ms', 'five probes a second until Ctrl-C, which prints the summary')
    .example('udp-chat ping --tcp -p 9001', 'the same over TCP: loss turns into delay');
}

/** Milliseconds as ping(8) shows them. */
function ms(value: number): string {
  return value.toFixed(3);
}

/** One line of ping(8)'s output for a run's event. */
function formatPingEvent(e: PingEvent, pinged: string): string {
  switch (e.type) {
    case 'start':
      return `PING ${formatAddress(e.host, e.port)} (${e.transport}): ${e.bytes} data bytes`;
    case 'reply':
      return `${e.bytes} bytes from ${pinged}: seq=${e.seq} time=${ms(e.rttMs)} ms`;
    case 'duplicate':
      return `${e.bytes} bytes from ${pinged}: seq=${e.seq} time=${ms(e.rttMs)} ms (DUP!)`;
    case 'late':
      return `late reply for seq=${e.seq} time=${ms(e.rttMs)} ms (after the timeout: not counted as received)`;
    case 'timeout':
      return `Request timeout for seq ${e.seq}`;
    case 'unreachable':
      return `From ${pinged}: seq=${e.seq} Destination port unreachable`;
    case 'unexpected': {
      // Already made safe for a terminal by the connection; cut so one long datagram stays one line.
      const text = e.text.length > 80 ? `${e.text.slice(0, 80)}...` : e.text;
      return `unexpected reply, not \`Ping SEQ ...\` (${e.bytes} bytes): ${text}`;
    }
    case 'ended':
      return e.reason;
  }
}

/** ping(8)'s summary: the statistics header, the counts and, when any reply came, the RTTs. */
function formatPingSummary(r: PingResult): string[] {
  const counts = [`${r.transmitted} packets transmitted`, `${r.received} received`];
  if (r.duplicates) counts.push(`+${r.duplicates} duplicates`);
  if (r.unreachable) counts.push(`+${r.unreachable} errors`);
  if (r.late) counts.push(`${r.late} late`);
  if (r.unexpected) counts.push(`${r.unexpected} unexpected`);
  counts.push(`${Number(r.lossPercent.toFixed(1))}% packet loss`);
  const lines = ['', `--- ${formatAddress(r.host, r.port)} ping statistics ---`, counts.join(', ')];
  if (r.rtt) lines.push(`rtt min/avg/max/mdev = ${ms(r.rtt.min)}/${ms(r.rtt.avg)}/${ms(r.rtt.max)}/${ms(r.rtt.mdev)} ms`);
  return lines;
}

/**
 * The `--json` stream's last line, `stop`: the figures, RTTs in ms to the microsecond, and each
 * probe; the target as `to` (IP:PORT), as every command names a destination (docs/json.md).
 */
function pingStop(r: PingResult): string {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const { probes, rtt, host, port, ...figures } = r;
  return jsonLine('stop', {
    to: formatAddress(host, port),
    ...figures,
    lossPercent: round(r.lossPercent),
    rtt: rtt && { min: round(rtt.min), avg: round(rtt.avg), max: round(rtt.max), mdev: round(rtt.mdev) },
    probes: probes.map((p) => ({ ...p, rttMs: p.rttMs === null ? null : round(p.rttMs) })),
  });
}

/** One `--json` line for a probe's event as it happens: the start names the target as `to`. */
function pingEventJson(e: PingEvent): string {
  if (e.type === 'start') return jsonLine('start', { to: formatAddress(e.host, e.port), transport: e.transport, bytes: e.bytes });
  const { type, ...fields } = e;
  return jsonLine(type, 'rttMs' in fields ? { ...fields, rttMs: Math.round(fields.rttMs * 1000) / 1000 } : fields);
}

/** The host to ping: the positional HOST or --host, not two different ones. */
function target(argv: Record<string, unknown>): string {
  const given = [argv['target'], argv['host']].filter((h) => h !== undefined).map(String);
  if (given.length === 2 && given[0] !== given[1]) throw new ChatError('ERR_BAD_ARGUMENT', `two hosts, ${given[0]} and ${given[1]}: give one`);
  const target = given[0] ?? '127.0.0.1';
  // The netcat and URL habit, HOST:PORT (not an IPv6 address, which has two colons or more).
  const hostPort = /^([^:\s]+):(\d+)$/.exec(target);
  if (hostPort) throw new ChatError('ERR_BAD_HOST', `ping takes the port apart: udp-chat ping ${hostPort[1]} -p ${hostPort[2]}`);
  return host(target);
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const pinged = target(argv);
  const options = {
    host: pinged,
    port: port(argv['port'], false),
    transport: transport(argv) as 'udp' | 'tcp',
    count: count(argv['count'], 'count', 0),
    intervalMs: positive(duration(argv['interval'], 'interval'), 'interval'),
    timeoutMs: positive(duration(argv['timeout'], 'timeout'), 'timeout'),
    ...(argv['size'] === undefined ? {} : { size: count(argv['size'], 'size') }),
  };
  // The library's own checks (--size against the header's length), before the signal handlers are set.
  checkPing(options);
  const json = Boolean(argv['json']);
  const print = (line: string) => process.stdout.write(line + '\n');
  // Ctrl-C (or SIGTERM) stops the probes; the summary so far is printed as at the end.
  const stop = new AbortController();
  void untilSignal().then(() => stop.abort());
  const result = await ping({ ...options, signal: stop.signal, onEvent: (e: PingEvent) => print(json ? pingEventJson(e) : formatPingEvent(e, pinged)) });
  if (json) print(pingStop(result));
  else for (const line of formatPingSummary(result)) print(line);
  // ping(8): 0 when a reply came, 1 when none did.
  if (result.received === 0) process.exitCode = 1;
}
