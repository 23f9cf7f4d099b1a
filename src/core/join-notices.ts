/**
 * `* NAME joined`, coalesced. Announcing each of J joins to the R peers already in costs J x R
 * sends: a lab of 2,000 laptops joining at once would be four million datagrams, and the
 * server's own socket buffer overflows with first datagrams still to read. So joins are told
 * one by one while they are few, and past a small burst they are gathered for a short window
 * and told in one notice, as a mass expiry is (see Room.sweep).
 */
import { fullBucket, take, type Bucket } from './rate.js';

/** Joins told one by one before gathering starts, and the rate that refills them. */
export const JOIN_NOTICE_BURST = 5;
export const JOIN_NOTICES_PER_SECOND = 5;
/** How long joins are gathered once the burst is spent, at most (a broadcast in the window tells them sooner). */
export const JOIN_WINDOW_MS = 250;

/** Up to this many peers joining (or leaving) together are announced one by one; more share one notice. */
export const MAX_SEPARATE_NOTICES = 3;

/** Names for a shared notice: the first few, then how many more. */
export function nameList(names: readonly string[]): string {
  const most = MAX_SEPARATE_NOTICES * 2;
  const more = names.length > most ? ` and ${names.length - most} more` : '';
  return `${names.slice(0, most).join(', ')}${more}`;
}

/** Runs `fn` after `ms`; the server passes a timer (core has none of its own). */
export type Schedule = (fn: () => void, ms: number) => void;

/** Decides when joins are told, and gathers the rest. */
export class JoinNotices<P> {
  private pending: P[] = [];
  // One timer at a time: a flush by a broadcast leaves the armed one to fire on nothing.
  private armed = false;
  private readonly bucket: Bucket;

  constructor(
    private readonly clock: () => number,
    /** Without a schedule there is no later: every join is told at once. */
    private readonly schedule: Schedule | undefined,
    private readonly tell: (joined: readonly P[]) => void,
  ) {
    this.bucket = fullBucket(JOIN_NOTICE_BURST, clock());
  }

  /** A peer was admitted: tell the room now, or gather it for the window. */
  add(peer: P): void {
    if (this.pending.length === 0 && (!this.schedule || take(this.bucket, this.clock(), JOIN_NOTICE_BURST, JOIN_NOTICES_PER_SECOND))) {
      return this.tell([peer]);
    }
    this.pending.push(peer);
    if (this.armed) return;
    this.armed = true;
    this.schedule!(() => {
      this.armed = false;
      this.flush();
    }, JOIN_WINDOW_MS);
  }

  /** Tells whatever is gathered. Called by the window's timer and before any other broadcast, so order holds. */
  flush(): void {
    if (this.pending.length === 0) return;
    const joined = this.pending;
    this.pending = [];
    this.tell(joined);
  }
}
