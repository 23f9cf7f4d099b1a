/**
 * A numbered run measured while it runs, as iperf3 `-i` reports its UDP datagrams: per interval,
 * what was sent, what came back, what was skipped over (lost), and the latency; and the totals so
 * far for a live line. SeqStats (seq-stats.ts) keeps the final, exact figures; this keeps only
 * counters, so a report every 100 ms costs nothing whatever the run's length. Pure: the clock is given.
 */
import { MAX_PLAUSIBLE_LATENCY_MS, type SeqArrival } from './seq-stats.js';

/** One interval of a numbered run. Times in ms since the run started. */
export interface SeqInterval {
  startMs: number;
  endMs: number;
  /** Datagrams sent in the interval. */
  sent: number;
  /** Distinct seqs that arrived in the interval (duplicates apart). */
  received: number;
  /**
   * Seqs skipped over in the interval, as iperf3 counts them: an arrival above the next expected
   * seq counts the gap, a late one takes one back (so an interval can show a negative count, as
   * iperf3's can, when late ones fill an earlier gap). The seqs still missing at the end of the
   * run are not here: the final figures count them.
   */
  lost: number;
  /** lost / seqs the interval's arrivals moved past × 100 (0 when none). */
  lossPercent: number;
  duplicates: number;
  outOfOrder: number;
  /** Messages the room said it refused in the interval. */
  refused: number;
  /** Over the interval's first arrivals with a plausible time; null when none. */
  latencyMs: { avg: number; min: number; max: number } | null;
}

/** The run so far, for a live line. */
export interface SeqProgress {
  sent: number;
  /** The run's total (the N of seq=i/N). */
  total: number;
  received: number;
  /** Seqs skipped over so far (the ones in flight are not lost yet). */
  lost: number;
  refused: number;
}

function emptyWindow() {
  return { sent: 0, received: 0, lost: 0, moved: 0, duplicates: 0, outOfOrder: 0, refused: 0, latencyCount: 0, latencySum: 0, latencyMin: Infinity, latencyMax: -Infinity };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export class SeqMeter {
  private readonly started: number;
  private windowStart: number;
  private window = emptyWindow();
  private highest = 0;
  private readonly totals = { sent: 0, received: 0, lost: 0, refused: 0 };

  /** `total`: the run's N; `now`: a monotonic clock in ms (performance.now by default). */
  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
    this.windowStart = this.started;
  }

  /** One datagram left. */
  sent(): void {
    this.window.sent += 1;
    this.totals.sent += 1;
  }

  /** One numbered reply, as SeqStats.add classified it, with its latency in ms. */
  arrive(seq: number, arrival: SeqArrival, latencyMs: number): void {
    const w = this.window;
    if (arrival === 'ignored') return;
    if (arrival === 'duplicate') {
      w.duplicates += 1;
      return;
    }
    w.received += 1;
    this.totals.received += 1;
    if (arrival === 'in-order') {
      const gap = seq - this.highest - 1;
      w.moved += seq - this.highest;
      w.lost += gap;
      this.totals.lost += gap;
      this.highest = seq;
    } else {
      w.outOfOrder += 1;
      w.lost -= 1;
      this.totals.lost -= 1;
    }
    if (Math.abs(latencyMs) <= MAX_PLAUSIBLE_LATENCY_MS) {
      w.latencyCount += 1;
      w.latencySum += latencyMs;
      w.latencyMin = Math.min(w.latencyMin, latencyMs);
      w.latencyMax = Math.max(w.latencyMax, latencyMs);
    }
  }

  /** Messages the room said it refused. */
  refuse(count: number): void {
    if (!Number.isInteger(count) || count <= 0) return;
    this.window.refused += count;
    this.totals.refused += count;
  }

  /** Whether anything happened since the last interval (the run's last, partial one may be empty). */
  get idle(): boolean {
    const w = this.window;
    return w.sent === 0 && w.received === 0 && w.duplicates === 0 && w.refused === 0;
  }

  /** Closes the current interval now and starts the next. */
  interval(): SeqInterval {
    const end = this.now();
    const w = this.window;
    const report: SeqInterval = {
      startMs: round3(this.windowStart - this.started),
      endMs: round3(end - this.started),
      sent: w.sent,
      received: w.received,
      lost: w.lost,
      lossPercent: w.moved > 0 ? (w.lost / w.moved) * 100 : 0,
      duplicates: w.duplicates,
      outOfOrder: w.outOfOrder,
      refused: w.refused,
      latencyMs: w.latencyCount > 0 ? { avg: round3(w.latencySum / w.latencyCount), min: round3(w.latencyMin), max: round3(w.latencyMax) } : null,
    };
    this.window = emptyWindow();
    this.windowStart = end;
    return report;
  }

  progress(): SeqProgress {
    return { ...this.totals, total: this.total };
  }
}
