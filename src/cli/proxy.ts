/** `udp-chat proxy`: a seeded impairment proxy that needs no root. */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { PROXY_LIMITS } from '../core/limits.js';
import { startProxy } from '../proxy/proxy.js';
import { NO_TCP_IMPAIRMENT } from '../proxy/tcp-proxy.js';
import type { Direction } from '../proxy/udp-proxy.js';
import { formatAddress, parseHostPort } from '../transports/address.js';
import { impairmentOptions, probability, rate, seedFrom, udpImpairment } from './impairment-options.js';
import { count, duration, host, numeric, port, renamed } from './options.js';
import { jsonLine, paint, table } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'proxy';
export const describe = 'relay to a server while losing, delaying, reordering, duplicating or corrupting traffic, at a link rate (seeded, no root)';

export function builder(y: Argv) {
  const where = y
    .example('udp-chat proxy --listen 9001 --to 127.0.0.1:9000 --loss 0.3 --seed 1', 'a lossy UDP link in front of a room: the same seed loses the same datagrams')
    .example('udp-chat proxy --listen 3000 --to 127.0.0.1:8007 --loss 0.2 --delay 10ms --delay-dist uniform --seed 1', "a reliable-transport lab's channel (Concordia's router flags)")
    .example('udp-chat proxy --listen 41192 --to 127.0.0.1:41194 --direction in --bandwidth 125k --queue 8 --corrupt 5%', "newudpl's link: speed, a drop-tail queue, bit errors")
    .example('udp-chat proxy --tcp --listen 9001 --to 127.0.0.1:9000 --coalesce 50ms', 'TCP: merge quick writes into one read (sticky packets)')
    .option('listen', { alias: 'l', type: 'string', default: '0', describe: 'port to listen on (0 picks one)' })
    .option('listen-host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
    .option('to', { type: 'string', demandOption: true, describe: 'where to relay: HOST:PORT' })
    .option('transport', { alias: 't', type: 'string', choices: ['udp', 'tcp'], default: 'udp', describe: 'transport' })
    .option('tcp', { type: 'boolean', default: false, describe: 'short for --transport tcp' })
    .option('direction', { type: 'string', choices: ['in', 'out', 'both'], default: 'both', describe: 'impair client→server (in), server→client (out) or both' });
  const built = impairmentOptions(where, 'UDP: chance a datagram is lost (0.1 or 10%); TCP: emulated retransmission')
    // Not --rate: serve's --rate counts messages a second per peer, one meaning per flag name.
    .option('bandwidth', { type: 'string', requiresArg: true, defaultDescription: '0', describe: "bytes a second the link carries: 64k, 1M (or in bits as netem and iperf3's -b count: 512kbit, 10Mbit); 0: unlimited" })
    .option('queue', { type: 'string', default: '0', describe: 'UDP: most datagrams queued behind --bandwidth, then drop-tail (netem limit; 0: a second of backlog)' })
    .option('corrupt', { type: 'string', default: '0', describe: 'UDP: chance a datagram has one random bit of its payload flipped' })
    .option('latency', { type: 'string', requiresArg: true, default: '0', describe: 'TCP: added latency for every chunk' })
    .option('slice', { type: 'string', default: '0', describe: 'TCP: cut every write into pieces of this many bytes' })
    .option('slice-delay', { type: 'string', requiresArg: true, default: '1ms', describe: 'TCP: pause between two slices' })
    .option('coalesce', { type: 'string', requiresArg: true, default: '0', describe: 'TCP: merge the writes of this window into one (sticky packets)' })
    .option('rto', { type: 'string', requiresArg: true, default: '200ms', describe: 'TCP: retransmission timeout the emulated loss costs' })
    .option('max-clients', { type: 'string', default: String(PROXY_LIMITS.maxClients), describe: 'UDP: most clients at once (a socket each); past it the least recently seen is dropped (0: no limit)' })
    .option('client-rate', { type: 'string', default: String(PROXY_LIMITS.newClientsPerPrefix), describe: 'UDP: new clients a second per source /24 (0: no limit)' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON: a start line as it listens (port, seed), a stop line with the counters at the end (docs/json.md)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no live counters' })
    .group(['listen', 'listen-host', 'to', 'transport', 'tcp', 'direction', 'seed'], 'Basics:')
    .group(['loss', 'loss-correlation', 'delay', 'delay-dist', 'jitter', 'reorder', 'reorder-gap', 'duplicate', 'corrupt', 'bandwidth', 'queue'], 'UDP impairment (--loss also TCP):')
    .group(['latency', 'slice', 'slice-delay', 'coalesce', 'rto'], 'TCP impairment:')
    .group(['max-clients', 'client-rate'], 'Limits:')
    .group(['quiet', 'json'], 'Output:');
  return renamed(numeric(built, 'seed'), 'rate', 'bandwidth', 'bytes a second the link carries', '0');
}

/** ` | clients 3, evicted 0, refused 0`: the UDP client table's counters, when the proxy has one. */
function clientSummary(k: Record<string, unknown>): string {
  if (typeof k['clientsEvicted'] !== 'number') return '';
  return ` | clients ${String(k['clients'])}, evicted ${k['clientsEvicted']} (--max-clients), new clients refused ${String(k['newClientsRefused'])} (--client-rate)`;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const target = parseHostPort(String(argv['to']));
  const transport = argv['tcp'] ? 'tcp' : (String(argv['transport']) as 'udp' | 'tcp');
  const seed = seedFrom(argv);
  const linkRate = rate(argv['bandwidth'], 'bandwidth');
  const udp = { ...udpImpairment(argv), rateBytesPerSec: linkRate, queueLimit: count(argv['queue'], 'queue', 0), corrupt: probability(argv['corrupt'], 'corrupt') };
  if (transport === 'tcp' && udp.corrupt > 0) throw new ChatError('ERR_BAD_ARGUMENT', "--corrupt is UDP-only: a TCP stream has no datagram to corrupt, and TCP's checksum would discard a flipped bit before the server saw it");
  if (transport === 'tcp' && udp.queueLimit > 0) throw new ChatError('ERR_BAD_ARGUMENT', '--queue counts datagrams, so it is UDP-only: the TCP proxy stops reading when its queue is full (backpressure)');
  if (udp.queueLimit > 0 && linkRate === 0) throw new ChatError('ERR_BAD_ARGUMENT', '--queue bounds the queue behind --bandwidth: give a --bandwidth as well (e.g. --bandwidth 64k --queue 20)');
  const running = await startProxy({
    transport,
    listenHost: host(argv['listen-host']),
    listenPort: port(argv['listen']),
    targetHost: target.host,
    targetPort: target.port,
    direction: String(argv['direction']) as Direction,
    seed,
    maxClients: count(argv['max-clients'], 'max-clients', 0),
    newClientsPerSecond: count(argv['client-rate'], 'client-rate', 0),
    udp,
    tcp: {
      ...NO_TCP_IMPAIRMENT,
      latencyMs: duration(argv['latency'], 'latency'),
      sliceBytes: count(argv['slice'], 'slice', 0),
      sliceDelayMs: duration(argv['slice-delay'], 'slice-delay'),
      coalesceMs: duration(argv['coalesce'], 'coalesce'),
      rateBytesPerSec: linkRate,
      loss: probability(argv['loss'], 'loss'),
      rtoMs: duration(argv['rto'], 'rto'),
    },
  });
  const json = Boolean(argv['json']);
  const c = paint(process.stdout);
  const print = (line: string) => process.stdout.write(line + '\n');
  const counters = () => running.proxy.counters() as unknown as { in: Record<string, number>; out: Record<string, number> } & Record<string, unknown>;
  // With --json a script still needs to know where the proxy listens (--listen 0 is the default)
  // and when it is ready: one start line now, the counters at the end.
  if (json) print(jsonLine('start', { transport, host: String(argv['listen-host']), port: running.proxy.port, to: formatAddress(target.host, target.port), seed, direction: String(argv['direction']) }));
  else {
    print(c.bold(`udp-chat proxy: ${transport} ${argv['listen-host']} port ${running.proxy.port} → ${String(argv['to'])} (seed ${seed}, direction ${String(argv['direction'])})`));
    print(c.dim(`  repeat this run exactly with --seed ${seed}; Ctrl-C prints what was done`));
  }
  // Live counters on a terminal: one line rewritten every second.
  const live =
    !json && !argv['quiet'] && process.stdout.isTTY
      ? setInterval(() => {
          const k = counters();
          const summary = (d: Record<string, number>) => Object.entries(d).map(([n, v]) => `${n} ${v}`).join(', ');
          process.stdout.write(`\r\x1b[K in: ${summary(k.in)} | out: ${summary(k.out)}${clientSummary(k)}`);
        }, 1000)
      : undefined;
  await untilSignal();
  clearInterval(live);
  const final = counters();
  await running.proxy.close();
  if (json) {
    print(jsonLine('stop', { transport, port: running.proxy.port, seed, counters: final }));
    return;
  }
  if (live) process.stdout.write('\n');
  const columns = Object.keys(final.in);
  print(table(['direction', ...columns], [['in (client→server)', ...columns.map((k) => String(final.in[k]))], ['out (server→client)', ...columns.map((k) => String(final.out[k]))]]));
  const clients = clientSummary(final);
  if (clients) print(clients.slice(3));
}
