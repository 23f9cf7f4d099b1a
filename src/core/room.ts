/**
 * The room: it ties its parts together. The roster says who is in, admission who may come in,
 * dispatch what a message does, the outbox how lines go out, and the counters what happened.
 * It knows nothing of sockets or timers: transports hand it a PeerLink per peer and the bytes
 * of each message (through the RoomDoor they are given), and the server calls sweep() on its
 * own timer with the clock the room was given.
 */
import { Admission, type Refusal } from './admission.js';
import { zeroCounters, trafficOf, type DropReason, type RoomCounters } from './counters.js';
import { dispatch, type DispatchContext } from './dispatch.js';
import { formatDuration } from './duration.js';
import type { RoomEvent } from './events.js';
import { JoinNotices, type Schedule } from './join-notices.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, DROP_LOG_INTERVAL_MS, REFUSAL_NOTICE_INTERVAL_MS, type Limits } from './limits.js';
import { droppedNotice, errorLine, noticeLine, slowDownLine, welcomeLine } from './lines.js';
import { nameKey } from './names.js';
import { encodeLine, Outbox } from './outbox.js';
import { peerInfo, type LeaveReason, type Peer, type PeerLink } from './peer.js';
import { fullBucket, take } from './rate.js';
import { Roster } from './roster.js';
import { messageLength, messageText } from './sanitize.js';
import type { RoomDoor, TransportContext } from './transport.js';

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
}

/** One peer as a live panel lists it. */
export interface PeerSnapshot {
  name: string;
  transport: string;
  /** Milliseconds since the room last heard from it, on the room's clock. */
  idleMs: number;
}

// Up to this many peers expiring (or joining) together are announced one by one; more share one notice.
const MAX_SEPARATE_NOTICES = 3;

/** Names for a shared notice: the first few, then how many more. */
function nameList(names: readonly string[]): string {
  const most = MAX_SEPARATE_NOTICES * 2;
  const more = names.length > most ? ` and ${names.length - most} more` : '';
  return `${names.slice(0, most).join(', ')}${more}`;
}

/** One chat room shared by every transport. */
export class Room implements RoomDoor {
  readonly limits: Readonly<Limits>;
  readonly peerTimeoutMs: number;
  readonly counters: RoomCounters;
  /** The room's clock, for the transports' own limits and the live panel. */
  readonly clock: () => number;
  private readonly roster: Roster;
  private readonly admission: Admission;
  private readonly outbox: Outbox;
  private readonly joins: JoinNotices<{ peer: Peer; name: string }>;
  private readonly context: DispatchContext;
  private readonly onEvent: (event: RoomEvent) => void;
  private readonly schedule: Schedule | undefined;
  private nextId = 1;
  private timeoutLine: Uint8Array | undefined;
  private closed = false;

  constructor(options: RoomOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.onEvent = options.onEvent ?? (() => {});
    this.schedule = options.schedule;
    this.counters = zeroCounters(options.transports);
    this.roster = new Roster(this.counters);
    this.admission = new Admission(this.limits, options.password || undefined);
    this.outbox = new Outbox(this.roster, this.counters);
    this.joins = new JoinNotices(this.clock, options.schedule, (joined) => this.announceJoins(joined));
    this.outbox.pending = () => this.joins.flush();
    this.context = {
      roster: this.roster,
      outbox: this.outbox,
      counters: this.counters,
      limits: this.limits,
      echoSelf: options.echoSelf ?? false,
      clock: this.clock,
      emit: this.onEvent,
      leave: (peer, reason, detail) => this.leave(peer, reason, detail),
      tryPassword: (peer, given) => this.tryPassword(peer, given),
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

  /** Counts a drop, for the counters and the NDJSON stream. */
  drop(reason: DropReason, count = 1): void {
    this.counters.drops[reason] += count;
  }

  /**
   * What a transport is handed: this room's door, its drop counters as the sink, its limits and
   * clock. `admit` is the access list (everyone by default), `onError` where socket errors go.
   */
  contextFor(options: { admit?: (ip: string) => boolean; onError?: (err: Error) => void } = {}): TransportContext {
    return {
      room: this,
      drop: (reason, count) => this.drop(reason, count),
      limits: this.limits,
      clock: this.clock,
      peerTimeoutMs: this.peerTimeoutMs,
      admit: options.admit ?? (() => true),
      onError: options.onError ?? (() => {}),
    };
  }

  /** Admitted peers in joining order, at most `most` (0: all), with idle times on the room's clock. */
  snapshot(most: number): PeerSnapshot[] {
    const now = this.clock();
    const out: PeerSnapshot[] = [];
    for (const peer of this.roster.byId.values()) {
      if (most > 0 && out.length >= most) break;
      if (peer.admitted) out.push({ name: peer.name, transport: peer.link.channel.name, idleMs: Math.max(0, Math.round(now - peer.lastSeen)) });
    }
    return out;
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
    const refusal = this.admission.refusal(this.roster, link.ip, now);
    if (refusal) {
      this.turnAway(link, refusal);
      return null;
    }
    const l = this.limits;
    const name = this.roster.firstName(link);
    const peer: Peer = {
      id: this.nextId++,
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
    this.outbox.tell(peer, noticeLine('this room needs a password: send /join PASSWORD'));
    return peer;
  }

  /** Tells a link why it may not join (or be seated), counted. */
  private turnAway(link: PeerLink, refusal: Refusal): void {
    this.counters.rejected += 1;
    this.drop(refusal.reason);
    this.outbox.send(link, encodeLine(errorLine(refusal.message)));
    this.onEvent({ type: 'error', code: refusal.code, message: `${refusal.message}: turned away ${link.address}` });
  }

  private admit(peer: Peer): void {
    this.roster.admit(peer);
    this.counters.joins += 1;
    this.outbox.tell(peer, welcomeLine(peer.name, this.roster.admitted, this.peerTimeoutMs));
    // The name as it is now: a rename before the notice goes out must not rewrite who joined.
    this.joins.add({ peer, name: peer.name });
    this.onEvent({ type: 'join', peer: peerInfo(peer) });
  }

  private announceJoins(joined: readonly { peer: Peer; name: string }[]): void {
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
    if (this.admission.passwordOk(given)) return this.seat(peer);
    peer.passwordTries += 1;
    this.drop('badPassword');
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_BAD_PASSWORD', message: 'wrong password' });
    if (this.admission.triesUsed(peer.passwordTries)) return this.leave(peer, 'dropped', 'wrong password');
    this.outbox.tell(peer, errorLine('wrong password; send /join PASSWORD'));
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
    const now = this.clock();
    peer.lastSeen = now;
    const traffic = trafficOf(this.counters, peer.link.channel.name);
    traffic.messagesIn += 1;
    traffic.bytesIn += bytes.length;
    const l = this.limits;
    if (!take(peer.messages, now, l.messageBurst, l.messageRate)) return this.rateLimited(peer, now);
    // Drops not yet told (a room without a schedule): told with the next message after the second.
    if (peer.refused > 0 && now - peer.warnedAt >= REFUSAL_NOTICE_INTERVAL_MS) this.tellRefused(peer, now);
    const size = messageLength(bytes);
    if (size > l.maxMessageBytes) return this.refuseSize(peer, size);
    dispatch(this.context, peer, messageText(bytes, size), bytes, size);
  }

  /**
   * A message past the peer's rate, dropped. A limit must never pass for network loss: the
   * sender is told how many were dropped (at most once a second, the rest in a tally a second
   * later), the others are told the same (a receiver counting a numbered run counts them apart
   * from its losses), and the server logs the first drop of each minute per peer, with why.
   */
  private rateLimited(peer: Peer, now: number): void {
    const l = this.limits;
    this.drop('rateLimited');
    peer.refused += 1;
    if (now - peer.dropLoggedAt >= DROP_LOG_INTERVAL_MS) {
      peer.dropLoggedAt = now;
      const message = `sending too fast: messages dropped past ${l.messageRate} a second (bursts of ${l.messageBurst}; --rate, --burst); logged once a minute per peer, every drop counted in drops.rateLimited`;
      this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_RATE_LIMITED', message });
    }
    if (now - peer.warnedAt >= REFUSAL_NOTICE_INTERVAL_MS) return this.tellRefused(peer, now);
    if (peer.tallyDue || !this.schedule) return;
    peer.tallyDue = true;
    this.schedule(() => {
      peer.tallyDue = false;
      if (this.roster.has(peer) && peer.refused > 0) this.tellRefused(peer, this.clock());
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
    if (peer.admitted) this.outbox.broadcast(encodeLine(droppedNotice(peer.name, dropped, l.messageRate)), peer);
  }

  /**
   * Tells a peer its message of `size` bytes was refused. A framer that finds that out first
   * calls this instead of receive(): the message is counted in, as receive() would have.
   */
  tooLong(peer: Peer, size: number): void {
    if (!this.roster.has(peer)) return;
    // Without this a TCP line refused by the framer was a drop with no message in, and the
    // counters could not add up.
    const traffic = trafficOf(this.counters, peer.link.channel.name);
    traffic.messagesIn += 1;
    traffic.bytesIn += size;
    this.refuseSize(peer, size);
  }

  private refuseSize(peer: Peer, size: number): void {
    peer.lastSeen = this.clock();
    this.drop('tooLong');
    this.outbox.tell(peer, errorLine(`message too long: ${size} bytes, the limit is ${this.limits.maxMessageBytes}; not sent`));
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_MESSAGE_TOO_LONG', message: `message of ${size} bytes refused` });
  }

  /**
   * Drops a stream peer whose send queue passed `maxQueueBytes` (counted as drops.notReading).
   * Transports call it from a later tick, never from inside a broadcast.
   */
  dropSlowReader(peer: Peer): void {
    if (!this.roster.has(peer)) return;
    this.drop('notReading');
    this.leave(peer, 'dropped', 'not reading');
  }

  /** Removes a peer and tells everyone why. Safe to call twice. */
  leave(peer: Peer, reason: LeaveReason, detail?: string): void {
    this.remove(peer, reason, detail, true);
  }

  /** leave(), with the room's notice optional: a mass expiry sends one notice for all (see sweep). */
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
    if (announce && reason !== 'shutdown') this.outbox.broadcast(encodeLine(noticeLine(`${peer.name} left (${why})`)));
    const event: RoomEvent = { type: 'leave', peer: peerInfo(peer), reason };
    if (detail) event.detail = detail;
    this.onEvent(event);
  }

  /** Expires every peer silent for the peer timeout or longer and every waiting peer whose wait ran out, and tells gathered joins. Returns how many left. */
  sweep(): number {
    const now = this.clock();
    this.admission.sweep(now);
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
    if (names.length > 0) this.outbox.broadcast(encodeLine(noticeLine(`${names.length} peers left (timeout): ${nameList(names)}`)));
    return waitedOut.length + expired.length;
  }

  /** Tells every peer the server is going and closes their links. */
  close(): void {
    if (this.closed) return;
    this.outbox.broadcast(encodeLine(noticeLine('server shutting down')));
    for (const peer of [...this.roster.byId.values()]) this.leave(peer, 'shutdown');
    this.closed = true;
  }
}
