/**
 * One room over several servers (serve --cluster, issue 14) against the single-process room, side
 * by side in the same run, in alternating order, under the fan-out harness of bench-relay.ts
 * (scripts/relay: the forked sender/receivers child, its windowed closed loop, its measure):
 *
 *   single      one server process without --cluster: the baseline every ratio is against.
 *   cluster xK  K server processes (K = 1, 2, 4), each with --cluster on one redis-server this
 *               benchmark starts on a free loopback port (nothing saved), all in room `bench`,
 *               each on its own port (Node 20 cannot share one: no SO_REUSEPORT). Receiver i
 *               joins server i % K, the sender server s0. s0 relays each line to its own
 *               receivers and publishes it once; Redis hands it to every server (s0 too, which
 *               drops its own); each other server relays it to its receivers. x1 is the single
 *               room plus the bus, with no other server to reach.
 *   N = 1000    the fan-out the issue asks about: 1,000 receivers, 600 lines a trial.
 *   N = 10      a small room, 10,000 lines a trial: the bus's cost per line is the same at any N,
 *               and here it is not lost among a thousand deliveries a line.
 *
 * Each server is a forked child (scripts/cluster/server-child.ts) running udp-chat's room with
 * every limit off, as bench-relay's udp-chat row does; the sender and the receivers are another
 * forked child, so they do not take the servers' CPU. A trial starts fresh servers, joins the
 * receivers and the sender, waits until every server knows every other server's peers and Redis
 * has run every join, sends a fifth of the load unrecorded (fresh processes are cold), waits a
 * quiet 2.1 s (see below), then sends the numbered, timestamped lines in bursts, at most 2
 * bursts in flight (bench-relay's shape: 2 x 8 at N = 1000, 2 x 64 at N = 10).
 *
 * The rows, per N and configuration (medians over the rounds):
 *   deliveries/s         lines received by all receivers / elapsed; vs single: over the baseline's.
 *   p50, p99 ms          delivery latency (sender and receivers share one clock), under load: it
 *                        includes the wait behind the window.
 *   loss, stalls         sent*N - received, summed over the rounds; bursts not complete within
 *                        250 ms (the sender then goes on). The bus's own counters (refused,
 *                        missed, unsent) are in --json, and in a note when not zero.
 *   servers/redis/harness/others cpu   percent of one core during the load: all server
 *                        processes together, redis-server, the sender/receivers child, and what
 *                        the rest of the machine used meanwhile (/proc/stat). The machine's cores
 *                        cap their sum: on 2 cores more server processes cannot add throughput,
 *                        and the cluster rows show what the bus costs, not a speed-up. A harness
 *                        near 100% was the bottleneck; other programs' CPU makes a row noisy.
 *   servers us/dlv       CPU time of all server processes per delivery (/proc, with threads).
 *   servers us/msg       the same per line sent, with the quiet rate taken out (below).
 *   bus us/msg           servers us/msg minus the baseline's: what the bus and the split into
 *                        processes add per line (publishing, JSON, every server reading,
 *                        checking and re-encoding each line).
 *   s0 extra us/msg      the sending server's CPU per line minus the baseline's for as many
 *                        receivers as s0 holds (exact for x1; for x2, x4 it takes a delivery to
 *                        cost what it costs the baseline).
 *   redis us/msg         redis-server's CPU per line, the quiet rate taken out.
 *   publish B/msg        bytes Redis read per line, the beats taken out: one PUBLISH; redis out
 *                        B/msg: bytes it wrote per line (one message to each server).
 *   quiet cpu, beats B/s what comes with time, not lines, measured in the quiet moment with no
 *                        line sent: the servers' sweeps, and in a cluster each server's beat, one
 *                        script a second naming all its peers; CPU of servers and Redis in percent
 *                        of a core, and the beats' bytes a second into Redis. The per-line CPU
 *                        figures have the quiet rate times the load's length taken out, the bytes
 *                        as many beats as Redis ran during the load.
 *
 * Run length: 3 rounds, about three and a half minutes on a 2-core machine. --quick: a quarter of
 * the lines, 1 round, under a minute. Without redis-server (Debian: apt-get install
 * redis-server) it says so and exits 0 with nothing measured.
 *
 *   node dist/scripts/bench-cluster.js [--quick] [--json] [--rounds R] [--messages M] [--n 1000,10]
 *     [--servers 1,2,4] [--burst B] [--window W]
 */
import os from 'node:os';
import { flags, int, intList, runMain, wantsHelp } from './harness/args.js';
import { ChildLink } from './harness/process.js';
import { count, fixed, median, percent, print, ratio, table, times } from './harness/report.js';
import { startBenchRedis } from './cluster/redis.js';
import { peersOn } from './cluster/servers.js';
import { runClusterTrial, sumBus, type BusCounts, type ClusterTrial, type Config } from './cluster/trial.js';
import { burstFor, type FromChild, type LoadLink, type Shape, type ToChild } from './relay/trial.js';

const USAGE = 'node dist/scripts/bench-cluster.js [--quick] [--json] [--rounds R] [--messages M] [--n 1000,10] [--servers 1,2,4] [--burst B] [--window W]';
/** The fan-out the issue asks about, and a small room where the bus's own cost per line is not lost in a thousand deliveries. */
const RECEIVERS = [1000, 10];
const SERVERS = [1, 2, 4];
/** Lines a trial at each N: 600,000 and 100,000 deliveries. */
const MESSAGES: Readonly<Record<number, number>> = { 1000: 600, 10: 10_000 };
const QUICK_DIVISOR = 4;
const ROUNDS = 3;
/** Bursts in flight, and lines a burst: bench-relay's shape (2 x 8 at N = 1000, 2 x 64 at N = 10). */
const WINDOW = 2;
/** Other programs' CPU during a load (percent of one core) worth a note. */
const OTHERS_PCT = 15;
/** Harness CPU above this (percent of a core) means the sender/receivers child was the bottleneck. */
const SATURATED_PCT = 90;

interface Options {
  quick: boolean;
  json: boolean;
  rounds: number;
  /** One shape a receiver count; every configuration runs each. */
  shapes: Shape[];
  configs: Config[];
}

/** Every round of one configuration at one N folded into one row (medians; loss and stalls summed). */
interface ConfigSummary {
  n: number;
  config: string;
  servers: number;
  messages: number;
  deliveriesPerSec: number;
  /** deliveries/s and servers' CPU per delivery over the baseline's. */
  ratio: number;
  cpuRatio: number;
  p50Ms: number;
  p99Ms: number;
  loss: number;
  stalls: number;
  serversCpuUsPerDelivery: number;
  serversCpuUsPerMsg: number;
  /** Quiet rate out: all servers' CPU per line over the baseline's, and s0's over the baseline's share for its receivers. */
  busCpuUsPerMsg: number;
  senderExtraCpuUsPerMsg: number;
  serversNetCpuUsPerMsg: number;
  senderNetCpuUsPerMsg: number;
  redisNetCpuUsPerMsg: number;
  publishBytesPerMsg: number;
  redisOutBytesPerMsg: number;
  quietCpuPct: number;
  beatBytesPerSec: number;
  serversCpuPct: number;
  redisCpuPct: number;
  harnessCpuPct: number;
  othersCpuPct: number;
  bus: BusCounts | null;
  rounds: number[];
}

function parseOptions(argv: readonly string[]): Options | null {
  const v = flags(argv, {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    rounds: { type: 'string' },
    messages: { type: 'string' },
    n: { type: 'string' },
    servers: { type: 'string' },
    burst: { type: 'string' },
    window: { type: 'string' },
  });
  if (wantsHelp(v)) return null;
  const quick = v.quick ?? false;
  const messages = int(v.messages, 'messages', 0);
  const shapes = intList(v.n, 'n', RECEIVERS, 1, 10_000).map((n) => ({
    n,
    count: messages || Math.round((MESSAGES[n] ?? Math.max(200, Math.round(600_000 / n))) / (quick ? QUICK_DIVISOR : 1)),
    burst: int(v.burst, 'burst', burstFor(n)),
    window: int(v.window, 'window', WINDOW),
  }));
  const servers = intList(v.servers, 'servers', SERVERS, 1, 16);
  const configs = [{ label: 'single', servers: 1, cluster: false }, ...servers.map((k) => ({ label: `cluster x${k}`, servers: k, cluster: true }))];
  return { quick, json: v.json ?? false, rounds: int(v.rounds, 'rounds', quick ? 1 : ROUNDS), shapes, configs };
}

/** Folds every round of one configuration into one row; the ratios and the bus's cost come later, against the baseline. */
function summarize(config: Config, mine: readonly ClusterTrial[], n: number): ConfigSummary {
  const med = (pick: (t: ClusterTrial) => number) => median(mine.map(pick));
  return {
    n,
    config: config.label,
    servers: config.servers,
    messages: mine[0]?.sent ?? 0,
    deliveriesPerSec: med((t) => t.deliveriesPerSec),
    ratio: NaN,
    cpuRatio: NaN,
    p50Ms: med((t) => t.p50Ms),
    p99Ms: med((t) => t.p99Ms),
    loss: mine.reduce((total, t) => total + t.sent * n - t.received, 0),
    stalls: mine.reduce((total, t) => total + t.stalls, 0),
    serversCpuUsPerDelivery: med((t) => t.relayCpuUsPerDelivery),
    serversCpuUsPerMsg: med((t) => t.serversCpuUsPerMsg),
    busCpuUsPerMsg: NaN,
    senderExtraCpuUsPerMsg: NaN,
    serversNetCpuUsPerMsg: med((t) => t.serversNetCpuUsPerMsg),
    senderNetCpuUsPerMsg: med((t) => t.senderNetCpuUsPerMsg),
    redisNetCpuUsPerMsg: med((t) => t.redisNetCpuUsPerMsg),
    publishBytesPerMsg: med((t) => t.publishBytesPerMsg),
    redisOutBytesPerMsg: med((t) => t.redisOutBytesPerMsg),
    quietCpuPct: med((t) => t.quietCpuPct),
    beatBytesPerSec: med((t) => t.beatBytesPerSec),
    serversCpuPct: med((t) => t.relayCpuPct),
    redisCpuPct: med((t) => t.redisCpuPct),
    harnessCpuPct: med((t) => t.harnessCpuPct),
    othersCpuPct: med((t) => t.othersCpuPct),
    bus: config.cluster ? sumBus(mine.map((t) => t.bus)) : null,
    rounds: mine.map((t) => Math.round(t.deliveriesPerSec)),
  };
}

/** Fills in each row's ratios and the bus's cost against the baseline row of its N. */
function againstBaseline(rows: ConfigSummary[]): void {
  for (const r of rows) {
    const n = r.n;
    const base = rows.find((b) => b.n === n && b.config === 'single');
    r.ratio = ratio(r.deliveriesPerSec, base?.deliveriesPerSec);
    r.cpuRatio = ratio(r.serversCpuUsPerDelivery, base?.serversCpuUsPerDelivery);
    if (!base || r === base) continue;
    r.busCpuUsPerMsg = r.serversNetCpuUsPerMsg - base.serversNetCpuUsPerMsg;
    // s0 holds its share of the receivers, and the sender: the baseline's CPU for that share.
    const share = (peersOn(r.servers, n)[0]! - 1) / n;
    r.senderExtraCpuUsPerMsg = r.senderNetCpuUsPerMsg - base.serversNetCpuUsPerMsg * share;
  }
}

function renderThroughput(rows: readonly ConfigSummary[]): string {
  return table(
    ['N', 'config', 'deliveries/s', 'vs single', 'p50 ms', 'p99 ms', 'loss', 'stalls', 'servers cpu', 'redis cpu', 'harness cpu', 'others cpu'],
    rows.map((r) => [String(r.n), r.config, count(r.deliveriesPerSec), times(r.ratio), fixed(r.p50Ms, 2), fixed(r.p99Ms, 2), String(r.loss), String(r.stalls), percent(r.serversCpuPct), percent(r.redisCpuPct), percent(r.harnessCpuPct), percent(r.othersCpuPct)]),
  );
}

function renderCost(rows: readonly ConfigSummary[]): string {
  return table(
    ['N', 'config', 'servers us/dlv', 'vs single', 'servers us/msg', 'bus us/msg', 's0 extra us/msg', 'redis us/msg', 'publish B/msg', 'redis out B/msg', 'quiet cpu', 'beats B/s'],
    rows.map((r) => [
      String(r.n),
      r.config,
      fixed(r.serversCpuUsPerDelivery, 2),
      times(r.cpuRatio),
      fixed(r.serversNetCpuUsPerMsg, 0),
      fixed(r.busCpuUsPerMsg, 0),
      fixed(r.senderExtraCpuUsPerMsg, 0),
      fixed(r.redisNetCpuUsPerMsg, 1),
      fixed(r.publishBytesPerMsg, 0),
      fixed(r.redisOutBytesPerMsg, 0),
      `${fixed(r.quietCpuPct, 1)}%`,
      count(r.beatBytesPerSec),
    ]),
  );
}

/** What a reader must know to read the rows right: the cores, a saturated harness, anything lost on the bus. */
function notesFor(rows: readonly ConfigSummary[], cores: number): string[] {
  const notes = [
    `this machine has ${cores} core${cores === 1 ? '' : 's'}: the servers, redis-server and the harness share them, so past ${cores} busy processes more servers cannot add throughput; the cluster rows show what the bus costs, not a speed-up`,
  ];
  const saturated = rows.filter((r) => r.harnessCpuPct >= SATURATED_PCT);
  if (saturated.length > 0) {
    notes.push(
      `the harness (the sender and all the receivers, one process) was at ${saturated.map((r) => `${percent(r.harnessCpuPct)} (N=${r.n} ${r.config})`).join(', ')} of a core: ` +
        'its ceiling bounds deliveries/s there as much as the servers do; CPU per delivery is the steadier comparison',
    );
  }
  const crowded = rows.filter((r) => r.othersCpuPct >= OTHERS_PCT);
  if (crowded.length > 0) {
    notes.push(
      `other programs on this machine took ${crowded.map((r) => `${percent(r.othersCpuPct)} (N=${r.n} ${r.config})`).join(', ')} of a core during the load: ` +
        'deliveries/s and latency are lower and noisier than on a quiet machine; CPU per delivery much less so',
    );
  }
  for (const r of rows) {
    if (r.bus && (r.bus.refused || r.bus.missed || r.bus.unsent || r.bus.linkLost)) notes.push(`N=${r.n} ${r.config}: the bus counted refused ${r.bus.refused}, missed ${r.bus.missed}, unsent ${r.bus.unsent}, link lost ${r.bus.linkLost}`);
  }
  return notes;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const cores = os.availableParallelism();
  const redis = await startBenchRedis();
  if (typeof redis === 'string') {
    print(options.json, { skipped: redis }, () => `bench-cluster: skipped, nothing measured: ${redis}`);
    return;
  }
  const began = performance.now();
  const trials: ClusterTrial[] = [];
  let link: LoadLink | null = null;
  try {
    link = new ChildLink<ToChild, FromChild>(new URL('./relay/child.js', import.meta.url));
    for (const shape of options.shapes) {
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? options.configs : [...options.configs].reverse();
        for (const config of order) trials.push(await runClusterTrial(link, redis, config, shape, round));
      }
    }
  } finally {
    await link?.close();
    await redis.close();
  }
  const rows = options.shapes.flatMap((shape) => options.configs.map((c) => summarize(c, trials.filter((t) => t.n === shape.n && t.config === c.label), shape.n)));
  againstBaseline(rows);
  const notes = notesFor(rows, cores);
  const seconds = (performance.now() - began) / 1000;
  const data = { quick: options.quick, seconds, cores, shapes: options.shapes, rounds: options.rounds, summaries: rows, trials, notes };
  print(options.json, data, () =>
    [
      `One room: N UDP receivers spread over K server processes, one sender on server s0 (${options.shapes.map((s) => `N=${s.n}: ${s.count} lines a trial, ${s.window} x ${s.burst} in flight`).join('; ')}); single = one process without --cluster`,
      renderThroughput(rows),
      '',
      renderCost(rows),
      '',
      `medians of ${options.rounds} round${options.rounds === 1 ? '' : 's'} (alternating order); loss and stalls summed over them; cpu columns in percent of one core during the load`,
      'us/dlv per delivery (all servers); us/msg and B/msg per line sent, with what comes with time taken out (quiet cpu times the load\'s length; the beats\' bytes):',
      'bus = all servers minus single, s0 extra = the sending server minus single for its share of receivers; quiet cpu = servers and Redis with no line sent (sweeps, and the beats:',
      'one script a second from each server naming all its peers, beats B/s into Redis)',
      ...notes.map((note) => `note: ${note}`),
      `${seconds.toFixed(0)} s`,
    ].join('\n'),
  );
}

runMain(import.meta.url, USAGE, main);
