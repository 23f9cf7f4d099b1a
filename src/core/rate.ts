/**
 * A token bucket: `burst` tokens at most, refilled at `perSecond`. Plain data and a function,
 * so a room can keep one per peer cheaply and tests drive it with a fake clock.
 */

/** A bucket's state. */
export interface Bucket {
  tokens: number;
  /** When tokens were last added (ms, the room's clock). */
  at: number;
}

/** A full bucket at time `now`. */
export function fullBucket(burst: number, now: number): Bucket {
  return { tokens: burst, at: now };
}

/**
 * Takes one token if there is one. `burst` 0 or `perSecond` 0 means no limit: always true.
 */
export function take(bucket: Bucket, now: number, burst: number, perSecond: number): boolean {
  return spend(bucket, now, burst, perSecond, 1);
}

/** Takes `amount` tokens if there are that many (a byte budget spends a datagram's size at once). */
export function spend(bucket: Bucket, now: number, burst: number, perSecond: number, amount: number): boolean {
  // A rate of 0 must turn the limit off as limits.ts promises, not grant one burst for life.
  if (burst <= 0 || perSecond <= 0) return true;
  if (now > bucket.at) {
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
    bucket.at = now;
  }
  if (bucket.tokens < amount) return false;
  bucket.tokens -= amount;
  return true;
}

/** True when the bucket would be full again by `now`: it can be forgotten. */
export function refilled(bucket: Bucket, now: number, burst: number, perSecond: number): boolean {
  return bucket.tokens + ((now - bucket.at) * perSecond) / 1000 >= burst;
}

/** The tokens a bucket holds at `now`, without taking any (Infinity with no limit). */
export function level(bucket: Bucket, now: number, burst: number, perSecond: number): number {
  if (burst <= 0 || perSecond <= 0) return Infinity;
  // The same sum take() makes, so a count read here is a count take() grants.
  return now > bucket.at ? Math.min(burst, bucket.tokens + ((now - bucket.at) * perSecond) / 1000) : bucket.tokens;
}

/** How many single tokens take() would grant at `now`, one after another (Infinity with no limit). */
export function available(bucket: Bucket, now: number, burst: number, perSecond: number): number {
  return Math.floor(level(bucket, now, burst, perSecond));
}

/** When the bucket holds a whole token again: `now` if it does already (or has no limit). */
export function nextTokenAt(bucket: Bucket, now: number, burst: number, perSecond: number): number {
  const tokens = level(bucket, now, burst, perSecond);
  return tokens >= 1 ? now : now + ((1 - tokens) * 1000) / perSecond;
}
