/**
 * What a clustered room (`serve --cluster`) does with its bus: it tells the other servers what
 * its own peers do, and acts on what theirs do, after checking it as it checks a peer's input.
 * A server may only speak for the names it holds: a chat line, a rename or a private line naming
 * a peer of this server or of a third one is refused and counted, so a confused or compromised
 * server cannot put words in another's peers' mouths, and nothing it sends prints as a notice:
 * every line is built here from checked names and text made safe as a peer's is.
 */
import { isPeerId, isRoomName, isTransportName, readBusMessage, nodeOfName, MAX_NAMES_PER_LEAVE, type BusLeaveReason, type BusMessage, type BusRefusal, type RoomBus } from './bus.js';
import type { ClusterCounters } from './counters.js';
import type { ClusterEventKind, RoomEvent } from './events.js';
import { MAX_SEPARATE_NOTICES, nameList } from './join-notices.js';
import type { Limits } from './limits.js';
import { chatLine, droppedNotice, noticeLine, privateLine } from './lines.js';
import { nameKey } from './names.js';
import { encodeLine, type Outbox } from './outbox.js';
import type { Peer } from './peer.js';
import { RemoteRoster, type RemotePeer } from './remote-peers.js';
import type { Roster } from './roster.js';
import { safeText } from './sanitize.js';

/** One peer as the cluster's presence lists it (read back when a link comes back). */
export interface PresenceEntry {
  name: string;
  node: string;
  transport: string;
  ticket?: boolean;
  /** Its number on its server (the same across renames), when the entry carries one. */
  id?: number;
  /** Milliseconds since its server last heard from it, as that server last said. */
  idleMs?: number;
}

/** What the federation needs of its room. */
export interface FederationHost {
  readonly roster: Roster;
  readonly outbox: Outbox;
  readonly limits: Readonly<Limits>;
  readonly counters: ClusterCounters;
  clock(): number;
  emit(event: RoomEvent): void;
  /** A peer on another server joined: told as the room tells its own joins (coalesced). */
  joined(name: string): void;
  /** A ticket signs in as `to` on server `node`: this server's peer `from`, without a ticket, gets its first name back. */
  displaced(from: string, to: string, node: string): void;
}

/** Why a message from another server was refused, beyond its shape (see bus.ts). */
type Refusal = BusRefusal | 'notTheirs' | 'unknownName' | 'noSuchPeer' | 'tableFull' | 'gaveUp';

// A refused bus message is logged at most once a minute per server; every one is counted.
const REFUSAL_LOG_MS = 60_000;

// The presence and the bus travel on different connections, so a read of the presence can be
// older than a join or leave just heard: for this long after the bus told of one, a read that
// disagrees is taken for the older news.
const BUS_NEWS_MS = 10_000;
// Names remembered as just left (see BUS_NEWS_MS), at most.
const MAX_JUST_LEFT = 10_000;
// Servers followed as alive, at most (the list comes from the store).
const MAX_LIVE_NODES = 1000;
/** Peers on other servers a room keeps, at most: what the bus or the store says past it is refused, counted. */
export const MAX_REMOTE_PEERS = 20_000;

const LEAVE_WORDS: Record<BusLeaveReason, string> = {
  quit: 'quit',
  timeout: 'timeout',
  disconnected: 'disconnected',
  dropped: 'dropped',
  shutdown: 'server shutting down',
  gone: 'server gone',
};

/** The room's side of the cluster. */
export class Federation {
  readonly remote = new RemoteRoster();
  private readonly loggedAt = new Map<string, number>();
  // Clash keys of remote peers the bus said left, and when.
  private readonly justLeft = new Map<string, number>();
  // When each remote peer was first heard of here.
  private readonly heardAt = new WeakMap<RemotePeer, number>();
  // The servers alive at the last beat, and those that said goodbye since (a clean shutdown).
  private live = new Set<string>();
  private readonly saidBye = new Set<string>();

  constructor(
    readonly bus: RoomBus,
    private readonly host: FederationHost,
  ) {}

  get node(): string {
    return this.bus.node;
  }

  // ---- what this server's peers do, told to the others ----

  said(peer: Peer, text: string): void {
    this.bus.publish({ t: 'say', name: peer.name, text });
  }

  joined(peer: Peer): void {
    this.bus.publish({ t: 'join', name: peer.name, transport: peer.link.channel.name, ...(peer.ticket ? { ticket: true } : {}), id: peer.id });
  }

  /** Peers of this server left; many go as few messages (a mass expiry, a shutdown). */
  left(names: readonly string[], reason: BusLeaveReason, detail?: string): void {
    for (let i = 0; i < names.length; i += MAX_NAMES_PER_LEAVE) {
      const message: BusMessage = { t: 'leave', names: names.slice(i, i + MAX_NAMES_PER_LEAVE), reason };
      if (detail) message.detail = detail;
      this.bus.publish(message);
    }
  }

  renamed(from: string, to: string): void {
    this.bus.publish({ t: 'rename', from, to });
  }

  whisper(from: Peer, to: RemotePeer, text: string): void {
    this.bus.sendTo(to.node, { t: 'msg', from: from.name, to: to.name, text });
  }

  dropped(name: string, count: number, rate: number): void {
    this.bus.publish({ t: 'dropped', name, count, rate });
  }

  // ---- what the other servers' peers do ----

  /** One message from server `node`, as parsed JSON and nothing more: checked, then acted on. */
  receive(node: string, raw: unknown): void {
    const read = readBusMessage(raw, this.host.limits);
    if (!read.ok) return this.refuse(node, read.why);
    const m = read.message;
    this.host.counters.received += 1;
    const now = this.host.clock();
    switch (m.t) {
      case 'say': {
        const peer = this.speaker(node, m.name, now);
        if (typeof peer === 'string') return this.refuse(node, peer);
        this.host.outbox.broadcast(encodeLine(chatLine(peer.name, this.safe(m.text))));
        return;
      }
      case 'join': {
        if (!this.mayHold(node, m.name)) return this.refuse(node, 'notTheirs');
        const known = this.remote.find(m.name);
        if (known) {
          known.lastSeen = now;
          return;
        }
        if (!this.add({ name: m.name, node, transport: m.transport, ticket: m.ticket ?? false, id: m.id }, now)) return this.refuse(node, 'tableFull');
        this.host.joined(m.name);
        return;
      }
      case 'leave': {
        const gone: string[] = [];
        for (const name of m.names) {
          const peer = this.remote.named(name);
          if (peer?.node !== node) continue;
          this.removePeer(peer);
          this.justLeftNow(peer.key, now);
          gone.push(peer.name);
        }
        this.announceLeft(gone, m.reason, m.detail);
        return;
      }
      case 'rename': {
        const peer = this.remote.named(m.from);
        // A server giving up a name this server's peer holds now (it lost it while cut off): no attack.
        if (!peer && this.host.roster.find(m.from)) return this.refuse(node, 'gaveUp');
        if (peer?.node !== node || !this.mayHold(node, m.to, peer)) return this.refuse(node, 'notTheirs');
        const from = peer.name;
        this.justLeftNow(peer.key, now);
        this.remote.rename(peer, m.to);
        this.heardAt.set(peer, now);
        peer.lastSeen = now;
        this.host.outbox.broadcast(encodeLine(noticeLine(`${from} is now ${m.to}`)));
        return;
      }
      case 'msg': {
        const from = this.speaker(node, m.from, now);
        if (typeof from === 'string') return this.refuse(node, from);
        const target = this.host.roster.find(m.to);
        // Gone meanwhile, or never here: its sender was told it went, as a datagram would be.
        if (!target?.admitted) return this.refuse(node, 'noSuchPeer');
        this.host.outbox.deliver(target, encodeLine(privateLine(from.name, this.safe(m.text))));
        return;
      }
      case 'dropped': {
        const peer = this.speaker(node, m.name, now);
        if (typeof peer === 'string') return this.refuse(node, peer);
        this.host.outbox.broadcast(encodeLine(droppedNotice(peer.name, m.count, m.rate)));
        return;
      }
      case 'sync':
        return;
      case 'bye':
        if (this.saidBye.size < MAX_LIVE_NODES) this.saidBye.add(node);
        return;
      case 'displace':
        return this.host.displaced(m.from, m.to, node);
    }
  }

  /**
   * The cluster's presence as read from its store: peers this room did not know of are told as
   * joined, the ones it knew that are no longer there as left (their server gone when it is not
   * among the `live` ones), and idle times are brought up to date. Heals whatever the bus lost.
   * The peers of a `settling` server are kept even when the store lacks them: the store was
   * emptied, and that server has not had its turn to register them again.
   */
  resync(entries: readonly PresenceEntry[], live: ReadonlySet<string>, settling?: ReadonlySet<string>): void {
    const now = this.host.clock();
    const seen = new Set<RemotePeer>();
    for (const e of entries) {
      // Most entries name a peer known here already, as its server spells it: only its idle time is news.
      const same = this.remote.named(e.name);
      if (same?.node === e.node && !seen.has(same)) {
        if (e.idleMs !== undefined) same.lastSeen = now - e.idleMs;
        seen.add(same);
        continue;
      }
      // The store is input like the bus: names and transports checked as the bus's are.
      if (e.node === this.node || !live.has(e.node) || !isRoomName(e.name, this.host.limits.maxNameLength) || !isTransportName(e.transport)) continue;
      if (!this.mayHold(e.node, e.name, this.remote.find(e.name))) continue;
      if (now - (this.justLeft.get(nameKey(e.name)) ?? -Infinity) < BUS_NEWS_MS) continue;
      let peer = this.remote.find(e.name);
      if (peer && peer.node !== e.node) {
        this.removePeer(peer);
        peer = undefined;
      }
      // Renamed while this server did not hear of it: the same peer of that server under its new name.
      const renamed = !peer && isPeerId(e.id) ? this.remote.byId(e.node, e.id) : undefined;
      if (renamed && !seen.has(renamed)) {
        const from = renamed.name;
        this.justLeftNow(renamed.key, now);
        this.remote.rename(renamed, e.name);
        this.host.outbox.broadcast(encodeLine(noticeLine(`${from} is now ${e.name}`)));
        peer = renamed;
      }
      if (!peer) {
        peer = this.add({ name: e.name, node: e.node, transport: e.transport, ticket: e.ticket ?? false, id: isPeerId(e.id) ? e.id : undefined }, now);
        if (!peer) break;
        this.host.joined(e.name);
      }
      if (e.idleMs !== undefined) peer.lastSeen = now - e.idleMs;
      seen.add(peer);
    }
    const left: string[] = [];
    const gone: string[] = [];
    for (const peer of [...this.remote.all()]) {
      if (seen.has(peer) || settling?.has(peer.node) || now - (this.heardAt.get(peer) ?? -Infinity) < BUS_NEWS_MS) continue;
      this.removePeer(peer);
      (live.has(peer.node) ? left : gone).push(peer.name);
    }
    this.announceLeft(left, 'disconnected');
    this.announceLeft(gone, 'gone');
  }

  /** The servers the cluster still hears from: the peers of any other are gone with it. */
  nodesAlive(live: ReadonlySet<string>): void {
    // A server that said goodbye is told of even if it came and went between two beats.
    for (const node of new Set([...this.live, ...this.remote.nodes(), ...this.saidBye])) {
      if (live.has(node) || node === this.node) continue;
      const peers = this.remote.ofNode(node);
      for (const peer of peers) this.removePeer(peer);
      const left = `${peers.length} peer${peers.length === 1 ? '' : 's'} left`;
      const message = this.saidBye.delete(node) ? `server ${node} shut down and left the cluster` : `server ${node} is gone from the cluster: ${left}`;
      this.host.emit({ type: 'cluster', what: 'gone', node, message });
      this.announceLeft(
        peers.map((p) => p.name),
        'gone',
      );
    }
    this.live = new Set([...live].slice(0, MAX_LIVE_NODES));
  }

  /** The link to the cluster went: this room's peers keep chatting here, and are told. */
  linkLost(why: string): void {
    this.host.counters.linkLost += 1;
    this.host.outbox.broadcast(encodeLine(noticeLine('link to the cluster lost; reconnecting')));
    this.tell('lost', `link to the cluster lost (${why}); reconnecting`);
  }

  /** The link is back after `downMs`; `unsent` of this room's messages never reached the others. */
  linkBack(downMs: number, unsent: number): void {
    const seconds = (downMs / 1000).toFixed(1);
    const lost = unsent > 0 ? `; ${unsent} message${unsent === 1 ? '' : 's'} from here did not reach the other servers` : '';
    this.host.outbox.broadcast(encodeLine(noticeLine(`link to the cluster back after ${seconds}s${lost}`)));
    this.tell('back', `link to the cluster back after ${seconds}s (${unsent} unsent)`);
  }

  /** Reports something about the cluster in the log. */
  tell(what: ClusterEventKind, message: string, node?: string): void {
    this.host.emit(node === undefined ? { type: 'cluster', what, message } : { type: 'cluster', what, message, node });
  }

  // ---- helpers ----

  /**
   * The remote peer `name` that said something, known as `node`'s; else why not. A name never
   * announced is not taken on trust (anyone who can publish could fill the table with them): its
   * join was missed, and the next read of the presence brings it in (see resync).
   */
  private speaker(node: string, name: string, now: number): RemotePeer | 'notTheirs' | 'unknownName' | 'badName' {
    // Looked up as its server spells it: the name passed the room's rules when it entered.
    const known = this.remote.named(name);
    if (!known) {
      // Not one this room was told of: what kind of wrong, on this rare path only.
      if (!isRoomName(name, this.host.limits.maxNameLength)) return 'badName';
      return this.mayHold(node, name) ? 'unknownName' : 'notTheirs';
    }
    if (known.node !== node) return 'notTheirs';
    known.lastSeen = now;
    return known;
  }

  /**
   * True when server `node` may hold `name`: no peer of this server has it (or its look-alike),
   * no peer of another server does, and a first name (`x@NODE`) names `node` itself. `self` is
   * the remote peer renaming, whose own name does not count against it.
   */
  private mayHold(node: string, name: string, self?: RemotePeer): boolean {
    const first = nodeOfName(name);
    if (first !== undefined && first !== node) return false;
    const key = nameKey(name);
    if (this.host.roster.clash(name, key)) return false;
    const holder = this.remote.clash(name, key);
    return !holder || holder === self || holder.node === node;
  }

  /** Adds a remote peer; undefined when the table is full. */
  private add(entry: { name: string; node: string; transport: string; ticket: boolean; id?: number | undefined }, now: number): RemotePeer | undefined {
    if (this.remote.size >= MAX_REMOTE_PEERS) return undefined;
    const peer: RemotePeer = { ...entry, key: nameKey(entry.name), lastSeen: now };
    this.remote.add(peer);
    this.heardAt.set(peer, now);
    this.host.counters.remotePeers = this.remote.size;
    return peer;
  }

  private justLeftNow(key: string, now: number): void {
    if (this.justLeft.size >= MAX_JUST_LEFT) this.justLeft.clear();
    this.justLeft.set(key, now);
  }

  private removePeer(peer: RemotePeer): void {
    this.remote.remove(peer);
    this.host.counters.remotePeers = this.remote.size;
  }

  /** `* bob left (quit)`, or one notice for many, as the room tells its own. */
  private announceLeft(names: readonly string[], reason: BusLeaveReason, detail?: string): void {
    if (names.length === 0) return;
    const why = detail ? `${LEAVE_WORDS[reason]}: ${detail}` : LEAVE_WORDS[reason];
    const out = this.host.outbox;
    if (names.length <= MAX_SEPARATE_NOTICES) for (const name of names) out.broadcast(encodeLine(noticeLine(`${name} left (${why})`)));
    else out.broadcast(encodeLine(noticeLine(`${names.length} peers left (${why}): ${nameList(names)}`)));
  }

  /** A text from the bus made safe as a peer's message is (controls escaped, blank runs capped). */
  private safe(text: string): string {
    return safeText(text, this.host.limits.maxBlankRun);
  }

  private refuse(node: string, why: Refusal): void {
    this.host.counters.refused += 1;
    // A private line for a peer that left meanwhile, or a line from a peer whose join this server
    // missed, is no sign of a confused server.
    if (why === 'noSuchPeer' || why === 'unknownName' || why === 'gaveUp') return;
    const now = this.host.clock();
    if (now - (this.loggedAt.get(node) ?? -Infinity) < REFUSAL_LOG_MS) return;
    if (this.loggedAt.size >= 1000) this.loggedAt.clear();
    this.loggedAt.set(node, now);
    this.tell('refused', `a message from server ${node} refused (${why}); said once a minute per server, every one counted in cluster.refused`, node);
  }
}
