/**
 * Numbered messages and their statistics, counted as iperf3 counts its UDP datagrams. A numbered
 * message reads `seq=3/100 t=1763800000123.456 TEXT`: the 1-based number, the run's total, the
 * sender's wall clock in ms (µs precision) and the optional text. Pure: no sockets, no timers.
 */
import { ChatError } from '../core/errors.js';

/** The most datagrams one numbered run may announce; it bounds the receiver's seq sets (1 byte each). */
export const MAX_SEQ_TOTAL = 1_000_000;

/** The most latency samples kept; past it, a uniform reservoir sample stands for them all. */
export const MAX_LATENCY_SAMPLES = 100_000;

/**
 * A latency further than this from zero is not a latency: the `t=` was damaged on the way
 * (`proxy --corrupt` flips a bit of it) or typed by hand. Such a line still counts as arrived;
 * only its time is left out of the latency figures (an hour-long p99 would teach nothing).
 */
export const MAX_PLAUSIBLE_LATENCY_MS = 60_000;

/** A numbered message, read back. */
export interface SeqMessage {
  seq: number;
  total: number;
  sentAtMs: number;
  text: string;
}

/** Latency in ms (receive time − send time), over the first arrival of each seq. */
export interface SeqLatency {
  p50: number;
  p99: number;
  min: number;
  max: number;
}

/** What a run of numbered messages looked like at the receiver. */
export interface SeqResult {
  /** The total the messages announced (the N of `seq=i/N`); 0 before any arrived. */
  expected: number;
  /** Distinct seqs received. */
  received: number;
  /** expected − received − refused (at least 0): never arrived, wherever in the run, and not refused by the room. */
  lost: number;
  /**
   * Messages the room said it refused (its `! slow down: N dropped` lines to the sender, the
   * `* NAME sent too fast: N messages dropped` notices to the others): a limit, not a loss.
   */
  refused: number;
  /** Arrivals of a seq already received, not counted in `received`. */
  duplicates: number;
  /** Arrivals below the highest seq seen so far (iperf3's out-of-order). */
  outOfOrder: number;
  /** lost / expected × 100. */
  lossPercent: number;
  /** refused / expected × 100. */
  refusedPercent: number;
  latency: SeqLatency | null;
  /** Every seq in 1..expected never received (lost or refused: a refusal does not say which), ascending. */
  lostSeqs: number[];
  /** The seqs that arrived out of order, in arrival order. */
  lateSeqs: number[];
  /** The seqs that arrived more than once, each listed once, in the order they were first repeated. */
  duplicateSeqs: number[];
  /** Numbered lines announcing another total than `expected` (another run): not counted. */
  ignored: number;
}

/** What add() made of one arrival. */
export type SeqArrival = 'in-order' | 'late' | 'duplicate' | 'ignored';

/** Wall-clock ms with sub-ms precision, comparable between processes on one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** `seq=3/100 t=1763800000123.456 TEXT`; throws ERR_BAD_ARGUMENT when seq is not in 1..total ≤ MAX_SEQ_TOTAL. */
export function formatSeq(seq: number, total: number, sentAtMs: number, text = ''): string {
  if (!Number.isInteger(total) || total < 1 || total > MAX_SEQ_TOTAL || !Number.isInteger(seq) || seq < 1 || seq > total) {
    throw new ChatError('ERR_BAD_ARGUMENT', `a seq must be in 1..total and total in 1..${MAX_SEQ_TOTAL}, got ${seq}/${total}`);
  }
  if (!Number.isFinite(sentAtMs) || sentAtMs < 0) throw new ChatError('ERR_BAD_ARGUMENT', `a send time must be a time in ms, got ${sentAtMs}`);
  return `seq=${seq}/${total} t=${sentAtMs.toFixed(3)}${text ? ` ${text}` : ''}`;
}

// Anywhere in a line, after its start or a space: the room prefixes `<name> `. Case-insensitive,
// so the replies of `udp-chat echo --upper` (`SEQ=3/100 T=...`) count too.
const SEQ_TOKEN = /(?:^|\s)seq=(\d{1,7})\/(\d{1,7}) t=(\d{1,16}(?:\.\d{1,6})?)(?: (.*))?$/i;

/** Finds the seq token anywhere in a line; null when there is none or it is out of range. */
export function parseSeq(line: string): SeqMessage | null {
  const m = SEQ_TOKEN.exec(line);
  if (!m) return null;
  const seq = Number(m[1]);
  const total = Number(m[2]);
  if (seq < 1 || total > MAX_SEQ_TOTAL || seq > total) return null;
  return { seq, total, sentAtMs: Number(m[3]), text: m[4] ?? '' };
}

const UNSEEN = 0;
const SEEN = 1;
const REPEATED = 2;

/** Counts the arrivals of one run of numbered messages, as iperf3 counts its UDP datagrams. */
export class SeqStats {
  private expected: number;
  // One byte per seq (index = seq), sized by the announced total, which parseSeq caps.
  private state: Uint8Array;
  private highest = 0;
  private unique = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private ignored = 0;
  private refused = 0;
  private readonly lateSeqs: number[] = [];
  private readonly duplicateSeqs: number[] = [];
  private readonly samples: number[] = [];
  private sampled = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly maxSamples: number;
  private readonly random: () => number;

  /** `expected`: the total when known beforehand (a sender); else the first numbered line sets it. */
  constructor(options: { expected?: number; maxSamples?: number; random?: () => number } = {}) {
    const expected = options.expected ?? 0;
    if (!Number.isInteger(expected) || expected < 0 || expected > MAX_SEQ_TOTAL) {
      throw new ChatError('ERR_BAD_ARGUMENT', `expected must be a whole number up to ${MAX_SEQ_TOTAL}, got ${expected}`);
    }
    this.expected = expected;
    this.state = new Uint8Array(expected + 1);
    this.maxSamples = options.maxSamples ?? MAX_LATENCY_SAMPLES;
    this.random = options.random ?? Math.random;
  }

  /** Counts one arrival, received at `receivedAtMs` (wall clock, as wallClockMs). */
  add(message: SeqMessage, receivedAtMs: number): SeqArrival {
    if (this.expected === 0) {
      this.expected = message.total;
      this.state = new Uint8Array(message.total + 1);
    }
    if (message.total !== this.expected || message.seq > this.expected) {
      this.ignored += 1;
      return 'ignored';
    }
    const seq = message.seq;
    if (this.state[seq] !== UNSEEN) {
      this.duplicates += 1;
      if (this.state[seq] === SEEN) this.duplicateSeqs.push(seq);
      this.state[seq] = REPEATED;
      return 'duplicate';
    }
    this.state[seq] = SEEN;
    this.unique += 1;
    const latency = receivedAtMs - message.sentAtMs;
    if (Math.abs(latency) <= MAX_PLAUSIBLE_LATENCY_MS) this.sample(latency);
    // iperf3: above the next expected seq, the gap is counted lost; below it, the datagram is out
    // of order and one loss is taken back. Both come out of result(): lost = expected − received.
    if (seq > this.highest) {
      this.highest = seq;
      return 'in-order';
    }
    this.outOfOrder += 1;
    this.lateSeqs.push(seq);
    return 'late';
  }

  /** Counts `count` messages of the run that the room said it refused: they are not lost. */
  refuse(count: number): void {
    if (Number.isInteger(count) && count > 0) this.refused += count;
  }

  /**
   * The counts so far; seqs not yet arrived and not refused count as lost, the last ones of the run
   * included. `upTo`: a run stopped early (Ctrl-C) sent only seqs 1..upTo; the rest were never
   * sent, so they are not lost: the figures are over those.
   */
  result(upTo?: number): SeqResult {
    const expected = upTo === undefined ? this.expected : Math.max(0, Math.min(this.expected, upTo));
    const lostSeqs: number[] = [];
    for (let seq = 1; seq <= expected; seq++) if (this.state[seq] === UNSEEN) lostSeqs.push(seq);
    // Only seqs up to `upTo` can have arrived (none above was sent), so `unique` needs no trimming.
    const missing = Math.max(0, expected - this.unique);
    // A refusal names no seq, so refusals stand for missing ones; never more than are missing.
    const refused = Math.min(this.refused, missing);
    const lost = missing - refused;
    return {
      expected,
      received: this.unique,
      lost,
      refused,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      lossPercent: expected > 0 ? (lost / expected) * 100 : 0,
      refusedPercent: expected > 0 ? (refused / expected) * 100 : 0,
      latency: this.latency(),
      lostSeqs,
      lateSeqs: [...this.lateSeqs],
      duplicateSeqs: [...this.duplicateSeqs],
      ignored: this.ignored,
    };
  }

  // Reservoir sampling (Vitter's algorithm R): memory stays at maxSamples whatever the run's length.
  private sample(ms: number): void {
    this.sampled += 1;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    if (this.samples.length < this.maxSamples) this.samples.push(ms);
    else {
      const slot = Math.floor(this.random() * this.sampled);
      if (slot < this.maxSamples) this.samples[slot] = ms;
    }
  }

  private latency(): SeqLatency | null {
    if (this.samples.length === 0) return null;
    const sorted = Float64Array.from(this.samples).sort();
    // Nearest rank: the smallest sample with at least q of them at or below it.
    const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    return { p50: round(rank(0.5)), p99: round(rank(0.99)), min: round(this.min), max: round(this.max) };
  }
}
