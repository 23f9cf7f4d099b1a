/**
 * Who may join: the room's cap, the per-address cap and join rate, and the password. Pure: the
 * room asks with its clock's time and acts on the answer.
 */
import type { DropReason } from './counters.js';
import type { Limits } from './limits.js';
import { fullBucket, refilled, take, type Bucket } from './rate.js';
import type { Roster } from './roster.js';

/** Why a join was turned away, and what the joiner is told. */
export interface Refusal {
  reason: DropReason;
  code: string;
  message: string;
}

/** The room's door policy. */
export class Admission {
  // Each IP's join bucket, forgotten once full again (see sweep), so the map stays small.
  private readonly joinBuckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: Readonly<Limits>,
    /** When set, a peer must send `/join PASSWORD` before it hears or is heard. */
    readonly password: string | undefined,
  ) {}

  /** Why a link from `ip` may not join now, or null when it may. Spends a join token when it may. */
  refusal(roster: Roster, ip: string, now: number): Refusal | null {
    const l = this.limits;
    if (l.maxPeers > 0 && roster.size >= l.maxPeers) {
      return { reason: 'roomFull', code: 'ERR_ROOM_FULL', message: `room full (${l.maxPeers} peers); try again later` };
    }
    if (l.maxPeersPerIp > 0 && roster.fromIp(ip) >= l.maxPeersPerIp) {
      return { reason: 'perIpLimit', code: 'ERR_ROOM_FULL', message: `too many peers from ${ip} (${l.maxPeersPerIp})` };
    }
    if (l.joinsPerIpPerMinute > 0) {
      let bucket = this.joinBuckets.get(ip);
      if (!bucket) this.joinBuckets.set(ip, (bucket = fullBucket(l.joinsPerIpPerMinute, now)));
      if (!take(bucket, now, l.joinsPerIpPerMinute, l.joinsPerIpPerMinute / 60)) {
        return { reason: 'joinRate', code: 'ERR_ROOM_FULL', message: `too many joins from ${ip}; wait a minute` };
      }
    }
    return null;
  }

  /** True when the password is right (or the room has none). */
  passwordOk(given: string): boolean {
    return this.password === undefined || given === this.password;
  }

  /** True when a peer that gave `tries` wrong passwords must go. */
  triesUsed(tries: number): boolean {
    return this.limits.maxPasswordTries > 0 && tries >= this.limits.maxPasswordTries;
  }

  /** Forgets the join buckets that are full again. */
  sweep(now: number): void {
    const l = this.limits;
    for (const [ip, bucket] of this.joinBuckets) {
      if (refilled(bucket, now, l.joinsPerIpPerMinute, l.joinsPerIpPerMinute / 60)) this.joinBuckets.delete(ip);
    }
  }
}
