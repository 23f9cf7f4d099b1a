/**
 * Who is in the room: peers by id and by name, peers per IP address, and the admitted peers
 * grouped by channel, which is the shape a broadcast walks (one encoding per channel).
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
  private readonly byKey = new Map<string, Peer>();
  // Peers per IP address, for the per-address cap; an address is forgotten when its last peer goes.
  private readonly perIp = new Map<string, number>();
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

  /** How many peers an IP address has in the room. */
  fromIp(ip: string): number {
    return this.perIp.get(ip) ?? 0;
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

  /** Adds a peer, not yet admitted. */
  add(peer: Peer): void {
    this.byId.set(peer.id, peer);
    this.byKey.set(peer.key, peer);
    this.perIp.set(peer.link.ip, this.fromIp(peer.link.ip) + 1);
  }

  /** Lets a peer hear and be heard. */
  admit(peer: Peer): void {
    peer.admitted = true;
    this.admittedCount += 1;
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
    }
    this.byKey.delete(peer.key);
    const fromIp = this.fromIp(peer.link.ip) - 1;
    if (fromIp > 0) this.perIp.set(peer.link.ip, fromIp);
    else this.perIp.delete(peer.link.ip);
    return true;
  }
}
