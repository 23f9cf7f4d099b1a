/**
 * Answers to addresses nobody has proven, rate-limited per source prefix, as DNS response rate
 * limiting does: a forged source must not turn a server into a reflector. Used by the UDP
 * transport (join challenges, answers in an open room) and the UDP echo server.
 */
import { fullBucket, take, type Bucket } from '../core/rate.js';

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

/** `perSecond` answers a second per source prefix, in bursts of as many; 0: no limit. */
export class PrefixLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number,
  ) {}

  /** True when one more answer to `ip` fits its prefix's rate (and spends it). */
  allow(ip: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.clock();
    const prefix = sourcePrefix(ip);
    let bucket = this.buckets.get(prefix);
    if (!bucket) {
      if (this.buckets.size >= MAX_PREFIXES) this.buckets.clear();
      this.buckets.set(prefix, (bucket = fullBucket(this.perSecond, now)));
    }
    return take(bucket, now, this.perSecond, this.perSecond);
  }
}
