/**
 * Who is in the room: peers by id and by name, admitted peers per IP address and grouped by
 * channel, which is the shape a broadcast walks (one encoding per channel), and the peers still
 * waiting to give the password, apart: they take no place in the room.
 */
import type { Channel } from './channel.js';
import { trafficOf, type RoomCounters, type TransportTraffic } from './counters.js';
import { nameKey } from './names.js';
import type { Peer, PeerLink } from './peer.js';

/** The admitted peers of one channel, and that transport's traffic counters. */
export interface Group {
  readonly channel: Channel;
  readonly peers: Set<Peer>;
  readonly traffic: TransportTraffic;
}

/** The room's members and their indexes. */
export class Roster {
  /** Every peer, admitted or waiting for the password, in order of joining. */
  readonly byId = new Map<number, Peer>();
  /** Admitted peers by channel; each set keeps joining order. */
  readonly groups = new Map<Channel, Group>();
  /**
   * Peers waiting to give the password, least recently tried first: a peer is moved to the end
   * when it comes and at each `/join` attempt, so the oldest to evict or expire is the first.
   */
  readonly waiting = new Set<Peer>();
  private readonly byKey = new Map<string, Peer>();
  // Admitted peers per IP address, for the per-address cap; an address is forgotten when its last peer goes.
  private readonly perIp = new Map<string, number>();
  // Waiting peers per IP address, for their own cap.
  private readonly waitingPerIp = new Map<string, number>();
  // Kept, not counted: a join and /who would otherwise walk every peer.
  private admittedCount = 0;

  constructor(private readonly counters: RoomCounters) {}

  /** How many peers, admitted or not. */
  get size(): number {
    return this.byId.size;
  }

  /** How many peers are admitted (hear and are heard). */
  get admitted(): number {
    return this.admittedCount;
  }

  /** True while the peer is in the room. */
  has(peer: Peer): boolean {
    return this.byId.has(peer.id);
  }

  /** The peer with this name (compared case-folded), if any. */
  find(name: string): Peer | undefined {
    return this.byKey.get(nameKey(name));
  }

  /** The peer holding this clash key, if any. */
  holder(key: string): Peer | undefined {
    return this.byKey.get(key);
  }

  /** How many admitted peers an IP address has in the room. */
  fromIp(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** How many peers from an IP address are waiting to give the password. */
  waitingFromIp(ip: string): number {
    return this.waitingPerIp.get(ip) ?? 0;
  }

  /** The peer from this IP address that has waited longest since it came or tried `/join`. */
  oldestWaitingFrom(ip: string): Peer | undefined {
    for (const peer of this.waiting) if (peer.link.ip === ip) return peer;
    return undefined;
  }

  /** The name a new peer starts with: its address, made unique. */
  firstName(link: PeerLink): string {
    let name = link.address;
    if (this.byKey.has(nameKey(name))) name = `${link.channel.name}/${link.address}`;
    // Links can share a transport and an address too (memory links do): a name must stay unique,
    // or the second peer takes the first one's index entry and the first one's leave deletes it.
    for (let n = 2; this.byKey.has(nameKey(name)); n++) name = `${link.channel.name}/${link.address}#${n}`;
    return name;
  }

  /** Adds a peer, waiting until it is admitted. */
  add(peer: Peer): void {
    this.byId.set(peer.id, peer);
    this.byKey.set(peer.key, peer);
    this.waiting.add(peer);
    bump(this.waitingPerIp, peer.link.ip, 1);
  }

  /** A waiting peer tried `/join` at `now`: its wait starts again, and it is the newest waiting. */
  tried(peer: Peer, now: number): void {
    if (!this.waiting.delete(peer)) return;
    peer.triedAt = now;
    this.waiting.add(peer);
  }

  /** Lets a waiting peer hear and be heard. */
  admit(peer: Peer): void {
    if (this.waiting.delete(peer)) bump(this.waitingPerIp, peer.link.ip, -1);
    peer.admitted = true;
    this.admittedCount += 1;
    bump(this.perIp, peer.link.ip, 1);
    this.groupOf(peer.link.channel).peers.add(peer);
  }

  /** The group of a channel, made on first use. */
  groupOf(channel: Channel): Group {
    let group = this.groups.get(channel);
    if (!group) this.groups.set(channel, (group = { channel, peers: new Set(), traffic: trafficOf(this.counters, channel.name) }));
    return group;
  }

  /** Gives a peer a new name. */
  rename(peer: Peer, name: string, key: string): void {
    this.byKey.delete(peer.key);
    peer.name = name;
    peer.key = key;
    peer.prefix = undefined;
    this.byKey.set(key, peer);
  }

  /** Removes a peer; false when it had gone already. */
  remove(peer: Peer): boolean {
    if (!this.byId.delete(peer.id)) return false;
    if (peer.admitted) {
      this.admittedCount -= 1;
      this.groups.get(peer.link.channel)?.peers.delete(peer);
      bump(this.perIp, peer.link.ip, -1);
    } else if (this.waiting.delete(peer)) bump(this.waitingPerIp, peer.link.ip, -1);
    this.byKey.delete(peer.key);
    return true;
  }
}

/** Adds `by` to an address's count, forgetting the address at 0 so the map stays small. */
function bump(counts: Map<string, number>, ip: string, by: number): void {
  const n = (counts.get(ip) ?? 0) + by;
  if (n > 0) counts.set(ip, n);
  else counts.delete(ip);
}
