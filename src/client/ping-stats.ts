/**
 * The bookkeeping of `udp-chat ping`, as ping(8) keeps it: which probes were sent, which reply
 * answers which probe (by the sequence number in the reply), and the summary. Pure: the caller
 * passes the times (performance.now() ms), so it can be tested without sockets or timers.
 */
import { ChatError } from '../core/errors.js';

/**
 * What became of a probe. `late`: the reply came after its timeout (not counted as received);
 * `pending`: no answer yet when the run stopped (Ctrl-C, or a TCP server closed the connection).
 */
export type ProbeStatus = 'replied' | 'timeout' | 'late' | 'unreachable' | 'pending';

/** One probe in the result. */
export interface PingProbe {
  seq: number;
  /** The probe's payload bytes. */
  bytes: number;
  status: ProbeStatus;
  /** Round-trip time of its first reply (a late one too), in ms; null when none came. */
  rttMs: number | null;
}

/** ping(8)'s `rtt min/avg/max/mdev`, in ms, over the replies counted as received. */
export interface PingRtt {
  min: number;
  avg: number;
  max: number;
  /** The population standard deviation, as ping(8) computes it: sqrt(mean(rtt²) − mean(rtt)²). */
  mdev: number;
}

/** The figures of a run. */
export interface PingSummary {
  transmitted: number;
  /** Probes answered within their timeout (over TCP: at all), each counted once. */
  received: number;
  /** Probes whose only answer came after their timeout. */
  late: number;
  /** Replies to a probe that had already been answered (ping(8)'s DUP!). */
  duplicates: number;
  /** Replies that were not `Ping SEQ ...` for a probe we sent (a room's welcome, say). */
  unexpected: number;
  /** Probes answered by ICMP port unreachable (ping(8)'s errors). */
  unreachable: number;
  /** Probes that timed out (a late one included). */
  timeouts: number;
  /** (transmitted − received) / transmitted × 100. */
  lossPercent: number;
  rtt: PingRtt | null;
}

/** What one arriving reply was. */
export type ReplyVerdict =
  | { kind: 'reply' | 'duplicate' | 'late'; seq: number; bytes: number; rttMs: number }
  | { kind: 'unexpected'; text: string; bytes: number };

/** A ping reply: the probe's own text, in any case (the book's server upper-cases it: `PING 3 ...`). */
export const PING_REPLY = /^ping (\d{1,15})(?:\s|$)/i;

/**
 * The most probes remembered (`-c 0` runs until Ctrl-C): past it the oldest are forgotten, and a
 * reply to one of them counts as unexpected. The counts cover every probe.
 */
export const MAX_PING_PROBES = 100_000;

interface Probe {
  sentAt: number;
  bytes: number;
  status: ProbeStatus | 'waiting';
  rttMs: number | null;
}

/** `Ping SEQ TIME`, as the lab's Python client writes it (TIME: Unix seconds, `time.time()`), padded to `size` bytes. */
export function formatProbe(seq: number, unixSeconds: number, size = 0): string {
  const header = `Ping ${seq} ${unixSeconds.toFixed(6)}`;
  if (size <= header.length) return header;
  // A space, then filler: the reply still parses, and split() in a Python server still finds SEQ and TIME.
  return header + ' ' + 'x'.repeat(size - header.length - 1);
}

/** Counts the probes and replies of one run. */
export class PingTally {
  private readonly probes = new Map<number, Probe>();
  private transmitted = 0;
  private received = 0;
  private late = 0;
  private duplicates = 0;
  private unexpected = 0;
  private unreachable = 0;
  private timeouts = 0;
  private waiting = 0;
  // Running sums over the received RTTs: constant memory however long the run.
  private rttSum = 0;
  private rttSquares = 0;
  private rttMin = Infinity;
  private rttMax = -Infinity;

  constructor(private readonly maxProbes = MAX_PING_PROBES) {}

  /** Probes sent and not yet answered, timed out or refused. */
  get outstanding(): number {
    return this.waiting;
  }

  /** Records probe `seq` (the next one: 1, 2, ...) of `bytes` bytes, sent at `at` ms. */
  sent(seq: number, bytes: number, at: number): void {
    if (seq !== this.transmitted + 1) throw new ChatError('ERR_BAD_ARGUMENT', `probes are numbered 1, 2, ...: expected ${this.transmitted + 1}, got ${seq}`);
    this.transmitted = seq;
    this.waiting += 1;
    this.probes.set(seq, { sentAt: at, bytes, status: 'waiting', rttMs: null });
    if (this.probes.size > this.maxProbes) {
      const [oldest, probe] = this.probes.entries().next().value!;
      if (probe.status === 'waiting') this.waiting -= 1;
      this.probes.delete(oldest);
    }
  }

  /** Reads one reply of `bytes` bytes, received at `at` ms: which probe it answers, and how. */
  reply(text: string, bytes: number, at: number): ReplyVerdict {
    const seq = Number(PING_REPLY.exec(text)?.[1]);
    // NaN (no match) is no probe's seq.
    const probe = this.probes.get(seq);
    if (!probe) {
      this.unexpected += 1;
      return { kind: 'unexpected', text, bytes };
    }
    const rttMs = at - probe.sentAt;
    switch (probe.status) {
      case 'waiting':
        probe.status = 'replied';
        probe.rttMs = rttMs;
        this.waiting -= 1;
        this.received += 1;
        this.rttSum += rttMs;
        this.rttSquares += rttMs * rttMs;
        this.rttMin = Math.min(this.rttMin, rttMs);
        this.rttMax = Math.max(this.rttMax, rttMs);
        return { kind: 'reply', seq, bytes, rttMs };
      case 'timeout':
      case 'unreachable':
      case 'pending':
        probe.status = 'late';
        probe.rttMs = rttMs;
        this.late += 1;
        return { kind: 'late', seq, bytes, rttMs };
      case 'replied':
      case 'late':
        this.duplicates += 1;
        return { kind: 'duplicate', seq, bytes, rttMs };
    }
  }

  /** Probe `seq`'s time is up: true if it was still waiting (now a timeout), false if it was answered. */
  timeout(seq: number): boolean {
    const probe = this.probes.get(seq);
    if (probe?.status !== 'waiting') return false;
    probe.status = 'timeout';
    this.waiting -= 1;
    this.timeouts += 1;
    return true;
  }

  /**
   * An ICMP port unreachable came back: it answers the newest probe still waiting (the error
   * names no probe, and on a path it comes back within a round trip, before the next probe).
   * Returns that probe's seq, or null when none is waiting.
   */
  refused(): number | null {
    if (this.waiting === 0) return null;
    for (let seq = this.transmitted; seq > 0; seq--) {
      const probe = this.probes.get(seq);
      if (!probe) break;
      if (probe.status !== 'waiting') continue;
      probe.status = 'unreachable';
      this.waiting -= 1;
      this.unreachable += 1;
      return seq;
    }
    return null;
  }

  /** The seqs still waiting, oldest first. */
  waitingSeqs(): number[] {
    return [...this.probes].filter(([, p]) => p.status === 'waiting').map(([seq]) => seq);
  }

  /** The figures so far. */
  summary(): PingSummary {
    const n = this.received;
    const avg = n > 0 ? this.rttSum / n : 0;
    return {
      transmitted: this.transmitted,
      received: n,
      late: this.late,
      duplicates: this.duplicates,
      unexpected: this.unexpected,
      unreachable: this.unreachable,
      timeouts: this.timeouts,
      lossPercent: this.transmitted > 0 ? ((this.transmitted - n) / this.transmitted) * 100 : 0,
      // Rounding can make mean(rtt²) − mean(rtt)² a hair below 0 for equal RTTs.
      rtt: n > 0 ? { min: this.rttMin, avg, max: this.rttMax, mdev: Math.sqrt(Math.max(0, this.rttSquares / n - avg * avg)) } : null,
    };
  }

  /** Every probe remembered (the last MAX_PING_PROBES), in order; one still waiting is `pending`. */
  list(): PingProbe[] {
    return [...this.probes].map(([seq, p]) => ({ seq, bytes: p.bytes, status: p.status === 'waiting' ? 'pending' : p.status, rttMs: p.rttMs }));
  }
}
