/**
 * The peers of a clustered room that sit on other servers: who they are, which server holds each,
 * by name and by look-alike shape, so `/who`, `/msg` and a rename's clash check see the whole room.
 * Filled from the bus (joins, leaves, renames) and made right again from the cluster's presence
 * whenever a server comes back to the bus (see Federation.resync).
 */
import { nameKey, nameShape } from './names.js';

/** A peer on another server. */
export interface RemotePeer {
  name: string;
  key: string;
  readonly node: string;
  readonly transport: string;
  ticket: boolean;
  /** Its number on its server, when that server said (see BusMessage join). */
  id?: number | undefined;
  /** When it was last heard of on this server's clock (a message, a join, the presence's last-seen). */
  lastSeen: number;
}

/** Remote peers by name, look-alike shape and server. */
export class RemoteRoster {
  private readonly byKey = new Map<string, RemotePeer>();
  // By the name exactly as its server spells it: what each line off the bus is looked up by,
  // without working out a clash key (a skeleton) per line.
  private readonly byName = new Map<string, RemotePeer>();
  private readonly byShape = new Map<string, RemotePeer>();
  private readonly byNode = new Map<string, Set<RemotePeer>>();

  get size(): number {
    return this.byKey.size;
  }

  /** Every remote peer, by server in the order they were heard of. */
  all(): IterableIterator<RemotePeer> {
    return this.byKey.values();
  }

  /** The servers with peers here. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** The remote peer with this name (compared as the room compares names). */
  find(name: string): RemotePeer | undefined {
    return this.byKey.get(nameKey(name));
  }

  /** The remote peer called exactly `name`. */
  named(name: string): RemotePeer | undefined {
    return this.byName.get(name);
  }

  /** The remote peer whose name clashes with `name` by either clash key. */
  clash(name: string, key: string): RemotePeer | undefined {
    return this.byKey.get(key) ?? this.byShape.get(nameShape(name));
  }

  /** The peer `id` of server `node`, if known. */
  byId(node: string, id: number): RemotePeer | undefined {
    for (const peer of this.byNode.get(node) ?? []) if (peer.id === id) return peer;
    return undefined;
  }

  /** The peers of one server. */
  ofNode(node: string): RemotePeer[] {
    return [...(this.byNode.get(node) ?? [])];
  }

  add(peer: RemotePeer): void {
    this.byKey.set(peer.key, peer);
    this.byName.set(peer.name, peer);
    const shape = nameShape(peer.name);
    if (!this.byShape.has(shape)) this.byShape.set(shape, peer);
    let set = this.byNode.get(peer.node);
    if (!set) this.byNode.set(peer.node, (set = new Set()));
    set.add(peer);
  }

  remove(peer: RemotePeer): void {
    if (this.byKey.get(peer.key) !== peer) return;
    this.byKey.delete(peer.key);
    this.byName.delete(peer.name);
    const shape = nameShape(peer.name);
    if (this.byShape.get(shape) === peer) this.byShape.delete(shape);
    const set = this.byNode.get(peer.node);
    set?.delete(peer);
    if (set?.size === 0) this.byNode.delete(peer.node);
  }

  rename(peer: RemotePeer, name: string): void {
    this.remove(peer);
    peer.name = name;
    peer.key = nameKey(name);
    this.add(peer);
  }
}
