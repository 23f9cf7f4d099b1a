/**
 * The room: it ties its parts together. The roster says who is in, admission who may come in,
 * dispatch what a message does, the outbox how lines go out, and the counters what happened.
 * It knows nothing of sockets or timers: transports hand it a PeerLink per peer and the bytes
 * of each message (through the RoomDoor they are given), and the server calls sweep() on its
 * own timer with the clock the room was given.
 */
import { Admission, type Refusal } from './admission.js';
import type { RoomBus } from './bus.js';
import { zeroClusterCounters, zeroCounters, trafficOf, type DropReason, type RoomCounters } from './counters.js';
import { dispatch, refuse, type DispatchContext } from './dispatch.js';
import { Federation, type PresenceEntry } from './federation.js';
import { formatDuration } from './duration.js';
import type { RefusedPeer, RoomEvent } from './events.js';
import { JoinNotices, MAX_SEPARATE_NOTICES, nameList, type Schedule } from './join-notices.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, DROP_LOG_INTERVAL_MS, REFUSAL_NOTICE_INTERVAL_MS, type Limits } from './limits.js';
import { droppedNotice, errorLine, noticeLine, slowDownLine, welcomeLine } from './lines.js';
import { nameKey, nameShape, validateName } from './names.js';
import { encodeLine, Outbox, type RoomMirror } from './outbox.js';
import { OutputBudget } from './output-budget.js';
import { peerInfo, type LeaveReason, type Peer, type PeerLink } from './peer.js';
import { available, fullBucket, nextTokenAt, take } from './rate.js';
import { Roster } from './roster.js';
import { Timeline } from './timeline.js';
import { escapeControls, messageLength, messageText, plainAscii } from './sanitize.js';
import { guestName, isGuestKey, looksLikeTicket, ticketIn, TicketDesk, type TicketCheck, type TicketErrorCode, type TicketOptions } from './tickets.js';
import type { MessageBudget, RoomDoor, TransportContext } from './transport.js';

export { zeroCounters, type DropReason, type RoomCounters, type TransportTraffic } from './counters.js';
export type { RoomEvent } from './events.js';

export interface RoomOptions {
  /** Milliseconds since any fixed point; tests pass a fake one to test expiry without waiting. */
  clock?: () => number;
  peerTimeoutMs?: number;
  /** Send a sender's chat line back to it too (off, as in ncat's broker). */
  echoSelf?: boolean;
  limits?: Partial<Limits>;
  /** When set, a peer must send `/join PASSWORD` before it hears or is heard. */
  password?: string;
  onEvent?: (event: RoomEvent) => void;
  /** The transports whose traffic the counters list from the start (zeros included). */
  transports?: readonly string[];
  /** A timer for coalescing join notices (see join-notices.ts); without one every join is told at once. */
  schedule?: Schedule;
  /** `/join TICKET` signs a peer in under the ticket's name; the verifier is the server's (core does no crypto). */
  tickets?: TicketOptions;
  /**
   * Peers see each other's ip:port (the default: on loopback the address is the lesson). Off in a
   * room exposed beyond loopback: `/who` lists names, and a peer is `guest7` until it chooses one.
   */
  showAddresses?: boolean;
  /** Every broadcast line also goes here once (serve --multicast), counted as `traffic[mirror.name]`. */
  mirror?: RoomMirror;
  /**
   * One room over many servers (serve --cluster): what its peers do is told to the others on
   * this bus, and theirs told here (see federation.ts); `room` is the room's name in the cluster.
   */
  cluster?: { bus: RoomBus; room: string };
}

/** One of this server's peers as the cluster's presence keeps it (see RoomBus). */
export interface LocalPresence {
  name: string;
  key: string;
  transport: string;
  ticket: boolean;
  idleMs: number;
  /** When the room last heard from it, on the room's clock: what changes when it speaks or beats. */
  lastSeen: number;
}

/** One peer as a live panel lists it. */
export interface PeerSnapshot {
  name: string;
  transport: string;
  /** Milliseconds since the room last heard from it, on the room's clock. */
  idleMs: number;
  /** Its ip:port: only in a snapshot asked for with addresses (the teacher's own machine). */
  address?: string;
  /** The server that holds it, for a peer on another server of a cluster. */
  node?: string;
}

// How long an address dropped as an echo loop is kept out, silently: long enough for its echo of
// the goodbye and of the lines in flight to die, short enough that a peer someone got dropped
// with three forged copies of a broadcast (UDP sources can be forged) is back with its next
// heartbeat, as after a forged /quit.
const ECHO_SHUN_MS = 5000;

// Addresses kept out after an echo loop, at most; past it the table is emptied (a flood of forged reflectors must not grow memory).
const MAX_SHUNNED = 1000;

function shunKey(link: PeerLink): string {
  return `${link.channel.name} ${link.address}`;
}

/** One chat room shared by every transport. */
export class Room implements RoomDoor {
  readonly limits: Readonly<Limits>;
  readonly peerTimeoutMs: number;
  readonly counters: RoomCounters;
  /** The room's clock, for the transports' own limits and the live panel. */
  readonly clock: () => number;
  /** What happens in the room, for the page's live timeline (GET /timeline): off until a page subscribes. */
  readonly timeline: Timeline;
  private readonly roster: Roster;
  private readonly admission: Admission;
  private readonly outbox: Outbox;
  private readonly output: OutputBudget;
  // Where peers dropped as echo loops were (transport and address), until when they are kept out:
  // what they reflect of the room's last lines must not join them again and restart the loop.
  private readonly shunned = new Map<string, number>();
  private readonly joins: JoinNotices<{ peer?: Peer; name: string }>;
  // Names (by clash key, and `shape SHAPE`) asked of the cluster and not yet answered, and who asked.
  private readonly claims = new Map<string, Peer>();
  /** The other servers of a clustered room (serve --cluster), or undefined. */
  readonly federation: Federation | undefined;
  private readonly context: DispatchContext;
  private readonly onEvent: (event: RoomEvent) => void;
  private readonly tickets: TicketDesk | undefined;
  private readonly showAddresses: boolean;
  private readonly schedule: Schedule | undefined;
  private nextId = 1;
  private timeoutLine: Uint8Array | undefined;
  private closed = false;

  constructor(options: RoomOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.timeline = new Timeline(this.clock);
    const onEvent = options.onEvent ?? (() => {});
    // Joins, leaves and renames reach the timeline as they reach the log: from the one place they are told.
    this.onEvent = (event) => {
      if (this.timeline.active && event.type !== 'message') this.timeline.roomEvent(event);
      onEvent(event);
    };
    this.schedule = options.schedule;
    this.counters = zeroCounters(options.transports);
    this.roster = new Roster(this.counters);
    this.admission = new Admission(this.limits, options.password || undefined, options.tickets?.required ?? false);
    this.tickets = options.tickets ? new TicketDesk(options.tickets) : undefined;
    this.showAddresses = options.showAddresses ?? true;
    this.output = new OutputBudget(this.limits, this.clock);
    this.outbox = new Outbox(this.roster, this.counters, this.output, (reason, count, peer) => this.drop(reason, count, peer));
    this.joins = new JoinNotices(this.clock, options.schedule, (joined) => this.announceJoins(joined));
    this.outbox.pending = () => this.joins.flush();
    this.outbox.mirror = options.mirror;
    if (options.cluster) {
      const cluster = (this.counters.cluster = zeroClusterCounters(options.cluster.bus.node, options.cluster.room));
      this.federation = new Federation(options.cluster.bus, {
        roster: this.roster,
        outbox: this.outbox,
        limits: this.limits,
        counters: cluster,
        clock: this.clock,
        emit: this.onEvent,
        joined: (name) => this.joins.add({ name }),
        displaced: (from, to, node) => this.displaced(from, to, node),
      });
    }
    this.context = {
      roster: this.roster,
      outbox: this.outbox,
      counters: this.counters,
      limits: this.limits,
      echoSelf: options.echoSelf ?? false,
      clock: this.clock,
      emit: this.onEvent,
      drop: (reason, count, peer) => this.drop(reason, count, peer),
      leave: (peer, reason, detail) => this.leave(peer, reason, detail),
      tryPassword: (peer, given) => this.tryPassword(peer, given),
      tryTicket: (peer, given) => this.tryTicket(peer, given),
      nameRefusal: (peer, key) => this.nameRefusal(peer, key),
      door: this.door(),
      showAddresses: this.showAddresses,
      timeline: this.timeline,
      federation: this.federation,
      claim: (peer, name, key, granted) => this.claim(peer, name, key, granted),
    };
  }

  /** How many peers are in the room. */
  get size(): number {
    return this.roster.size;
  }

  /** Every peer, in order of joining. */
  peers(): IterableIterator<Peer> {
    return this.roster.byId.values();
  }

  /** The peer with this name (compared case-folded), if any. */
  find(name: string): Peer | undefined {
    return this.roster.find(name);
  }

  /** Counts a drop, for the counters and the NDJSON stream, and tells the timeline whose it was (`peer`, `transport`) where known. */
  drop(reason: DropReason, count = 1, peer?: Peer, transport?: string): void {
    this.counters.drops[reason] += count;
    if (this.timeline.active) this.timeline.drop(reason, count, peer, transport);
  }

  /**
   * What a transport is handed: this room's door, its drop counters as the sink, its limits and
   * clock. `admit` is the access list (everyone by default), `onError` where socket errors go,
   * `transport` the name the timeline gives the transport's drops.
   */
  contextFor(options: { admit?: (ip: string, port?: number) => boolean; onError?: (err: Error) => void; transport?: string } = {}): TransportContext {
    return {
      room: this,
      drop: (reason, count, peer) => this.drop(reason, count, peer, options.transport),
      timeline: this.timeline,
      limits: this.limits,
      clock: this.clock,
      peerTimeoutMs: this.peerTimeoutMs,
      admit: options.admit ?? (() => true),
      onError: options.onError ?? (() => {}),
    };
  }

  /**
   * Admitted peers in joining order, at most `most` (0: all), with idle times on the room's clock,
   * and with their addresses when `addresses` is set (for the teacher, never for the peers).
   */
  snapshot(most: number, addresses = false): PeerSnapshot[] {
    const now = this.clock();
    const out: PeerSnapshot[] = [];
    for (const peer of this.roster.byId.values()) {
      if (most > 0 && out.length >= most) break;
      if (!peer.admitted) continue;
      const snap: PeerSnapshot = { name: peer.name, transport: peer.link.channel.name, idleMs: Math.max(0, Math.round(now - peer.lastSeen)) };
      if (addresses) snap.address = peer.link.address;
      out.push(snap);
    }
    for (const peer of this.federation?.remote.all() ?? []) {
      if (most > 0 && out.length >= most) break;
      out.push({ name: peer.name, transport: peer.transport, idleMs: Math.max(0, Math.round(now - peer.lastSeen)), node: peer.node });
    }
    return out;
  }

  /** This server's admitted peers as the cluster's presence keeps them. */
  presence(): LocalPresence[] {
    const now = this.clock();
    const out: LocalPresence[] = [];
    for (const group of this.roster.groups.values()) {
      for (const peer of group.peers) {
        out.push({ name: peer.name, key: peer.key, transport: group.channel.name, ticket: peer.ticket ?? false, idleMs: Math.max(0, Math.round(now - peer.lastSeen)), lastSeen: peer.lastSeen });
      }
    }
    return out;
  }

  /** The cluster's presence, read again (its link came back, or a server asked): see Federation.resync. */
  resync(entries: readonly PresenceEntry[], live: ReadonlySet<string>, settling?: ReadonlySet<string>): void {
    if (!this.closed) this.federation?.resync(entries, live, settling);
  }

  /**
   * A peer's name was taken on another server while this one was cut off from the cluster: the
   * peer gets its first name again, told why.
   */
  lostName(name: string, node: string): void {
    const peer = this.roster.find(name);
    if (!peer || this.closed) return;
    this.renameTo(peer, this.firstName(peer.link, peer.id), `${name} was taken on server ${node} while this server was cut off from the cluster`);
    this.federation?.tell('conflict', `${name} was taken on server ${node} while the link was down: this server's ${name} is ${peer.name} again`, node);
  }

  /**
   * A ticket signs in as `to` on server `node`, and `from` here (without a ticket) holds that name
   * or its look-alike: it gets its first name back, as on one server (see signIn).
   */
  private displaced(from: string, to: string, node: string): void {
    const peer = this.roster.find(from);
    if (!peer?.admitted || peer.ticket || this.closed) return;
    this.renameTo(peer, this.firstName(peer.link, peer.id), `${to} signs in with a ticket on server ${node}`);
  }

  /**
   * Asks the cluster for a name before a peer takes it (a rename, a ticket's: `ticket`): `granted` runs when
   * it is this room's, at once without a cluster (later with one, so it checks this room again);
   * otherwise the peer is told why not. A peer that left meanwhile gives the name back.
   */
  /** True while a name `peer` asked for is being claimed (one at a time per peer). */
  private claimingNow(peer: Peer): boolean {
    for (const asker of this.claims.values()) if (asker === peer) return true;
    return false;
  }

  private claim(peer: Peer, name: string, key: string, granted: () => void, ticket = false): void {
    const federation = this.federation;
    if (!federation) return granted();
    if (this.claimingNow(peer)) return refuse(this.context, peer, 'ERR_RATE_LIMITED', 'your last name is still being checked with the other servers; wait for the answer');
    const shape = nameShape(name);
    // The cluster grants a name to a server, not to a peer: two peers of this server asking for
    // one name (or look-alikes) at once would both be granted, the loser's entry overwriting the
    // winner's in the store (a ghost in every other server's /who), or its release, when it left
    // before the answer, deleting the winner's (the name then free on every other server). So
    // one claim at a time per name and per look-alike shape here.
    const rival = this.claims.get(key) ?? this.claims.get(`shape ${shape}`);
    if (rival && rival !== peer) return refuse(this.context, peer, 'ERR_NAME_TAKEN', `name taken: ${name} (another peer here is taking it)`);
    this.claims.set(key, peer).set(`shape ${shape}`, peer);
    federation.bus.claim(name, key, shape, ticket, (refusal, code) => {
      this.claims.delete(key);
      this.claims.delete(`shape ${shape}`);
      if (this.closed || !this.roster.has(peer)) return federation.bus.release(key);
      if (refusal) return refuse(this.context, peer, code ?? 'ERR_NAME_TAKEN', refusal);
      // What changed here meanwhile (someone took the name on this server) is granted()'s to check.
      granted();
    });
  }

  /**
   * Adds a peer. It is welcomed, the others are told, and it is named after its address
   * until it chooses a name. With a password it waits, unheard and taking no place, for
   * `/join PASSWORD` (the oldest waiting peer making room when too many wait). Returns null,
   * after telling the link why, when the room is full or its address has too many peers or joins.
   */
  join(link: PeerLink): Peer | null {
    if (this.closed) return null;
    const now = this.clock();
    if (this.shunned.size > 0 && this.isShunned(link, now)) {
      // Nothing goes back: an answer is what an echo service would bounce.
      this.counters.rejected += 1;
      this.drop('echoRejoin', 1, undefined, link.channel.name);
      this.onEvent({ type: 'refused', peer: { address: link.address, transport: link.channel.name }, reason: 'echoRejoin', code: 'ERR_ECHO_LOOP', message: 'an echo loop, kept out a while' });
      return null;
    }
    const refusal = this.admission.refusal(this.roster, link.ip, now);
    if (refusal) {
      this.turnAway(link, refusal);
      return null;
    }
    const l = this.limits;
    const id = this.nextId++;
    const name = this.firstName(link, id);
    const peer: Peer = {
      id,
      link,
      name,
      key: nameKey(name),
      joinedAt: now,
      lastSeen: now,
      admitted: false,
      messages: fullBucket(l.messageBurst, now),
      renames: fullBucket(l.renameBurst, now),
      warnedAt: -Infinity,
      refused: 0,
      tallyDue: false,
      dropLoggedAt: -Infinity,
      passwordTries: 0,
      triedAt: now,
      output: this.output.fresh(now),
      who: { at: -Infinity, warned: false },
      help: { at: -Infinity, warned: false },
      echoes: 0,
    };
    if (!this.admission.waits) {
      this.roster.add(peer);
      this.admit(peer);
      return peer;
    }
    const evicted = this.admission.waitingToEvict(this.roster, link.ip);
    if (evicted) {
      this.drop('waitingFull');
      this.leave(evicted, 'dropped', 'too many waiting for the password');
    }
    this.roster.add(peer);
    this.outbox.tell(peer, noticeLine(`this room needs ${this.door()}`));
    return peer;
  }

  /** A new peer's name until it chooses one: its address on loopback, `guest7` in a room others can reach. */
  private firstName(link: PeerLink, id: number): string {
    const name = this.showAddresses ? this.roster.firstName(link) : guestName(id);
    // In a cluster a first name carries its server's name: no chosen name has an @, so it can
    // clash with nobody's on any server, and needs no claim.
    return this.federation ? `${name}@${this.federation.node}` : name;
  }

  /** What a peer waiting at the door must send. */
  private door(): string {
    if (this.tickets?.required) return 'a ticket: send /join TICKET';
    return `a password: send /join PASSWORD${this.tickets ? ' (or /join TICKET)' : ''}`;
  }

  /** Tells a link why it may not join (or be seated), counted. */
  private turnAway(link: PeerLink, refusal: Refusal): void {
    this.counters.rejected += 1;
    this.drop(refusal.reason, 1, undefined, link.channel.name);
    this.outbox.send(link, encodeLine(errorLine(refusal.message)));
    this.onEvent({ type: 'refused', peer: { address: link.address, transport: link.channel.name }, reason: refusal.reason, code: refusal.code, message: refusal.message });
  }

  private admit(peer: Peer): void {
    this.roster.admit(peer);
    this.counters.joins += 1;
    // Everyone in the room counts, on this server and (in a cluster) on the others.
    this.outbox.tell(peer, welcomeLine(peer.name, this.roster.admitted + (this.federation?.remote.size ?? 0), this.peerTimeoutMs));
    // The name as it is now: a rename before the notice goes out must not rewrite who joined.
    this.joins.add({ peer, name: peer.name });
    this.onEvent({ type: 'join', peer: peerInfo(peer) });
    this.federation?.joined(peer);
  }

  private announceJoins(joined: readonly { peer?: Peer; name: string }[]): void {
    if (joined.length <= MAX_SEPARATE_NOTICES) {
      for (const { peer, name } of joined) this.outbox.broadcast(encodeLine(noticeLine(`${name} joined`)), peer);
      return;
    }
    // Told to the joiners too: excluding each of them would cost a check per delivery.
    this.outbox.broadcast(encodeLine(noticeLine(`${joined.length} peers joined: ${nameList(joined.map((j) => j.name))}`)));
  }

  private tryPassword(peer: Peer, given: string): void {
    // Any /join attempt, right or wrong, restarts the wait; nothing else does.
    this.roster.tried(peer, this.clock());
    // A room that requires tickets opens to a ticket alone: no password (nor its absence) will do.
    const ticketsOnly = this.tickets?.required ?? false;
    if (!ticketsOnly && this.admission.passwordOk(given)) return this.seat(peer);
    peer.passwordTries += 1;
    this.drop('badPassword', 1, peer);
    this.onEvent({ type: 'refused', peer: refusedPeer(peer), reason: 'badPassword', code: 'ERR_BAD_PASSWORD', message: ticketsOnly ? 'not a ticket (the room takes tickets only)' : 'wrong password' });
    if (this.admission.triesUsed(peer.passwordTries)) return this.leave(peer, 'dropped', 'wrong password');
    this.outbox.tell(peer, errorLine(ticketsOnly ? 'this room takes tickets only: send /join TICKET' : 'wrong password; send /join PASSWORD'));
  }

  /** `/join X` where X is a ticket: starts its check (answered on a later tick) and returns true; false for a password. */
  private tryTicket(peer: Peer, given: string): boolean {
    const token = ticketIn(given);
    if (token === undefined) {
      // A cut-off ticket is told so, whether the peer is in already or the room takes tickets only;
      // a room's own password of that shape (a.b.c) stays a password.
      if (!this.tickets || !looksLikeTicket(given) || (this.admission.password !== undefined && given === this.admission.password)) return false;
      this.roster.tried(peer, this.clock());
      this.ticketRefused(peer, 'ERR_TICKET_INVALID', 'not a valid ticket');
      return true;
    }
    // A /join attempt, ticket or not, restarts a waiting peer's wait (see tryPassword).
    this.roster.tried(peer, this.clock());
    if (!this.tickets) {
      this.ticketRefused(peer, 'ERR_NO_TICKETS', 'this room takes no tickets');
      return true;
    }
    const started = this.tickets.check(peer, token, this.clock(), (check, held) => {
      this.ticketChecked(peer, check);
      // What the peer said while its ticket was checked, in order, now that the door has answered;
      // from a peer gone meanwhile it was never acted on (so the counters still add up).
      for (const bytes of held) {
        if (!this.roster.has(peer)) this.drop('notAdmitted', 1, peer);
        // A held `/join TICKET` may have started another check: what follows it waits again.
        else if (!this.tickets!.hold(peer, bytes)) this.handle(peer, bytes, this.clock());
      }
    });
    if (!started) this.outbox.tell(peer, errorLine('your ticket is being checked; wait for the answer'));
    return true;
  }

  /** A ticket's check came back: sign the peer in under its name, or tell it why not. */
  private ticketChecked(peer: Peer, check: TicketCheck): void {
    // The peer may have left (or the room closed) while its ticket was checked.
    if (this.closed || !this.roster.has(peer)) return;
    if (!check.ok) return this.ticketRefused(peer, check.code, check.message);
    let name: string;
    try {
      name = validateName(check.name, this.limits.maxNameLength);
    } catch (err) {
      return this.ticketRefused(peer, 'ERR_TICKET_INVALID', `the ticket's name is not one this room takes: ${(err as Error).message}`);
    }
    const key = nameKey(name);
    if (isGuestKey(key)) return this.ticketRefused(peer, 'ERR_TICKET_INVALID', `the ticket's name ${name} is a guest name, given by the room`);
    if (peer.ticket) {
      if (peer.key === key) return void this.outbox.tell(peer, noticeLine(`you are signed in as ${name} already`));
      return this.ticketRefused(peer, 'ERR_TICKET_IN_USE', `you are signed in as ${peer.name} already; one ticket per peer`);
    }
    // On another server a ticket holder keeps its name; one without a ticket is asked to give it
    // back by the cluster's claim (see RedisBus.claimOrDisplace), as it would be here.
    const away = this.federation?.remote.clash(name, key);
    if (away?.ticket) return this.ticketRefused(peer, 'ERR_TICKET_IN_USE', `${name} is here already, on server ${away.node}, signed in with a ticket; a name has one holder at a time`);
    this.claim(peer, name, key, () => this.signIn(peer, name, key), true);
  }

  /** A ticket's name is this room's to give: the peer takes it (and its seat, when at the door). */
  private signIn(peer: Peer, name: string, key: string): void {
    const holder = this.roster.clash(name, key);
    if (holder && holder !== peer) {
      if (holder.ticket) return this.ticketRefused(peer, 'ERR_TICKET_IN_USE', `${name} is here already, signed in with a ticket; a name has one holder at a time`);
      // Someone without a ticket took the name: the ticket wins, and they get their first name back.
      this.renameTo(holder, this.firstName(holder.link, holder.id), `${name} signs in with a ticket`);
    }
    peer.ticket = true;
    if (!peer.admitted) {
      this.roster.rename(peer, name, key);
      // Seated as a password would seat it: a full room still turns it away (and forgets it).
      this.seat(peer);
      if (peer.admitted) this.tickets!.claim(key);
      // Turned away at the seat (a full room): the cluster's claim goes back too.
      else this.federation?.bus.release(key);
      return;
    }
    this.tickets!.claim(key);
    this.outbox.tell(peer, noticeLine(`signed in by ticket as ${name}`));
    if (peer.key !== key) this.renameTo(peer, name);
  }

  /** Renames a peer and tells the room (and the holder, with `why`, when it is not its own doing). */
  private renameTo(peer: Peer, name: string, why?: string): void {
    const from = peer.name;
    this.roster.rename(peer, name, nameKey(name));
    if (why) this.outbox.tell(peer, errorLine(`you are ${name} again: ${why}`));
    if (peer.admitted) {
      this.outbox.broadcast(encodeLine(noticeLine(`${from} is now ${name}`)));
      this.federation?.renamed(from, name);
    }
    this.onEvent({ type: 'rename', peer: peerInfo(peer), from });
  }

  /** Tells a peer its ticket was refused; a peer still at the door spends one of its password tries. */
  private ticketRefused(peer: Peer, code: TicketErrorCode, message: string): void {
    this.drop('badTicket', 1, peer);
    // At the door it is a refusal (the log says it once a minute); once in, a mistake of the peer's.
    if (peer.admitted) this.onEvent({ type: 'error', peer: peerInfo(peer), code, message: `ticket refused: ${message}` });
    else this.onEvent({ type: 'refused', peer: refusedPeer(peer), reason: 'badTicket', code, message: `ticket refused: ${message}` });
    this.outbox.tell(peer, errorLine(`ticket refused: ${message}`));
    if (!peer.admitted) {
      peer.passwordTries += 1;
      if (this.admission.triesUsed(peer.passwordTries)) this.leave(peer, 'dropped', 'bad ticket');
    }
  }

  /** Why `peer` may not take the free name of this key, or undefined when it may. */
  private nameRefusal(peer: Peer, key: string): string | undefined {
    if (peer.ticket) return `your name ${peer.name} is signed by your ticket; it stays`;
    if (isGuestKey(key)) return 'guest names (guestN) are given by the room; choose another';
    if (this.tickets?.reserved(key)) return 'that name belongs to a ticket holder; choose another';
    return undefined;
  }

  /** Admits a waiting peer that gave the password, if the room and its address have a place. */
  private seat(peer: Peer): void {
    const refusal = this.admission.seatRefusal(this.roster, peer.link.ip);
    if (!refusal) return this.admit(peer);
    // Turned away as a joiner would have been: the `!` line, and the link closed.
    this.turnAway(peer.link, refusal);
    this.roster.remove(peer);
    peer.link.close('dropped');
  }

  /** Handles one message from a peer: any bytes at all, as they came off the wire. */
  receive(peer: Peer, bytes: Uint8Array): void {
    if (!this.roster.has(peer)) return;
    const now = this.countIn(peer, bytes.length);
    // Counted in now, handled once the peer's ticket has been checked (see tryTicket).
    if (this.tickets?.hold(peer, bytes)) return;
    this.handle(peer, bytes, now);
  }

  /**
   * A message of `size` bytes from a peer in the roster, counted in (whatever becomes of it, so
   * the counters add up) and refreshing its last-seen time; returns the time it came.
   */
  private countIn(peer: Peer, size: number): number {
    const now = this.clock();
    peer.lastSeen = now;
    const traffic = trafficOf(this.counters, peer.link.channel.name);
    traffic.messagesIn += 1;
    traffic.bytesIn += size;
    return now;
  }

  /** A message counted in: the sender's rate, its size, then what it says. */
  private handle(peer: Peer, bytes: Uint8Array, now: number): void {
    const l = this.limits;
    if (!take(peer.messages, now, l.messageBurst, l.messageRate)) return this.rateLimited(peer, now);
    // Drops not yet told (a room without a schedule): told with the next message after the second.
    if (peer.refused > 0) this.tellRefusedWhenDue(peer, now);
    const size = messageLength(bytes);
    if (size > l.maxMessageBytes) return this.refuseSize(peer, size);
    if (l.maxEchoes > 0 && this.echoed(peer, bytes, size, now)) return;
    // One pass decides whether the bytes are the text (most chat lines): for sanitizing and relaying both.
    const plain = plainAscii(bytes, size, l.maxBlankRun);
    dispatch(this.context, peer, messageText(bytes, size, l.maxBlankRun, plain), plain ? bytes : undefined, size);
  }

  /**
   * Counts a message that repeats a line the room just sent its peer; at maxEchoes in a row the
   * peer is only reflecting (an echo service, `nc -u -l` piped back), and two of them in a room
   * would bounce every line between them: it is dropped, and true is returned.
   */
  private echoed(peer: Peer, bytes: Uint8Array, size: number, now: number): boolean {
    if (!this.outbox.heard(peer, bytes, size)) {
      peer.echoes = 0;
      return false;
    }
    peer.echoes += 1;
    if (peer.echoes < this.limits.maxEchoes) return false;
    // Acted on: the peer goes (so the counters' identity holds, as for any handled message).
    this.counters.handled += 1;
    this.drop('echoLoop', 1, peer);
    if (this.shunned.size >= MAX_SHUNNED) this.shunned.clear();
    this.shunned.set(shunKey(peer.link), now + Math.min(ECHO_SHUN_MS, this.peerTimeoutMs));
    this.leave(peer, 'dropped', 'echo loop');
    return true;
  }

  private isShunned(link: PeerLink, now: number): boolean {
    const until = this.shunned.get(shunKey(link));
    if (until === undefined) return false;
    if (until > now) return true;
    this.shunned.delete(shunKey(link));
    return false;
  }

  /**
   * The peer's message budget, read without spending it: a stream transport stops reading a
   * peer that has none until `readyAt`, so a flood waits in the kernel instead of being read,
   * parsed and dropped here (UDP cannot push back: its datagrams are dropped by receive()).
   */
  budget(peer: Peer): MessageBudget {
    const now = this.clock();
    if (!this.roster.has(peer)) return { messages: Infinity, readyAt: now };
    const l = this.limits;
    const messages = available(peer.messages, now, l.messageBurst, l.messageRate);
    return { messages, readyAt: messages > 0 ? now : nextTokenAt(peer.messages, now, l.messageBurst, l.messageRate) };
  }

  /**
   * A message past the peer's rate, dropped. A limit must never pass for network loss: the
   * sender is told how many were dropped (at most once a second, the rest in a tally a second
   * later), the others are told the same (a receiver counting a numbered run counts them apart
   * from its losses), and the server logs the first drop of each minute per peer, with why.
   */
  private rateLimited(peer: Peer, now: number): void {
    const l = this.limits;
    this.drop('rateLimited', 1, peer);
    peer.refused += 1;
    if (now - peer.dropLoggedAt >= DROP_LOG_INTERVAL_MS) {
      peer.dropLoggedAt = now;
      const message = `sending too fast: messages dropped past ${l.messageRate} a second (bursts of ${l.messageBurst}; --rate, --burst); logged once a minute per peer, every drop counted in drops.rateLimited`;
      this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_RATE_LIMITED', message });
    }
    this.tellRefusedWhenDue(peer, now);
  }

  /**
   * The one place dropped messages are told: now, when a second has passed since the peer was
   * last told; else (with a scheduler) when that second is up, the timer checking again, since a
   * message accepted meanwhile may have told them. At most one notice a second, however drops,
   * accepted messages and the timer interleave.
   */
  private tellRefusedWhenDue(peer: Peer, now: number): void {
    if (now - peer.warnedAt >= REFUSAL_NOTICE_INTERVAL_MS) return this.tellRefused(peer, now);
    if (peer.tallyDue || !this.schedule) return;
    peer.tallyDue = true;
    this.schedule(() => {
      peer.tallyDue = false;
      if (this.roster.has(peer) && peer.refused > 0) this.tellRefusedWhenDue(peer, this.clock());
    }, peer.warnedAt + REFUSAL_NOTICE_INTERVAL_MS - now);
  }

  /** Tells a peer (and the room) how many of its messages were dropped since it was last told. */
  private tellRefused(peer: Peer, now: number): void {
    const l = this.limits;
    const dropped = peer.refused;
    peer.refused = 0;
    peer.warnedAt = now;
    this.outbox.tell(peer, slowDownLine(dropped, l.messageRate, l.messageBurst));
    // A peer still waiting for the password is no news to the room.
    if (peer.admitted) {
      this.outbox.broadcast(encodeLine(droppedNotice(peer.name, dropped, l.messageRate)), peer);
      this.federation?.dropped(peer.name, dropped, l.messageRate);
    }
  }

  /** A message the transport could not read (see RoomDoor.refuse): counted as any message in, then refused. */
  refuse(peer: Peer, size: number, code: string, message: string): void {
    if (!this.roster.has(peer)) return;
    const now = this.countIn(peer, size);
    const l = this.limits;
    // Bad input spends the sender's rate like good input: a flood of it is no cheaper to answer.
    if (!take(peer.messages, now, l.messageBurst, l.messageRate)) return this.rateLimited(peer, now);
    this.counters.handled += 1;
    refuse(this.context, peer, code, escapeControls(message));
  }

  /**
   * Tells a peer its message of `size` bytes was refused. A framer that finds that out first
   * calls this instead of receive(): the message is counted in, as receive() would have.
   */
  tooLong(peer: Peer, size: number, note?: string): void {
    if (!this.roster.has(peer)) return;
    // Without this a TCP line refused by the framer was a drop with no message in, and the
    // counters could not add up.
    this.countIn(peer, size);
    this.refuseSize(peer, size, note);
  }

  /** Refuses a message counted in (its last-seen time set then) for its size. */
  private refuseSize(peer: Peer, size: number, note?: string): void {
    this.drop('tooLong', 1, peer);
    const why = note ? ` (${note})` : '';
    this.outbox.tell(peer, errorLine(`message too long: ${size} bytes, the limit is ${this.limits.maxMessageBytes}; not sent${why}`));
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_MESSAGE_TOO_LONG', message: `message of ${size} bytes refused${why}` });
  }

  /**
   * Drops a stream peer whose send queue passed `maxQueueBytes` (counted as drops.notReading).
   * Transports call it from a later tick, never from inside a broadcast.
   */
  dropSlowReader(peer: Peer): void {
    if (!this.roster.has(peer)) return;
    this.drop('notReading', 1, peer);
    this.leave(peer, 'dropped', 'not reading');
  }

  /** Removes a peer and tells everyone why. Safe to call twice. */
  leave(peer: Peer, reason: LeaveReason, detail?: string): void {
    this.remove(peer, reason, detail, true);
  }

  /**
   * leave(), with the room's notice optional: a mass expiry sends one notice for all (see sweep),
   * and tells the cluster (when there is one) in one message for all, as a shutdown does.
   */
  private remove(peer: Peer, reason: LeaveReason, detail: string | undefined, announce: boolean): void {
    if (!this.roster.remove(peer)) return;
    const why = detail ? `${reason}: ${detail}` : reason;
    if (reason === 'quit') this.outbox.tell(peer, noticeLine('bye'));
    else if (reason === 'timeout') {
      this.counters.expired += 1;
      // The same words for every expired peer: encoded once, not once per peer of a mass expiry.
      this.timeoutLine ??= encodeLine(noticeLine(`you were dropped: silent for ${formatDuration(this.peerTimeoutMs)} (timeout)`));
      this.outbox.deliver(peer, this.timeoutLine);
    } else if (reason === 'dropped') this.outbox.tell(peer, noticeLine(`you were dropped (${why})`));
    peer.link.close(reason);
    // A peer that never gave the password was never announced: its going is no news either.
    if (!peer.admitted) return;
    if (announce && reason !== 'shutdown') {
      this.outbox.broadcast(encodeLine(noticeLine(`${peer.name} left (${why})`)));
      this.federation?.left([peer.name], reason, detail);
    }
    const event: RoomEvent = { type: 'leave', peer: peerInfo(peer), reason };
    if (detail) event.detail = detail;
    this.onEvent(event);
  }

  /** Expires every peer silent for the peer timeout or longer and every waiting peer whose wait ran out, and tells gathered joins. Returns how many left. */
  sweep(): number {
    const now = this.clock();
    this.admission.sweep(now);
    this.output.sweep(now);
    for (const [key, until] of this.shunned) if (until <= now) this.shunned.delete(key);
    this.joins.flush();
    const waitedOut = this.admission.waitedOut(this.roster, now);
    if (waitedOut.length > 0) {
      this.drop('waitingTimeout', waitedOut.length);
      const detail = `no /join within ${formatDuration(this.limits.waitingTimeoutMs)}`;
      // Never announced, so their going is no news: no notice to gather.
      for (const peer of waitedOut) this.leave(peer, 'dropped', detail);
    }
    const cutoff = now - this.peerTimeoutMs;
    const expired: Peer[] = [];
    for (const peer of this.roster.byId.values()) if (peer.lastSeen <= cutoff) expired.push(peer);
    if (expired.length <= MAX_SEPARATE_NOTICES) {
      for (const peer of expired) this.leave(peer, 'timeout');
      return waitedOut.length + expired.length;
    }
    // Many at once (a lab's laptops closing, a network gone): a notice each to everyone left
    // would cost expired x remaining sends, 50 million for 10,000 peers. Remove them all, then
    // tell the others once.
    for (const peer of expired) this.remove(peer, 'timeout', undefined, false);
    const names = expired.filter((p) => p.admitted).map((p) => p.name);
    if (names.length > 0) {
      this.outbox.broadcast(encodeLine(noticeLine(`${names.length} peers left (timeout): ${nameList(names)}`)));
      this.federation?.left(names, 'timeout');
    }
    return waitedOut.length + expired.length;
  }

  /** Tells every peer the server is going and closes their links. */
  close(): void {
    if (this.closed) return;
    this.outbox.broadcast(encodeLine(noticeLine('server shutting down')));
    // The other servers' peers stay: they hear this server's go, in one message.
    if (this.federation && this.roster.admitted > 0) this.federation.left([...this.roster.byId.values()].filter((p) => p.admitted).map((p) => p.name), 'shutdown');
    for (const peer of [...this.roster.byId.values()]) this.leave(peer, 'shutdown');
    this.closed = true;
  }
}

/** A peer at the door, as a refusal names it: where from, and the name it has so far. */
function refusedPeer(peer: Peer): RefusedPeer {
  return { address: peer.link.address, transport: peer.link.channel.name, name: peer.name };
}
