/**
 * What the impairment proxy (and `echo --loss`) does to each datagram, decided without sockets or
 * timers so it can be tested with fixed seeds. Names follow netem: loss (with correlation, for
 * bursts), delay and jitter, reorder, duplicate, rate, corrupt, and the queue limit. Every datagram
 * draws the same four random numbers from its main generator whatever is switched on, so
 * `--loss 0.3 --seed 42` loses the same datagrams with or without a delay. The draws added later (a uniform
 * delay, corruption and its bit) come from a second generator, three a datagram, so they shift none
 * of the first four: a seed loses what it lost before they existed.
 */
import { seededRandom, type Random } from './random.js';

/** UDP impairments; probabilities are 0..1, 0 turns one off. */
export interface UdpImpairment {
  loss: number;
  /** netem's correlation: how much the last draw weighs in the next, so losses come in bursts. */
  lossCorrelation: number;
  delayMs: number;
  /** Added to the delay, uniform in [-jitter, +jitter]: enough jitter reorders datagrams, as on a real path. */
  jitterMs: number;
  /**
   * `fixed`: delay ± jitter. `uniform`: each datagram's delay drawn in [0, delay], jitter unused:
   * the "maximum delay" of the course emulators (Concordia's router, Waterloo's, the Java pinger's).
   */
  delayDist: 'fixed' | 'uniform';
  /** Chance a datagram is held back `reorderGapMs`, so the ones behind it overtake it. */
  reorder: number;
  reorderGapMs: number;
  duplicate: number;
  /** Bytes per second the link carries (0: unlimited); a datagram waits its turn. */
  rateBytesPerSec: number;
  /**
   * Most datagrams in the rate-limited link's queue, the one on the wire included (netem's
   * `limit`); one more is dropped (drop-tail). 0: the queue holds MAX_BACKLOG_MS of traffic.
   */
  queueLimit: number;
  /** Chance a datagram has one random bit of its payload flipped (newudpl's bit errors). */
  corrupt: number;
}

/** No impairment at all. */
export const NO_IMPAIRMENT: Readonly<UdpImpairment> = Object.freeze({
  loss: 0,
  lossCorrelation: 0,
  delayMs: 0,
  jitterMs: 0,
  delayDist: 'fixed',
  reorder: 0,
  reorderGapMs: 10,
  duplicate: 0,
  rateBytesPerSec: 0,
  queueLimit: 0,
  corrupt: 0,
});

// A rate-limited link queues at most this much time's worth of data; past it, datagrams are
// dropped, as a router's queue overflows (netem's `limit`).
export const MAX_BACKLOG_MS = 1000;

// The side generator's seed is the main one's mixed with this, so the two sequences differ.
const SIDE_SEED_MIX = 0x9e3779b9;

/**
 * What happens to one datagram: dropped, or sent after each of `delays` (two for a duplicate),
 * with bit `corruptBit` of its payload flipped when there is one (both copies alike).
 */
export type Verdict =
  | { kind: 'drop'; reason: 'loss' | 'queue' }
  | { kind: 'send'; delays: number[]; reordered: boolean; duplicated: boolean; corruptBit?: number };

/** What a policy did, by kind. */
export interface PolicyCounters {
  packets: number;
  bytes: number;
  lost: number;
  queueDrops: number;
  duplicated: number;
  reordered: number;
  delayed: number;
  corrupted: number;
}

/** The decisions for one direction of traffic. */
export class UdpPolicy {
  readonly counters: PolicyCounters = { packets: 0, bytes: 0, lost: 0, queueDrops: 0, duplicated: 0, reordered: 0, delayed: 0, corrupted: 0 };
  private lastLossDraw = 0;
  private linkFreeAt = 0;
  /** When each datagram in the link's queue will have left it, oldest first (only with a queueLimit). */
  private readonly departures: number[] = [];
  /** When the link was free before the last decision took its place on it (NaN: it took none), so notSent() can give it back. */
  private freeBeforeLast = Number.NaN;

  /**
   * `random` makes the four draws every datagram always made; `side` the later ones. By default
   * `side` is a generator of its own, so `random` alone decides what it always decided.
   */
  constructor(
    readonly impairment: Readonly<UdpImpairment>,
    private readonly random: Random,
    private readonly side: Random = seededRandom(SIDE_SEED_MIX),
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
    const uniformDraw = this.side();
    const corruptDraw = this.side();
    const bitDraw = this.side();
    this.lastLossDraw = lossDraw;
    this.freeBeforeLast = Number.NaN;

    if (lossDraw < o.loss) {
      c.lost += 1;
      return { kind: 'drop', reason: 'loss' };
    }
    let wait = 0;
    if (o.rateBytesPerSec > 0) {
      const start = Math.max(now, this.linkFreeAt);
      if (o.queueLimit > 0 ? this.queued(now) >= o.queueLimit : start - now > MAX_BACKLOG_MS) {
        c.queueDrops += 1;
        return { kind: 'drop', reason: 'queue' };
      }
      this.freeBeforeLast = this.linkFreeAt;
      this.linkFreeAt = start + (size * 1000) / o.rateBytesPerSec;
      if (o.queueLimit > 0) this.departures.push(this.linkFreeAt);
      wait = this.linkFreeAt - now;
    }
    wait += o.delayDist === 'uniform' ? uniformDraw * o.delayMs : Math.max(0, o.delayMs + (jitterDraw * 2 - 1) * o.jitterMs);
    const reordered = reorderDraw < o.reorder;
    if (reordered) {
      c.reordered += 1;
      wait += o.reorderGapMs;
    }
    if (wait > 0) c.delayed += 1;
    const duplicated = duplicateDraw < o.duplicate;
    if (duplicated) c.duplicated += 1;
    const verdict: Verdict = { kind: 'send', delays: duplicated ? [wait, wait] : [wait], reordered, duplicated };
    // An empty datagram has no bit to flip: it goes through intact, not counted.
    if (corruptDraw < o.corrupt && size > 0) {
      c.corrupted += 1;
      verdict.corruptBit = Math.floor(bitDraw * size * 8);
    }
    return verdict;
  }

  /**
   * The datagram just decided to be sent was not (no room to hold it): a queue drop. It gives
   * back its place on the link, or the link would stay busy, and its queue full, with datagrams
   * that never left, holding back every later one for as long as they would have taken.
   */
  notSent(): void {
    this.counters.queueDrops += 1;
    if (Number.isNaN(this.freeBeforeLast)) return;
    this.linkFreeAt = this.freeBeforeLast;
    this.freeBeforeLast = Number.NaN;
    // With a queueLimit the datagram joined `departures` last: it leaves it again.
    if (this.impairment.queueLimit > 0) this.departures.pop();
  }

  /** Datagrams still in the link's queue at `now`; those gone are forgotten. */
  private queued(now: number): number {
    let gone = 0;
    while (gone < this.departures.length && this.departures[gone]! <= now) gone += 1;
    if (gone > 0) this.departures.splice(0, gone);
    return this.departures.length;
  }
}

/** The policy a seeded run uses: its main generator from `seed`, its side one from `seed` mixed. */
export function seededPolicy(impairment: Readonly<UdpImpairment>, seed: number): UdpPolicy {
  return new UdpPolicy(impairment, seededRandom(seed), seededRandom((seed ^ SIDE_SEED_MIX) >>> 0));
}

/** `bytes` with bit `bit` flipped (bit 0 is the first byte's most significant): a copy, the original kept. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >> 3] = out[bit >> 3]! ^ (0x80 >> (bit & 7));
  return out;
}
