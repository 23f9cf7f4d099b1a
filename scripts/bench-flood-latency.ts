/**
 * What a stream flood costs the rest of the room: the honest UDP round trip (`/ping` answered by
 * `/pong`, 3 peers at 8 a second each) idle, then with 1 and with 20 connections blasting empty
 * lines at the room's TCP port as fast as it reads them (scripts/flood/latency.ts; the flood runs
 * in a process of its own, the server with its default limits in this one). Reported per phase:
 * p50 and p99 of the round trip, pings lost, and what the server did with the flood (lines it
 * read, and those of them its rate limit dropped); the figure is p50 under flood over p50 idle, and the target is
 * 20 connections within 2x of idle (issue 10, item 5). Each phase runs on a fresh room; the
 * phases run `--rounds` times in turn and the medians are reported.
 *
 *   node dist/scripts/bench-flood-latency.js [--seconds S] [--rounds R] [--connections 1,20] [--via tcp|ws] [--json] [--quick]
 */
import { choice, flags, int, intList, runMain, wantsHelp } from './harness/args.js';
import { count, fixed, median, print, table, times, verdict } from './harness/report.js';
import { measureLatency, type LatencySample } from './flood/latency.js';

const USAGE = 'node dist/scripts/bench-flood-latency.js [--seconds S] [--rounds R] [--connections 1,20] [--via tcp|ws] [--json] [--quick]';
/** The bound: p50 under TARGET_CONNECTIONS flood connections within TARGET_RATIO of idle. */
const TARGET_CONNECTIONS = 20;
const TARGET_RATIO = 2;

interface Row {
  connections: number;
  p50Ms: number;
  p99Ms: number;
  ratio: number;
  lost: number;
  /** Flood lines (or frames) the server read, and those its rate limit dropped. */
  read: number;
  rateLimited: number;
  rounds: LatencySample[];
}

async function main(): Promise<void> {
  const v = flags(process.argv.slice(2), { seconds: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' }, via: { type: 'string' }, json: { type: 'boolean' }, quick: { type: 'boolean' } });
  if (wantsHelp(v)) return;
  const seconds = int(v.seconds, 'seconds', v.quick ? 2 : 4, 1, 600);
  const rounds = int(v.rounds, 'rounds', v.quick ? 1 : 3, 1, 100);
  const via = choice(v.via, 'via', ['tcp', 'ws'], 'tcp');
  const phases = [0, ...intList(v.connections, 'connections', [1, TARGET_CONNECTIONS], 1, 1000)];
  const samples = new Map<number, LatencySample[]>(phases.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const connections of phases) samples.get(connections)!.push(await measureLatency({ connections, via, ms: seconds * 1000 }));
  }
  const idle = median(samples.get(0)!.map((s) => s.p50));
  const rows: Row[] = phases.map((connections) => {
    const s = samples.get(connections)!;
    const p50 = median(s.map((x) => x.p50));
    return {
      connections,
      p50Ms: p50,
      p99Ms: median(s.map((x) => x.p99)),
      ratio: p50 / idle,
      lost: s.reduce((n, x) => n + x.lost, 0),
      read: median(s.map((x) => x.counters.traffic[via].messagesIn)),
      rateLimited: median(s.map((x) => x.counters.drops.rateLimited)),
      rounds: s,
    };
  });
  const target = rows.find((r) => r.connections === TARGET_CONNECTIONS);
  const pass = target ? target.ratio <= TARGET_RATIO : undefined;
  print(
    v.json ?? false,
    { via, seconds, rounds, rows: rows.map(({ rounds: rs, ...row }) => ({ ...row, p50PerRound: rs.map((s) => s.p50) })), target: { connections: TARGET_CONNECTIONS, ratio: TARGET_RATIO, pass } },
    () =>
      [
        `honest UDP round trip under ${via.toUpperCase()} flood connections (${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s, medians)`,
        table(
          ['flood', 'connections', 'p50 ms', 'p99 ms', 'p50 / idle', 'pings lost', 'flood lines read', 'rate-limited'],
          rows.map((r) => [r.connections === 0 ? 'idle' : via, String(r.connections), fixed(r.p50Ms, 2), fixed(r.p99Ms, 2), times(r.ratio), String(r.lost), count(r.read), count(r.rateLimited)]),
        ),
        target ? `target: ${TARGET_CONNECTIONS} connections within ${TARGET_RATIO}x of idle: ${verdict(pass!)} (${times(target.ratio)})` : '',
      ].join('\n'),
  );
}

runMain(import.meta.url, USAGE, main);
