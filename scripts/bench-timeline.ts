/**
 * What the page's live timeline costs the relay: udp-chat's room serving its page (--web) with no
 * page on `/timeline` (closed) and with one subscriber reading every batch (open), side by side
 * in the same run, in alternating order, on the relay benchmark's harness (scripts/relay/: one
 * sender and N receivers in a forked child, the windowed closed-loop load). The subscriber runs in
 * that child too, so its reading does not take the relay's CPU, as a browser's would not.
 *
 *   UDP N = 10, 100; TCP N = 10 (default window: 2 bursts in flight, 2000/N messages each)
 *
 * Reported per row: deliveries/s (median over rounds) closed and open, their ratio, the relay's
 * CPU time per delivery each way and its ratio (the steadier measure on a shared machine), and
 * the feed's frames and bytes a second. Target: the relay
 * keeps at least 0.9x its deliveries/s with the timeline open (issue 11: less than 10% drop).
 * Then the recorder's own cost without sockets (scripts/timeline/room-cost.ts): ns per message
 * through room.receive() with the timeline off and on, at N = 10 and 100 links that send nothing.
 *
 *   node dist/scripts/bench-timeline.js [--quick] [--json] [--rounds R] [--n 10,100] [--transport udp|tcp|both]
 */
import { BENCH_FLAGS, flags, int, intList, runMain, transports, wantsHelp } from './harness/args.js';
import { ChildLink, killAllGroups } from './harness/process.js';
import { count, fixed, median, print, ratio, table, times, verdict } from './harness/report.js';
import { runTcpTrial } from './relay/tcp.js';
import type { FeedMode, FromChild, Shape, ToChild, Trial } from './relay/trial.js';
import { runUdpTrial } from './relay/udp.js';
import { roomCost, type RoomCost } from './timeline/room-cost.js';

const USAGE = 'node dist/scripts/bench-timeline.js [--quick] [--json] [--rounds R] [--n 10,100] [--transport udp|tcp|both]';
const N: Readonly<Record<'udp' | 'tcp', readonly number[]>> = { udp: [10, 100], tcp: [10] };
/**
 * Messages per trial, as bench-relay's rows of the same N; TCP relays some twenty times faster,
 * so its trials send more, to last a second or so: ten batches of the feed, not less than one.
 */
const MESSAGES: Readonly<Record<'udp' | 'tcp', Readonly<Record<number, number>>>> = {
  udp: { 1: 40_000, 10: 12_000, 100: 2_000, 1000: 200 },
  tcp: { 10: 150_000, 100: 20_000, 1000: 2_000 },
};
const QUICK_DIVISOR = 10;
const WINDOW = 2;
const TARGET_RATIO = 0.9;
const MODES: readonly FeedMode[] = ['closed', 'open'];

interface Scenario extends Shape {
  transport: 'udp' | 'tcp';
  rounds: number;
}

interface Row {
  transport: 'udp' | 'tcp';
  n: number;
  messages: number;
  closed: number;
  open: number;
  ratio: number;
  cpuClosed: number;
  cpuOpen: number;
  cpuRatio: number;
  feedFramesPerSec: number;
  feedBytesPerSec: number;
  loss: number;
  rounds: { closed: number[]; open: number[] };
}

function parseOptions(argv: readonly string[]): { quick: boolean; json: boolean; scenarios: Scenario[] } | null {
  const v = flags(argv, { ...BENCH_FLAGS, n: { type: 'string' } });
  if (wantsHelp(v)) return null;
  const quick = v.quick ?? false;
  const rounds = int(v.rounds, 'rounds', quick ? 2 : 4);
  const chosen = v.n === undefined ? null : intList(v.n, 'n', [], 1, 1000);
  const scenarios: Scenario[] = [];
  for (const transport of transports(v.transport)) {
    for (const n of chosen ?? N[transport]) {
      const burst = Math.max(8, Math.min(64, Math.round(2000 / n)));
      const messages = MESSAGES[transport][n] ?? Math.max(200, Math.round((transport === 'tcp' ? 2_000_000 : 200_000) / n));
      scenarios.push({ transport, n, window: WINDOW, burst, count: Math.max(100, Math.round(messages / (quick ? QUICK_DIVISOR : 1))), rounds });
    }
  }
  return { quick, json: v.json ?? false, scenarios };
}

function runTrial(link: ChildLink<ToChild, FromChild>, s: Scenario, mode: FeedMode, shape: Shape, round: number): Promise<Trial> {
  return s.transport === 'udp' ? runUdpTrial(link, 'udp-chat', shape, round, mode) : runTcpTrial(link, 'udp-chat', shape, round, mode);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const began = performance.now();
  const link = new ChildLink<ToChild, FromChild>(new URL('./relay/child.js', import.meta.url));
  const trials: { scenario: Scenario; mode: FeedMode; trial: Trial }[] = [];
  try {
    for (const s of options.scenarios) {
      // An unrecorded pass of each first, so neither is measured cold.
      if (!options.quick) for (const mode of MODES) await runTrial(link, s, mode, { ...s, count: Math.max(s.burst, Math.round(s.count / 5)) }, -1);
      for (let round = 0; round < s.rounds; round++) {
        const order = round % 2 === 0 ? MODES : [...MODES].reverse();
        for (const mode of order) trials.push({ scenario: s, mode, trial: await runTrial(link, s, mode, s, round) });
      }
    }
  } finally {
    killAllGroups();
    await link.close();
  }
  const rows: Row[] = options.scenarios.map((s) => {
    const of = (mode: FeedMode) => trials.filter((t) => t.scenario === s && t.mode === mode).map((t) => t.trial);
    const closed = of('closed');
    const open = of('open');
    const perSec = (t: Trial, v: number | undefined) => (t.elapsedMs > 0 ? ((v ?? 0) / t.elapsedMs) * 1000 : 0);
    const row: Row = {
      transport: s.transport,
      n: s.n,
      messages: s.count,
      closed: median(closed.map((t) => t.deliveriesPerSec)),
      open: median(open.map((t) => t.deliveriesPerSec)),
      ratio: NaN,
      cpuClosed: median(closed.map((t) => t.relayCpuUsPerDelivery)),
      cpuOpen: median(open.map((t) => t.relayCpuUsPerDelivery)),
      cpuRatio: NaN,
      feedFramesPerSec: median(open.map((t) => perSec(t, t.feedFrames))),
      feedBytesPerSec: median(open.map((t) => perSec(t, t.feedBytes))),
      loss: [...closed, ...open].reduce((sum, t) => sum + t.sent * s.n - t.received, 0),
      rounds: { closed: closed.map((t) => Math.round(t.deliveriesPerSec)), open: open.map((t) => Math.round(t.deliveriesPerSec)) },
    };
    row.ratio = ratio(row.open, row.closed);
    row.cpuRatio = ratio(row.cpuOpen, row.cpuClosed);
    return row;
  });
  const cost: RoomCost[] = [10, 100].map((n) => roomCost(n, options.quick ? 50_000 : 300_000, options.quick ? 3 : 7));
  const worst = Math.min(...rows.map((r) => r.ratio));
  const pass = rows.length > 0 && rows.every((r) => r.ratio >= TARGET_RATIO);
  const target = `target: with the timeline open the relay keeps >= ${TARGET_RATIO}x its deliveries/s: ${verdict(pass)} (worst ${worst.toFixed(2)}x)`;
  const seconds = (performance.now() - began) / 1000;
  print(options.json, { quick: options.quick, seconds, scenarios: options.scenarios, rows, roomCost: cost, target: { ratio: TARGET_RATIO, worst, pass }, trials: trials.map((t) => ({ transport: t.scenario.transport, n: t.scenario.n, mode: t.mode, ...t.trial })) }, () => {
    const body = table(
      ['transport', 'N', 'msgs/trial', 'closed dlv/s', 'open dlv/s', 'open/closed', 'cpu us/dlv closed', 'cpu us/dlv open', 'cpu open/closed', 'feed frames/s', 'feed KB/s', 'loss'],
      rows.map((r) => [
        r.transport,
        String(r.n),
        String(r.messages),
        count(r.closed),
        count(r.open),
        times(r.ratio),
        fixed(r.cpuClosed, 3),
        fixed(r.cpuOpen, 3),
        times(r.cpuRatio),
        fixed(r.feedFramesPerSec, 1),
        fixed(r.feedBytesPerSec / 1024, 1),
        String(r.loss),
      ]),
    );
    const costTable = table(
      ['N', 'ns/msg timeline off', 'ns/msg on', 'on - off'],
      cost.map((c) => [String(c.n), fixed(c.offNs, 0), fixed(c.onNs, 0), `${fixed(c.onNs - c.offNs, 0)} ns (${times(ratio(c.onNs, c.offNs))})`]),
    );
    return (
      `udp-chat relay, its page served (--web): no page on /timeline (closed) vs one subscriber reading it (open)\n${body}\n\n` +
      `medians of ${options.scenarios[0]?.rounds ?? 0} rounds (alternating order); loss = sent*N - received over all rounds\n${target}\n\n` +
      `the room alone (room.receive, links that send nothing), timeline off vs on past its batch share\n${costTable}\n${seconds.toFixed(0)} s`
    );
  });
}

runMain(import.meta.url, USAGE, main);
