/**
 * Answers to addresses nobody has proven (join challenges; in an open room off loopback, the
 * answer to a joining datagram), limited twice: each source address has its own budget, and its
 * /24 (IPv4) or /56 (IPv6) a larger ceiling over all of its addresses together.
 *
 * Why two levels: with one budget per prefix, one address sending junk from fresh ports spent
 * every answer its /24 had, and an honest neighbour's join got no token (issue 10, item 6: 9/10
 * joins down to 0/10). Per address alone, a sender forging every address of a /24 could aim 256
 * budgets at one victim network; the ceiling bounds what a network gets from us, whatever
 * sources are forged, as DNS response rate limiting does.
 */
import { fullBucket, take, type Bucket } from '../core/rate.js';
import { sourcePrefix } from './prefix-limiter.js';

// Past this many entries a table is emptied, so a flood of forged sources cannot grow memory.
// An address forgotten that way gets a fresh budget, still under its prefix's ceiling.
const MAX_ENTRIES = 10_000;

/** Token buckets by key, at most MAX_ENTRIES of them. */
class Buckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perSecond: number) {}

  /** Takes one token from `key`'s bucket (a full one if it is new); true when there was one. 0 a second: always true. */
  take(key: string, now: number): boolean {
    if (this.perSecond <= 0) return true;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_ENTRIES) this.buckets.clear();
      this.buckets.set(key, (bucket = fullBucket(this.perSecond, now)));
    }
    return take(bucket, now, this.perSecond, this.perSecond);
  }

  /** Gives back the token just taken from `key`. */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens += 1;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** `perAddress` answers a second to each source address, at most `perPrefix` to its /24 or /56; bursts of a second's worth; 0: no limit at that level. */
export class SourceLimiter {
  private readonly addresses: Buckets;
  private readonly prefixes: Buckets;

  constructor(
    perAddress: number,
    perPrefix: number,
    private readonly clock: () => number,
  ) {
    this.addresses = new Buckets(perAddress);
    this.prefixes = new Buckets(perPrefix);
  }

  /** True when one more answer to `ip` fits both its own budget and its prefix's (and spends both). */
  allow(ip: string): boolean {
    const now = this.clock();
    // The address's own budget first: an address over it spends nothing of its neighbours'.
    if (!this.addresses.take(ip, now)) return false;
    if (this.prefixes.take(sourcePrefix(ip), now)) return true;
    this.addresses.giveBack(ip);
    return false;
  }

  /** Entries kept, addresses and prefixes: bounded whatever the sources. */
  get size(): { addresses: number; prefixes: number } {
    return { addresses: this.addresses.size, prefixes: this.prefixes.size };
  }
}
