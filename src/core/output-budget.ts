/**
 * What the room may tell one peer alone, and one IP address: token buckets in bytes on the room's
 * clock. A forged source can make the room answer its victim (`/who`, `/help`, errors, pongs),
 * and in an open UDP room 50 forged ports of one address are 50 peers; so every such answer spends
 * the peer's budget and, for a peer that has not proven its address, its address's too, and a
 * line past either is not sent. Relayed chat is not budgeted (SECURITY.md says
 * why): only answers to what a peer itself sent can be aimed at someone else.
 */
import { IP_OUTPUT_BURST_SECONDS, OUTPUT_BURST_SECONDS, type Limits } from './limits.js';
import { fullBucket, level, refilled, spend, type Bucket } from './rate.js';
import type { Peer } from './peer.js';

/** The per-peer and per-address output budgets. */
export class OutputBudget {
  // One bucket per address that was told something lately; forgotten once full again (sweep).
  private readonly byIp = new Map<string, Bucket>();

  constructor(
    private readonly limits: Readonly<Limits>,
    private readonly clock: () => number,
  ) {}

  /** A full budget for a new peer. */
  fresh(now: number): Bucket {
    return fullBucket(this.limits.outputBytesPerPeer * OUTPUT_BURST_SECONDS, now);
  }

  /** Bytes `peer` may be told now: the smaller of its own budget and its address's (Infinity when both are off). */
  available(peer: Peer): number {
    const now = this.clock();
    const l = this.limits;
    const own = level(peer.output, now, l.outputBytesPerPeer * OUTPUT_BURST_SECONDS, l.outputBytesPerPeer);
    // A proven peer's address cannot be borrowed by forged ports: its own budget bounds what a
    // forger aims at it, and a class behind one NAT address is not cut to one peer's share.
    if (l.outputBytesPerIp <= 0 || peer.link.proven) return own;
    return Math.min(own, level(this.ipBucket(peer.link.ip, now), now, l.outputBytesPerIp * IP_OUTPUT_BURST_SECONDS, l.outputBytesPerIp));
  }

  /** Spends `bytes` of both budgets if both have them; false (nothing spent) when either is short. */
  spend(peer: Peer, bytes: number): boolean {
    // Every answer a peer is told passes here (the pong of each heartbeat too): one clock read, one lookup.
    const now = this.clock();
    const l = this.limits;
    const ownBurst = l.outputBytesPerPeer * OUTPUT_BURST_SECONDS;
    if (level(peer.output, now, ownBurst, l.outputBytesPerPeer) < bytes) return false;
    const ip = l.outputBytesPerIp > 0 && !peer.link.proven ? this.ipBucket(peer.link.ip, now) : undefined;
    const ipBurst = l.outputBytesPerIp * IP_OUTPUT_BURST_SECONDS;
    if (ip && level(ip, now, ipBurst, l.outputBytesPerIp) < bytes) return false;
    spend(peer.output, now, ownBurst, l.outputBytesPerPeer, bytes);
    if (ip) spend(ip, now, ipBurst, l.outputBytesPerIp, bytes);
    return true;
  }

  /** Forgets the addresses whose budget is full again, so the table holds only the recently told. */
  sweep(now: number): void {
    const l = this.limits;
    const burst = l.outputBytesPerIp * IP_OUTPUT_BURST_SECONDS;
    for (const [ip, bucket] of this.byIp) if (refilled(bucket, now, burst, l.outputBytesPerIp)) this.byIp.delete(ip);
  }

  private ipBucket(ip: string, now: number): Bucket {
    let bucket = this.byIp.get(ip);
    if (!bucket) this.byIp.set(ip, (bucket = fullBucket(this.limits.outputBytesPerIp * IP_OUTPUT_BURST_SECONDS, now)));
    return bucket;
  }
}
