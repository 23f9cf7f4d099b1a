/**
 * Who may join: the room's cap, the per-address cap and join rate, the password, and the peers
 * waiting to give it. Pure: the room asks with its clock's time and acts on the answer.
 *
 * A joiner in a room with a password waits, unheard, until it gives it: a waiting peer takes no
 * place in the room (the caps on admitted peers are checked when the password is right), is
 * bounded apart (per address and in all, the oldest waiting making room for a newcomer, so a
 * crowd without the password cannot keep out one who has it), and goes when its short wait runs
 * out, which only a `/join` attempt restarts.
 */
import type { RefusalReason } from './events.js';
import type { Limits } from './limits.js';
import type { Peer } from './peer.js';
import { fullBucket, refilled, take, type Bucket } from './rate.js';
import type { Roster } from './roster.js';

/** Why a join was turned away, and what the joiner is told. */
export interface Refusal {
  reason: RefusalReason;
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
    /** `--tickets-required`: a peer waits, as for a password, until it shows a ticket (core/tickets.ts). */
    private readonly ticketsRequired = false,
  ) {}

  /** True when a newcomer waits (unheard, taking no place) before it is admitted. */
  get waits(): boolean {
    return this.password !== undefined || this.ticketsRequired;
  }

  /**
   * Why a link from `ip` may not come in now, or null when it may. A newcomer who waits is
   * checked against the join rate alone (its place is checked by seatRefusal when it is
   * admitted); one admitted at once, against both. Spends a join token when it may.
   */
  refusal(roster: Roster, ip: string, now: number): Refusal | null {
    if (!this.waits) {
      const seat = this.seatRefusal(roster, ip);
      if (seat) return seat;
    }
    const l = this.limits;
    if (l.joinsPerIpPerMinute > 0) {
      let bucket = this.joinBuckets.get(ip);
      if (!bucket) this.joinBuckets.set(ip, (bucket = fullBucket(l.joinsPerIpPerMinute, now)));
      if (!take(bucket, now, l.joinsPerIpPerMinute, l.joinsPerIpPerMinute / 60)) {
        return { reason: 'joinRate', code: 'ERR_ROOM_FULL', message: `too many joins from ${ip}; wait a minute` };
      }
    }
    return null;
  }

  /** Why a peer from `ip` may not take a place among the admitted now, or null when it may. */
  seatRefusal(roster: Roster, ip: string): Refusal | null {
    const l = this.limits;
    if (l.maxPeers > 0 && roster.admitted >= l.maxPeers) {
      return { reason: 'roomFull', code: 'ERR_ROOM_FULL', message: `room full (${l.maxPeers} peer${l.maxPeers === 1 ? '' : 's'}); try again later` };
    }
    if (l.maxPeersPerIp > 0 && roster.fromIp(ip) >= l.maxPeersPerIp) {
      return { reason: 'perIpLimit', code: 'ERR_ROOM_FULL', message: `too many peers from ${ip} (${l.maxPeersPerIp})` };
    }
    return null;
  }

  /**
   * The waiting peer that must make room for a newcomer from `ip` to wait: the oldest of that
   * address when it has its most waiting, else the oldest of all when the room has its most.
   */
  waitingToEvict(roster: Roster, ip: string): Peer | undefined {
    const l = this.limits;
    if (l.maxWaitingPerIp > 0 && roster.waitingFromIp(ip) >= l.maxWaitingPerIp) return roster.oldestWaitingFrom(ip);
    if (l.maxWaiting > 0 && roster.waiting.size >= l.maxWaiting) return roster.waiting.values().next().value;
    return undefined;
  }

  /** The waiting peers whose wait has run out by `now`, oldest first. */
  waitedOut(roster: Roster, now: number): Peer[] {
    const ms = this.limits.waitingTimeoutMs;
    const out: Peer[] = [];
    if (ms <= 0) return out;
    // Kept in order of their last try: the first still within its wait ends the walk.
    for (const peer of roster.waiting) {
      if (now - peer.triedAt < ms) break;
      out.push(peer);
    }
    return out;
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
