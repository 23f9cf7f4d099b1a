/**
 * Answers to addresses nobody has proven, rate-limited per source prefix, as DNS response rate
 * limiting does: a forged source must not turn a server into a reflector. Used by the UDP
 * transport (join challenges, answers in an open room), the UDP echo server (answers and bytes)
 * and the UDP proxy (new clients).
 */
import { fullBucket, spend, type Bucket } from '../core/rate.js';

// Past this many prefixes the table is simply emptied, so a flood of forged sources cannot grow memory.
const MAX_PREFIXES = 10_000;

/** The source prefix answers are rate-limited by: /24 for IPv4, /56 for IPv6. */
export function sourcePrefix(ip: string): string {
  if (!ip.includes(':')) return ip.split('.').slice(0, 3).join('.');
  if (ip.startsWith('::ffff:')) return sourcePrefix(ip.slice(7));
  // Expand `::` so the first 56 bits are the first three and a half groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const fourth = (groups[3] ?? '0').padStart(4, '0').slice(0, 2);
  return `${groups.slice(0, 3).join(':')}:${fourth}`;
}

/** Why an answer was refused: too many answers, or too many bytes, for its prefix. */
export type PrefixRefusal = 'rate' | 'bytes';

interface Budgets {
  answers: Bucket;
  bytes: Bucket;
}

/**
 * `perSecond` answers a second per source prefix, in bursts of as many; 0: no limit. With
 * `bytesPerSecond`, also that many bytes a second (a burst of one second's worth), since a count
 * alone lets a reflector send 60 KB datagrams: what reaches a victim is bytes.
 */
export class PrefixLimiter {
  private readonly buckets = new Map<string, Budgets>();

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number,
    private readonly bytesPerSecond = 0,
  ) {}

  /** True when one more answer of `bytes` to `ip` fits its prefix's budgets (and spends them). */
  allow(ip: string, bytes = 0): boolean {
    return this.refusal(ip, bytes) === null;
  }

  /** Null when one more answer of `bytes` to `ip` fits (and spends it); else which budget is spent. */
  refusal(ip: string, bytes = 0): PrefixRefusal | null {
    if (this.perSecond <= 0 && this.bytesPerSecond <= 0) return null;
    const now = this.clock();
    const prefix = sourcePrefix(ip);
    let budgets = this.buckets.get(prefix);
    if (!budgets) {
      if (this.buckets.size >= MAX_PREFIXES) this.buckets.clear();
      budgets = { answers: fullBucket(this.perSecond, now), bytes: fullBucket(this.bytesPerSecond, now) };
      this.buckets.set(prefix, budgets);
    }
    // Refill both before deciding (spending 0 refills), so a refusal by one budget spends neither.
    spend(budgets.answers, now, this.perSecond, this.perSecond, 0);
    spend(budgets.bytes, now, this.bytesPerSecond, this.bytesPerSecond, 0);
    if (this.perSecond > 0 && budgets.answers.tokens < 1) return 'rate';
    if (this.bytesPerSecond > 0 && budgets.bytes.tokens < bytes) return 'bytes';
    if (this.perSecond > 0) budgets.answers.tokens -= 1;
    if (this.bytesPerSecond > 0) budgets.bytes.tokens -= bytes;
    return null;
  }

  /**
   * Spends `answers` and `bytes` more of `ip`'s prefix budgets, after refusal() let an answer
   * through and it turned out bigger (sent twice, longer once written): on credit, so the budget
   * may go below 0 and the next answers wait until it is paid back.
   */
  charge(ip: string, answers: number, bytes: number): void {
    const budgets = this.buckets.get(sourcePrefix(ip));
    if (!budgets) return;
    if (this.perSecond > 0) budgets.answers.tokens -= answers;
    if (this.bytesPerSecond > 0) budgets.bytes.tokens -= bytes;
  }
}
