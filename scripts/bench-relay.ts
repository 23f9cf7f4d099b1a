/**
 * Relay throughput: one sender, N receivers, all on 127.0.0.1, through relays measured under one
 * harness in the same run, in alternating order, so the ratios between them hold on any machine:
 *
 *   UDP (N = 1, 10, 100, 1000)
 *     bare         a dgram relay of a few lines (scripts/relay/bare.ts): each datagram from the
 *                  sender goes, as the same buffer, to every receiver. The most any Node relay can do.
 *     udp-chat     startChatServer() with NO_LIMITS: the receivers and the sender join the room with
 *                  `/ping`, and each chat line is parsed, escaped, re-encoded and broadcast.
 *   TCP (N = 10, 100, 1000, N = 10 with one message in flight, N = 100 with 16 in flight)
 *     bare         a net relay of a few lines: each chunk read goes, as it is, to every other socket.
 *     udp-chat     startChatServer({ transport: 'tcp' }) with NO_LIMITS (no receiver dropped as slow).
 *     ncat --chat  ncat's chat broker, a C program (scripts/relay/ncat.ts; `-m N+16`). It prefixes
 *                  each chunk it reads with `<userFD> `; a line split across two of its reads
 *                  arrives damaged and counts as lost. Left out when ncat is not installed.
 *
 * The relay under test runs in this process (ncat in a child process group of its own); the
 * sender and receivers run in a forked child (scripts/relay/child.ts), so on a 2-core machine
 * they do not take the relay's CPU. The sender is a windowed closed loop (scripts/relay/load.ts):
 * bursts of B messages, at most W bursts unfinished, so at most W x B messages are in flight (sent
 * and not yet at every receiver). The default rows use W = 2 and B = 2000/N clamped to 8..64 (so
 * 2 x 64 at N = 1 and 10, 2 x 20 at N = 100, 2 x 8 at N = 1000); the TCP "one in flight" row is
 * W = 1, B = 1 at N = 10, and the "16 in flight" row W = 1, B = 16 at N = 100: one write of 16
 * lines, and the next only once all 16 have reached all N.
 *
 * Reported per row and relay: deliveries/s (messages received by all receivers / elapsed, the
 * median over rounds), the ratio to the bare relay (and for TCP to ncat --chat), latency p50 and
 * p99 (under load, so they include the wait behind the window), loss (sent*N - received, summed),
 * and the relay's CPU time per delivery, the steadier comparison on a shared machine. When the
 * harness is near 100% of a core and the relay is not, the harness was the bottleneck.
 *
 * Run length: a message at N = 1000 costs a thousand deliveries, and setting up a trial means
 * N joins, each announced to everyone already in (ncat --chat takes some 20 s of it at TCP
 * N = 1000). So the N = 1000 rows send fewer messages (200 a trial, 200,000 deliveries), run no
 * warm-up pass (the smaller N before them have warmed the code), and run 2 rounds (UDP) or 1
 * (TCP) instead of 4 (UDP) and 3 (TCP): the default run takes about two minutes on a 2-core
 * machine. --quick sends a twentieth of the messages, 2 rounds (1 at N = 1000), no warm-up pass.
 * ncat --chat multiplexes with select(), so N much above 1000 is out of its reach (FD_SETSIZE).
 *
 *   node dist/scripts/bench-relay.js [--quick] [--json] [--rounds R] [--burst B] [--window W]
 *     [--n 1,10,100,1000] [--relay bare,udp-chat,ncat] [--transport udp|tcp|both]
 */
import { BENCH_FLAGS, choiceList, flags, int, intList, runMain, transports, wantsHelp } from './harness/args.js';
import { ChildLink, have, killAllGroups } from './harness/process.js';
import { count, fixed, median, percent, print, ratio, table, times, verdict } from './harness/report.js';
import { runTcpTrial } from './relay/tcp.js';
import { burstFor, type FromChild, type RelayKind, type Shape, type TcpRelayKind, type ToChild, type Trial } from './relay/trial.js';
import { runUdpTrial } from './relay/udp.js';

const USAGE = 'node dist/scripts/bench-relay.js [--quick] [--json] [--rounds R] [--burst B] [--window W] [--n 1,10,100,1000] [--relay bare,udp-chat,ncat] [--transport udp|tcp|both]';
const UDP_N = [1, 10, 100, 1000];
const TCP_N = [10, 100, 1000];
/** Messages per trial at each N: the deliveries (messages x N) stay within a few hundred thousand. */
const MESSAGES: Readonly<Record<number, number>> = { 1: 40_000, 10: 12_000, 100: 2_000, 1000: 200 };
const QUICK_DIVISOR = 20;
/** Bursts in flight by default: one being relayed while the next is queued keeps the relay busy. */
const WINDOW = 2;
/**
 * The explicit small-window TCP rows: at N = 10 one message in flight (a latency-bound relay:
 * send, wait for all 10, send the next), at N = 100 one burst of 16 lines at a time. One
 * message in flight moves few messages a second, so that row sends fewer.
 */
const SMALL: readonly { n: number; window: number; burst: number; messages?: number }[] = [
  { n: 10, window: 1, burst: 1, messages: 4000 },
  { n: 100, window: 1, burst: 16 },
];
const TARGET_N = 100;
const TARGET_RATIO = 0.9;
/** The N at which udp-chat's TCP relay is to be ahead of ncat --chat. */
const TCP_TARGET_N = [10, 100];

/** One row of the report: a transport, N, and how the sender loads the relays. */
interface Scenario extends Shape {
  transport: 'udp' | 'tcp';
  rounds: number;
  /** `W x B`: bursts in flight x messages per burst. */
  inFlight: string;
}

/** Every round of one relay in one scenario, folded into one row. */
export interface RelaySummary {
  transport: 'udp' | 'tcp';
  n: number;
  inFlight: string;
  relay: TcpRelayKind;
  messages: number;
  deliveriesPerSec: number;
  /** deliveries/s over the bare relay's, and over ncat's (TCP). */
  ratio: number;
  ncatRatio: number;
  p50Ms: number;
  p99Ms: number;
  loss: number;
  stalls: number;
  relayCpuUsPerDelivery: number;
  relayCpuPct: number;
  harnessCpuPct: number;
  rounds: number[];
}

interface Options {
  quick: boolean;
  json: boolean;
  scenarios: Scenario[];
  relays: TcpRelayKind[];
}

function parseOptions(argv: readonly string[]): Options | null {
  const v = flags(argv, { ...BENCH_FLAGS, burst: { type: 'string' }, window: { type: 'string' }, n: { type: 'string' }, relay: { type: 'string' } });
  if (wantsHelp(v)) return null;
  const quick = v.quick ?? false;
  const rounds = int(v.rounds, 'rounds', 0);
  const burst = int(v.burst, 'burst', 0);
  const window = int(v.window, 'window', WINDOW);
  const chosen = v.n === undefined ? null : intList(v.n, 'n', [], 1, 1000);
  const scenario = (transport: 'udp' | 'tcp', n: number, shape?: { window: number; burst: number; messages?: number }): Scenario => {
    const w = shape?.window ?? window;
    const b = shape?.burst ?? (burst || burstFor(n));
    const big = n >= 1000;
    const defaultRounds = quick ? (big ? 1 : 2) : big ? (transport === 'udp' ? 2 : 1) : transport === 'udp' ? 4 : 3;
    const messages = shape?.messages ?? MESSAGES[n] ?? Math.max(200, Math.round(200_000 / n));
    return { transport, n, window: w, burst: b, count: Math.max(100, Math.round(messages / (quick ? QUICK_DIVISOR : 1))), rounds: rounds || defaultRounds, inFlight: `${w} x ${b}` };
  };
  const scenarios: Scenario[] = [];
  for (const transport of transports(v.transport)) {
    for (const n of chosen ?? (transport === 'udp' ? UDP_N : TCP_N)) {
      scenarios.push(scenario(transport, n));
      // The small-window rows, after the default row of their N, unless --window or --burst fix the shape.
      if (transport !== 'tcp' || v.window || v.burst) continue;
      for (const small of SMALL.filter((x) => x.n === n)) scenarios.push(scenario('tcp', n, small));
    }
  }
  // One relay alone is for a profile of it (node --cpu-prof); there is no ratio then.
  const relays = choiceList(v.relay, 'relay', ['bare', 'udp-chat', 'ncat'] as const, ['bare', 'udp-chat', 'ncat']);
  return { quick, json: v.json ?? false, scenarios, relays };
}

function runTrial(link: ChildLink<ToChild, FromChild>, s: Scenario, relay: TcpRelayKind, shape: Shape, round: number): Promise<Trial> {
  return s.transport === 'udp' ? runUdpTrial(link, relay as RelayKind, shape, round) : runTcpTrial(link, relay, shape, round);
}

/** Folds every round of one relay in one scenario into one row. */
function summarize(s: Scenario, relay: TcpRelayKind, mine: readonly Trial[]): RelaySummary {
  return {
    transport: s.transport,
    n: s.n,
    inFlight: s.inFlight,
    relay,
    messages: mine[0]?.sent ?? 0,
    deliveriesPerSec: median(mine.map((t) => t.deliveriesPerSec)),
    ratio: NaN,
    ncatRatio: NaN,
    p50Ms: median(mine.map((t) => t.p50Ms)),
    p99Ms: median(mine.map((t) => t.p99Ms)),
    loss: mine.reduce((sum, t) => sum + t.sent * s.n - t.received, 0),
    stalls: mine.reduce((sum, t) => sum + t.stalls, 0),
    relayCpuUsPerDelivery: median(mine.map((t) => t.relayCpuUsPerDelivery)),
    relayCpuPct: median(mine.map((t) => t.relayCpuPct)),
    harnessCpuPct: median(mine.map((t) => t.harnessCpuPct)),
    rounds: mine.map((t) => Math.round(t.deliveriesPerSec)),
  };
}

function render(rows: readonly RelaySummary[], withNcat: boolean): string {
  const header = ['N', 'relay', 'in flight', 'deliveries/s', 'vs bare', ...(withNcat ? ['vs ncat'] : []), 'p50 ms', 'p99 ms', 'loss', 'relay cpu us/dlv', 'relay cpu', 'harness cpu'];
  return table(
    header,
    rows.map((s) => [
      String(s.n),
      s.relay === 'ncat' ? 'ncat --chat' : s.relay,
      s.inFlight,
      count(s.deliveriesPerSec),
      times(s.ratio),
      ...(withNcat ? [times(s.ncatRatio)] : []),
      fixed(s.p50Ms, 3),
      fixed(s.p99Ms, 3),
      String(s.loss),
      fixed(s.relayCpuUsPerDelivery, 2),
      percent(s.relayCpuPct),
      percent(s.harnessCpuPct),
    ]),
  );
}

/** The informational target: at N=100, udp-chat relays at least 0.9x what the bare relay does. */
function udpVerdict(rows: readonly RelaySummary[]): { measured: number | null; pass: boolean | null; line: string } {
  const chat = rows.find((s) => s.transport === 'udp' && s.n === TARGET_N && s.relay === 'udp-chat');
  const measured = chat && !Number.isNaN(chat.ratio) ? chat.ratio : null;
  const pass = measured === null ? null : measured >= TARGET_RATIO;
  const result = pass === null ? 'not measured in this run' : `${verdict(pass)} (${measured!.toFixed(2)}x)`;
  return { measured, pass, line: `target: at N=${TARGET_N} udp-chat >= ${TARGET_RATIO}x bare relay deliveries/s: ${result}` };
}

/** The TCP target: udp-chat's relay ahead of ncat --chat in deliveries/s at N=10 and N=100 (default window). */
function tcpVerdict(rows: readonly RelaySummary[], notes: readonly string[]): { ratios: (number | null)[]; cpuRatios: (number | null)[]; pass: boolean | null; line: string } {
  const pick = (n: number, relay: TcpRelayKind) => rows.find((s) => s.transport === 'tcp' && s.n === n && s.inFlight === `${WINDOW} x ${burstFor(n)}` && s.relay === relay);
  const ratios = TCP_TARGET_N.map((n) => {
    const r = ratio(pick(n, 'udp-chat')?.deliveriesPerSec, pick(n, 'ncat')?.deliveriesPerSec);
    return Number.isNaN(r) ? null : r;
  });
  const cpuRatios = TCP_TARGET_N.map((n) => {
    const r = ratio(pick(n, 'udp-chat')?.relayCpuUsPerDelivery, pick(n, 'ncat')?.relayCpuUsPerDelivery);
    return Number.isNaN(r) ? null : r;
  });
  const pass = ratios.some((r) => r === null) ? null : ratios.every((r) => r! > 1);
  const label = `target: TCP relay at ${TCP_TARGET_N.map((n) => `N=${n}`).join(' and ')}: udp-chat ahead of ncat --chat`;
  if (pass === null) return { ratios, cpuRatios, pass, line: `${label}: not measured in this run${notes.length ? ` (${notes[0]})` : ''}` };
  const detail = TCP_TARGET_N.map((n, i) => `N=${n} ${ratios[i]!.toFixed(2)}x`).join(', ');
  const cpu = cpuRatios.every((r) => r !== null) ? `; relay CPU per delivery ${cpuRatios.map((r) => `${r!.toFixed(2)}x`).join(', ')} ncat's` : '';
  return { ratios, cpuRatios, pass, line: `${label}: ${verdict(pass)} (deliveries/s ${detail}${cpu})` };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const notes: string[] = [];
  let relays = options.relays;
  if (relays.includes('ncat') && options.scenarios.some((s) => s.transport === 'tcp') && !have('ncat')) {
    notes.push('ncat is not installed (Debian: apt-get install ncat): ncat --chat left out');
    relays = relays.filter((r) => r !== 'ncat');
  }
  const relaysFor = (s: Scenario): TcpRelayKind[] => (s.transport === 'udp' ? relays.filter((r) => r !== 'ncat') : relays);
  const began = performance.now();
  const link = new ChildLink<ToChild, FromChild>(new URL('./relay/child.js', import.meta.url));
  const trials: { scenario: Scenario; trial: Trial }[] = [];
  try {
    for (const s of options.scenarios) {
      const mine = relaysFor(s);
      // A short unrecorded pass of each relay first, so none is measured while still cold; not at
      // N = 1000, whose setup (N joins, each announced to all) is long and which runs after the
      // smaller N have warmed the same code.
      if (!options.quick && s.n < 1000) for (const relay of mine) await runTrial(link, s, relay, { ...s, count: Math.max(s.burst, Math.round(s.count / 5)) }, -1);
      for (let round = 0; round < s.rounds; round++) {
        const order = round % 2 === 0 ? mine : [...mine].reverse();
        for (const relay of order) trials.push({ scenario: s, trial: await runTrial(link, s, relay, s, round) });
      }
    }
  } finally {
    killAllGroups();
    await link.close();
  }
  const rows: RelaySummary[] = [];
  for (const s of options.scenarios) {
    const mine = relaysFor(s).map((relay) => summarize(s, relay, trials.filter((t) => t.scenario === s && t.trial.relay === relay).map((t) => t.trial)));
    const bare = mine.find((r) => r.relay === 'bare');
    const ncat = mine.find((r) => r.relay === 'ncat');
    for (const r of mine) {
      r.ratio = ratio(r.deliveriesPerSec, bare?.deliveriesPerSec);
      r.ncatRatio = ratio(r.deliveriesPerSec, ncat?.deliveriesPerSec);
    }
    rows.push(...mine);
  }
  const udpRows = rows.filter((r) => r.transport === 'udp');
  const tcpRows = rows.filter((r) => r.transport === 'tcp');
  const udpTarget = udpVerdict(rows);
  const tcpTarget = tcpVerdict(rows, notes);
  const seconds = (performance.now() - began) / 1000;
  const data = { quick: options.quick, seconds, scenarios: options.scenarios, summaries: rows, trials: trials.map((t) => ({ transport: t.scenario.transport, n: t.scenario.n, inFlight: t.scenario.inFlight, ...t.trial })), targets: { udp: udpTarget, tcp: tcpTarget }, notes };
  print(options.json, data, () => {
    const rounds = (list: readonly RelaySummary[]) => [...new Set(options.scenarios.filter((s) => list.some((r) => r.transport === s.transport)).map((s) => s.rounds))].join('/');
    const footer = (list: readonly RelaySummary[]) =>
      `medians of ${rounds(list)} rounds (alternating order); in flight = bursts in flight x messages per burst; ` +
      `loss = sent*N - received over all rounds; relay cpu us/dlv = relay process CPU time per delivery\n`;
    let out = '';
    if (udpRows.length > 0) out += `UDP: one UDP sender to N UDP receivers\n${render(udpRows, false)}\n\n${footer(udpRows)}${udpTarget.line}\n`;
    if (tcpRows.length > 0) {
      out +=
        `${out ? '\n' : ''}TCP: one TCP sender to N TCP receivers\n${render(tcpRows, tcpRows.some((r) => r.relay === 'ncat'))}\n\n${footer(tcpRows)}` +
        `ncat --chat runs in a child process (relay cpu from /proc); bare and udp-chat in this one; a burst is one write of its lines\n` +
        `${tcpTarget.line}\n`;
    }
    return `${out}${notes.map((note) => `note: ${note}\n`).join('')}${seconds.toFixed(0)} s`;
  });
}

runMain(import.meta.url, USAGE, main);
