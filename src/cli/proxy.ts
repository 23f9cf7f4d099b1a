/** `udp-chat proxy`: a seeded impairment proxy that needs no root. */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { PROXY_LIMITS } from '../core/limits.js';
import { NO_IMPAIRMENT } from '../proxy/policy.js';
import { startProxy } from '../proxy/proxy.js';
import { freshSeed } from '../proxy/random.js';
import { NO_TCP_IMPAIRMENT } from '../proxy/tcp-proxy.js';
import type { Direction } from '../proxy/udp-proxy.js';
import { parseHostPort } from '../transports/address.js';
import { count, duration, host, port } from './options.js';
import { paint, table } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'proxy';
export const describe = 'relay to a server while losing, delaying, reordering or duplicating traffic (seeded, no root)';

export function builder(y: Argv) {
  return y
    .option('listen', { alias: 'l', type: 'string', default: '0', describe: 'port to listen on (0 picks one)' })
    .option('listen-host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
    .option('to', { type: 'string', demandOption: true, describe: 'where to relay: HOST:PORT' })
    .option('transport', { alias: 't', type: 'string', choices: ['udp', 'tcp'], default: 'udp', describe: 'transport' })
    .option('tcp', { type: 'boolean', default: false, describe: 'short for --transport tcp' })
    .option('direction', { type: 'string', choices: ['in', 'out', 'both'], default: 'both', describe: 'impair client→server (in), server→client (out) or both' })
    .option('seed', { type: 'string', describe: 'seed for the random choices: the same seed, the same run' })
    .option('loss', { type: 'string', default: '0', describe: 'UDP: chance a datagram is lost (0.1 or 10%); TCP: emulated retransmission' })
    .option('loss-correlation', { type: 'string', default: '0', describe: 'UDP: netem correlation of losses (bursts)' })
    .option('delay', { type: 'string', requiresArg: true, default: '0', describe: 'UDP: added delay (50ms)' })
    .option('jitter', { type: 'string', requiresArg: true, default: '0', describe: 'UDP: ± random variation of the delay' })
    .option('reorder', { type: 'string', default: '0', describe: 'UDP: chance a datagram is held back so later ones overtake it' })
    .option('reorder-gap', { type: 'string', requiresArg: true, default: '10ms', describe: 'UDP: how long a reordered datagram is held back' })
    .option('duplicate', { type: 'string', default: '0', describe: 'UDP: chance a datagram is sent twice' })
    .option('rate', { type: 'string', default: '0', describe: 'bytes per second the link carries (64k, 1M; 0: unlimited)' })
    .option('latency', { type: 'string', requiresArg: true, default: '0', describe: 'TCP: added latency for every chunk' })
    .option('slice', { type: 'string', default: '0', describe: 'TCP: cut every write into pieces of this many bytes' })
    .option('slice-delay', { type: 'string', requiresArg: true, default: '1ms', describe: 'TCP: pause between two slices' })
    .option('coalesce', { type: 'string', requiresArg: true, default: '0', describe: 'TCP: merge the writes of this window into one (sticky packets)' })
    .option('rto', { type: 'string', requiresArg: true, default: '200ms', describe: 'TCP: retransmission timeout the emulated loss costs' })
    .option('max-clients', { type: 'string', default: String(PROXY_LIMITS.maxClients), describe: 'UDP: most clients at once (a socket each); past it the least recently seen is dropped (0: no limit)' })
    .option('client-rate', { type: 'string', default: String(PROXY_LIMITS.newClientsPerPrefix), describe: 'UDP: new clients a second per source /24 (0: no limit)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON line as it starts (port, seed) and one with the counters at the end' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no live counters' });
}

/** A probability: `0.25` or `25%`. */
export function probability(value: unknown, flag: string): number {
  const text = String(value).trim();
  const digits = text.endsWith('%') ? text.slice(0, -1).trim() : text;
  const n = text.endsWith('%') ? Number(digits) / 100 : Number(digits);
  // Number('') is 0: a bare `%` must not pass as no loss at all.
  if (!(n >= 0 && n <= 1) || digits === '') throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} takes a probability: 0 to 1, or 0% to 100%`);
  return n;
}

/** A rate in bytes per second: `125000`, `64k`, `1.5M`, optionally followed by `B/s` or `/s`. */
export function rate(value: unknown, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:B?\/s)?$/.exec(String(value).trim());
  if (!match) throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} takes bytes per second: 125000, 64k or 1.5M`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * scale);
}

/** ` | clients 3, evicted 0, refused 0`: the UDP client table's counters, when the proxy has one. */
function clientSummary(k: Record<string, unknown>): string {
  if (typeof k['clientsEvicted'] !== 'number') return '';
  return ` | clients ${String(k['clients'])}, evicted ${k['clientsEvicted']} (--max-clients), new clients refused ${String(k['newClientsRefused'])} (--client-rate)`;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const target = parseHostPort(String(argv['to']));
  const transport = argv['tcp'] ? 'tcp' : (String(argv['transport']) as 'udp' | 'tcp');
  const seed = argv['seed'] === undefined ? freshSeed() : count(argv['seed'], 'seed', 0);
  const linkRate = rate(argv['rate'], 'rate');
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
    udp: {
      ...NO_IMPAIRMENT,
      loss: probability(argv['loss'], 'loss'),
      lossCorrelation: probability(argv['loss-correlation'], 'loss-correlation'),
      delayMs: duration(argv['delay'], 'delay'),
      jitterMs: duration(argv['jitter'], 'jitter'),
      reorder: probability(argv['reorder'], 'reorder'),
      reorderGapMs: duration(argv['reorder-gap'], 'reorder-gap'),
      duplicate: probability(argv['duplicate'], 'duplicate'),
      rateBytesPerSec: linkRate,
    },
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
  if (json) print(JSON.stringify({ event: 'start', transport, host: argv['listen-host'], port: running.proxy.port, to: String(argv['to']), seed, direction: String(argv['direction']) }));
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
    print(JSON.stringify({ event: 'stop', transport, port: running.proxy.port, seed, ...final }));
    return;
  }
  if (live) process.stdout.write('\n');
  const columns = Object.keys(final.in);
  print(table(['direction', ...columns], [['in (client→server)', ...columns.map((k) => String(final.in[k]))], ['out (server→client)', ...columns.map((k) => String(final.out[k]))]]));
  const clients = clientSummary(final);
  if (clients) print(clients.slice(3));
}
