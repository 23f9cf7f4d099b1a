/**
 * What the relay benchmark's two processes share: the relays' names, the requests the parent
 * sends its forked sender/receivers child and the replies, and one trial's measurement.
 */
import type { ChildLink } from '../harness/process.js';

/** Which relay a UDP trial measures. */
export type RelayKind = 'bare' | 'udp-chat';

/** Which relay a TCP trial measures: ncat brokers TCP only ("ncat refuses to broker UDP"). */
export type TcpRelayKind = RelayKind | 'ncat';

/** How the sender loads a relay: bursts of `burst` messages, at most `window` bursts in flight. */
export interface Shape {
  n: number;
  count: number;
  burst: number;
  window: number;
}

/** What the sender/receivers child measured in one trial. */
export interface LoadResult {
  sent: number;
  received: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Bursts whose deliveries did not all arrive before the deadline. */
  stalls: number;
  /** The child's CPU use during the load, in percent of one core. */
  harnessCpuPct: number;
  /** With a timeline subscriber (bench-timeline.ts): the frames and bytes it got during the load. */
  feedFrames?: number;
  feedBytes?: number;
}

/** One trial: a relay, a load, and what was measured. */
export interface Trial extends LoadResult {
  relay: TcpRelayKind;
  round: number;
  deliveriesPerSec: number;
  /** The relay process's CPU time per delivery, in microseconds. */
  relayCpuUsPerDelivery: number;
  /** The relay process's CPU use during the load, in percent of one core. */
  relayCpuPct: number;
  /** With a relay of several processes (Relay.cpuParts): each one's CPU time during the load, in us. */
  relayCpuPartsUs?: number[];
  /** The wall time the relay's CPU was measured over: from the child's `started` to its result. */
  wallMs: number;
}

/** Requests to the child, which runs the sender and the receivers. */
export type ToChild =
  | { type: 'open'; n: number }
  /**
   * Joins the receivers to the rooms on `ports` (receiver i to ports[i % length]) and the
   * sender to `port`, and replies `joined`: the parent can then wait for the relay to settle
   * before it asks for the load with `joined: true` (bench-cluster.ts: the joins must have
   * crossed the bus to every server first).
   */
  | { type: 'udp-join'; port: number; ports: number[]; n: number }
  /** `keep`: the sockets stay open and joined after the load, for another run (a warm-up before the measured one). */
  | ({ type: 'udp-run'; relay: RelayKind; port: number; feedPort?: number; joined?: boolean; keep?: boolean } & Shape)
  | ({ type: 'tcp-run'; relay: TcpRelayKind; port: number; feedPort?: number } & Shape);

/**
 * udp-chat's page for bench-timeline.ts: `closed` serves the page (--web) with no page on its
 * live timeline, `open` with one subscriber to `/timeline` in the child, reading every batch.
 */
export type FeedMode = 'closed' | 'open';

/** The child's replies. */
export type FromChild = { type: 'opened'; receivers: number[]; sender: number } | { type: 'joined' } | { type: 'started' } | { type: 'result'; result: LoadResult };

/** The parent's link to the child. */
export type LoadLink = ChildLink<ToChild, FromChild>;

/** A relay under test: where it listens, its CPU time so far (us; NaN when unreadable), its close. */
export interface Relay {
  port: number;
  /** Where the child's subscriber reads the live timeline (udp-chat with --web, feed `open`). */
  feedPort?: number;
  cpuUs(): number;
  /** A relay of several processes (bench-cluster.ts): each one's CPU time so far, in us, for a breakdown of cpuUs. */
  cpuParts?(): number[];
  close(): Promise<void>;
}

/** The text every message starts with: `bench SEQ TIME`. */
export const MARK = 'bench ';
/** How long a burst may take to arrive in full before the sender counts a stall and goes on. */
export const BURST_DEADLINE_MS = 250;
/** How long one request to the child may take, beyond the load itself. */
export const IPC_DEADLINE_MS = 10_000;

/** Messages per burst by default: about 2000 deliveries, 8 to 64 (two bursts in flight must fit the relay's default receive buffer). */
export function burstFor(n: number): number {
  return Math.max(8, Math.min(64, Math.round(2000 / n)));
}

/** How long N receivers and a sender get to join a relay: more for a thousand than for ten. */
export function joinDeadlineMs(n: number): number {
  return 3000 + 10 * n;
}

/**
 * Sends the run request and measures it: the relay's CPU time and the wall time between the
 * child's `started` (sockets joined, load about to go) and its `result`.
 */
export async function measure(link: LoadLink, relay: Relay, request: Extract<ToChild, { type: 'udp-run' | 'tcp-run' }>, round: number): Promise<Trial> {
  link.send(request);
  await link.next('started', IPC_DEADLINE_MS + joinDeadlineMs(request.n));
  const cpu = relay.cpuUs();
  const parts = relay.cpuParts?.();
  const start = performance.now();
  const { result } = await link.next('result', IPC_DEADLINE_MS + Math.ceil(request.count / request.burst) * BURST_DEADLINE_MS);
  const cpuUs = relay.cpuUs() - cpu;
  const partsUs = parts && relay.cpuParts!().map((us, i) => us - parts[i]!);
  const wallMs = performance.now() - start;
  return {
    ...result,
    ...(partsUs ? { relayCpuPartsUs: partsUs } : {}),
    wallMs,
    relay: request.relay,
    round,
    deliveriesPerSec: result.elapsedMs > 0 ? (result.received / result.elapsedMs) * 1000 : 0,
    relayCpuUsPerDelivery: result.received > 0 ? cpuUs / result.received : NaN,
    relayCpuPct: wallMs > 0 ? (cpuUs / 1000 / wallMs) * 100 : NaN,
  };
}
