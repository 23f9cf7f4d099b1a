/**
 * What the impairment proxy does to each datagram, decided without sockets or timers so it can be
 * tested with fixed seeds. Names follow netem: loss (with correlation, for bursts), delay and jitter,
 * reorder, duplicate, rate. Every datagram draws the same four random numbers whatever is switched
 * on, so `--loss 0.3 --seed 42` loses the same datagrams with or without a delay.
 */
import type { Random } from './random.js';

/** UDP impairments; probabilities are 0..1, 0 turns one off. */
export interface UdpImpairment {
  loss: number;
  /** netem's correlation: how much the last draw weighs in the next, so losses come in bursts. */
  lossCorrelation: number;
  delayMs: number;
  /** Added to the delay, uniform in [-jitter, +jitter]: enough jitter reorders datagrams, as on a real path. */
  jitterMs: number;
  /** Chance a datagram is held back `reorderGapMs`, so the ones behind it overtake it. */
  reorder: number;
  reorderGapMs: number;
  duplicate: number;
  /** Bytes per second the link carries (0: unlimited); a datagram waits its turn. */
  rateBytesPerSec: number;
}

/** No impairment at all. */
export const NO_IMPAIRMENT: Readonly<UdpImpairment> = Object.freeze({
  loss: 0,
  lossCorrelation: 0,
  delayMs: 0,
  jitterMs: 0,
  reorder: 0,
  reorderGapMs: 10,
  duplicate: 0,
  rateBytesPerSec: 0,
});

// A rate-limited link queues at most this much time's worth of data; past it, datagrams are
// dropped, as a router's queue overflows (netem's `limit`).
export const MAX_BACKLOG_MS = 1000;

/** What happens to one datagram: dropped, or sent after each of `delays` (two for a duplicate). */
export type Verdict =
  | { kind: 'drop'; reason: 'loss' | 'queue' }
  | { kind: 'send'; delays: number[]; reordered: boolean; duplicated: boolean };

/** What a policy did, by kind. */
export interface PolicyCounters {
  packets: number;
  bytes: number;
  lost: number;
  queueDrops: number;
  duplicated: number;
  reordered: number;
  delayed: number;
}

/** The decisions for one direction of traffic. */
export class UdpPolicy {
  readonly counters: PolicyCounters = { packets: 0, bytes: 0, lost: 0, queueDrops: 0, duplicated: 0, reordered: 0, delayed: 0 };
  private lastLossDraw = 0;
  private linkFreeAt = 0;

  constructor(
    readonly impairment: Readonly<UdpImpairment>,
    private readonly random: Random,
  ) {}

  /** Decides the fate of a datagram of `size` bytes arriving at `now` (ms). */
  decide(size: number, now: number): Verdict {
    const o = this.impairment;
    const c = this.counters;
    c.packets += 1;
    c.bytes += size;
    const lossDraw = o.lossCorrelation * this.lastLossDraw + (1 - o.lossCorrelation) * this.random();
    const duplicateDraw = this.random();
    const reorderDraw = this.random();
    const jitterDraw = this.random();
    this.lastLossDraw = lossDraw;

    if (lossDraw < o.loss) {
      c.lost += 1;
      return { kind: 'drop', reason: 'loss' };
    }
    let wait = 0;
    if (o.rateBytesPerSec > 0) {
      const start = Math.max(now, this.linkFreeAt);
      if (start - now > MAX_BACKLOG_MS) {
        c.queueDrops += 1;
        return { kind: 'drop', reason: 'queue' };
      }
      this.linkFreeAt = start + (size * 1000) / o.rateBytesPerSec;
      wait = this.linkFreeAt - now;
    }
    wait += Math.max(0, o.delayMs + (jitterDraw * 2 - 1) * o.jitterMs);
    const reordered = reorderDraw < o.reorder;
    if (reordered) {
      c.reordered += 1;
      wait += o.reorderGapMs;
    }
    if (wait > 0) c.delayed += 1;
    const duplicated = duplicateDraw < o.duplicate;
    if (duplicated) c.duplicated += 1;
    return { kind: 'send', delays: duplicated ? [wait, wait] : [wait], reordered, duplicated };
  }
}
