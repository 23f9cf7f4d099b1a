/**
 * The room: peers, their names, broadcast, private messages and expiry. It knows nothing of
 * sockets or timers: transports hand it a PeerLink per peer and the bytes of each message,
 * and the server calls sweep() on its own timer with the clock the room was given.
 */
import { parseCommand, HELP_LINES } from './commands.js';
import { formatAge, formatDuration } from './duration.js';
import { ChatError } from './errors.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, type Limits } from './limits.js';
import { chatLine, errorLine, noticeLine, privateLine, welcomeLine } from './lines.js';
import { nameKey, validateName } from './names.js';
import { peerInfo, type LeaveReason, type Peer, type PeerInfo, type PeerLink } from './peer.js';
import { fullBucket, refilled, take, type Bucket } from './rate.js';
import { zeroCounters, type DropReason, type RoomCounters } from './counters.js';
import { messageLength, messageText } from './sanitize.js';

export { zeroCounters, type DropReason, type RoomCounters, type TransportTraffic } from './counters.js';

/** What happened in the room, for logs and the NDJSON stream. All text in it is already safe to print. */
export type RoomEvent =
  | { type: 'join'; peer: PeerInfo }
  | { type: 'leave'; peer: PeerInfo; reason: LeaveReason; detail?: string }
  | { type: 'rename'; peer: PeerInfo; from: string }
  | { type: 'message'; peer: PeerInfo; text: string; to?: string }
  | { type: 'error'; peer?: PeerInfo; code: string; message: string };


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
}

const encoder = new TextEncoder();

/** True when the first `size` bytes are printable ASCII: the same bytes as the text, nothing to escape. */
function plainAscii(bytes: Uint8Array, size: number): boolean {
  if (size > bytes.length) return false;
  for (let i = 0; i < size; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

// Up to this many peers expiring in one sweep are announced one by one; more share one notice.
const MAX_SEPARATE_NOTICES = 3;

/** Encodes a line once, with the `\n` that makes it a line for `nc`. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + '\n');
}

/** One chat room shared by every transport. */
export class Room {
  readonly limits: Readonly<Limits>;
  readonly peerTimeoutMs: number;
  readonly counters: RoomCounters = zeroCounters();
  private readonly clock: () => number;
  private readonly echoSelf: boolean;
  private readonly onEvent: (event: RoomEvent) => void;
  private readonly byId = new Map<number, Peer>();
  private readonly byKey = new Map<string, Peer>();
  // Peers per IP, and each IP's join bucket (forgotten once full again, so the map stays small).
  private readonly perIp = new Map<string, number>();
  private readonly joinBuckets = new Map<string, Bucket>();
  private readonly password: string | undefined;
  private nextId = 1;
  // Kept, not counted: a join and /who would otherwise walk every peer.
  private admittedPeers = 0;
  private timeoutLine: Uint8Array | undefined;
  private closed = false;

  constructor(options: RoomOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.echoSelf = options.echoSelf ?? false;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.onEvent = options.onEvent ?? (() => {});
    this.password = options.password || undefined;
  }

  /** How many peers are in the room. */
  get size(): number {
    return this.byId.size;
  }

  /** Every peer, in order of joining. */
  peers(): IterableIterator<Peer> {
    return this.byId.values();
  }

  /** The peer with this name (compared case-folded), if any. */
  find(name: string): Peer | undefined {
    return this.byKey.get(nameKey(name));
  }

  /** Counts a drop, for the counters and the NDJSON stream. */
  drop(reason: DropReason, count = 1): void {
    this.counters.drops[reason] += count;
  }

  private turnAway(link: PeerLink, reason: DropReason, code: string, message: string): null {
    this.counters.rejected += 1;
    this.drop(reason);
    const line = encodeLine(errorLine(message));
    // Counted as traffic out like any other line, so bytesOut is all the room sent (refusals are
    // what a flood of joins costs us).
    const traffic = this.counters.traffic[link.transport];
    traffic.messagesOut += 1;
    traffic.bytesOut += line.length;
    link.send(line);
    this.onEvent({ type: 'error', code, message: `${message}: turned away ${link.address}` });
    return null;
  }

  /**
   * Adds a peer. It is welcomed, the others are told, and it is named after its address
   * until it chooses a name. With a password it waits, unheard, for `/join PASSWORD`. Returns
   * null, after telling the link why, when the room is full or its address has too many peers
   * or joins.
   */
  join(link: PeerLink): Peer | null {
    if (this.closed) return null;
    const l = this.limits;
    if (l.maxPeers > 0 && this.byId.size >= l.maxPeers) {
      return this.turnAway(link, 'roomFull', 'ERR_ROOM_FULL', `room full (${l.maxPeers} peers); try again later`);
    }
    const fromIp = this.perIp.get(link.ip) ?? 0;
    if (l.maxPeersPerIp > 0 && fromIp >= l.maxPeersPerIp) {
      return this.turnAway(link, 'perIpLimit', 'ERR_ROOM_FULL', `too many peers from ${link.ip} (${l.maxPeersPerIp})`);
    }
    const now = this.clock();
    if (l.joinsPerIpPerMinute > 0) {
      let bucket = this.joinBuckets.get(link.ip);
      if (!bucket) this.joinBuckets.set(link.ip, (bucket = fullBucket(l.joinsPerIpPerMinute, now)));
      if (!take(bucket, now, l.joinsPerIpPerMinute, l.joinsPerIpPerMinute / 60)) {
        return this.turnAway(link, 'joinRate', 'ERR_ROOM_FULL', `too many joins from ${link.ip}; wait a minute`);
      }
    }
    let name = link.address;
    if (this.byKey.has(nameKey(name))) name = `${link.transport}/${link.address}`;
    // Links can share a transport and an address too (memory links do): a name must stay unique,
    // or the second peer takes the first one's index entry and the first one's leave deletes it.
    for (let n = 2; this.byKey.has(nameKey(name)); n++) name = `${link.transport}/${link.address}#${n}`;
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
      passwordTries: 0,
    };
    this.byId.set(peer.id, peer);
    this.byKey.set(peer.key, peer);
    this.perIp.set(link.ip, fromIp + 1);
    if (this.password === undefined) this.admit(peer);
    // Through tell(), so the prompt is counted as traffic out like every other line.
    else this.tell(peer, noticeLine('this room needs a password: send /join PASSWORD'));
    return peer;
  }

  private admit(peer: Peer): void {
    peer.admitted = true;
    this.admittedPeers += 1;
    this.counters.joins += 1;
    this.tell(peer, welcomeLine(peer.name, this.admittedPeers, this.peerTimeoutMs));
    this.broadcast(encodeLine(noticeLine(`${peer.name} joined`)), peer);
    this.onEvent({ type: 'join', peer: peerInfo(peer) });
  }

  private checkPassword(peer: Peer, given: string): void {
    if (given === this.password) return this.admit(peer);
    peer.passwordTries += 1;
    this.drop('badPassword');
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_BAD_PASSWORD', message: 'wrong password' });
    if (this.limits.maxPasswordTries > 0 && peer.passwordTries >= this.limits.maxPasswordTries) {
      return this.leave(peer, 'dropped', 'wrong password');
    }
    this.tell(peer, errorLine('wrong password; send /join PASSWORD'));
  }

  /** Handles one message from a peer: any bytes at all, as they came off the wire. */
  receive(peer: Peer, bytes: Uint8Array): void {
    if (!this.byId.has(peer.id)) return;
    const now = this.clock();
    peer.lastSeen = now;
    const traffic = this.counters.traffic[peer.link.transport];
    traffic.messagesIn += 1;
    traffic.bytesIn += bytes.length;
    const l = this.limits;
    if (!take(peer.messages, now, l.messageBurst, l.messageRate)) {
      this.drop('rateLimited');
      // One notice a second at most: a flood must not be answered by a flood.
      if (now - peer.warnedAt >= 1000) {
        peer.warnedAt = now;
        this.tell(peer, errorLine(`slow down: at most ${l.messageRate} messages a second (bursts of ${l.messageBurst}); dropped`));
      }
      return;
    }
    const size = messageLength(bytes);
    if (size > l.maxMessageBytes) return this.refuseSize(peer, size);
    this.handle(peer, messageText(bytes, size), bytes, size);
  }

  /**
   * Tells a peer its message of `size` bytes was refused. A framer that finds that out first
   * calls this instead of receive(): the message is counted in, as receive() would have.
   */
  tooLong(peer: Peer, size: number): void {
    if (!this.byId.has(peer.id)) return;
    // Without this a TCP line refused by the framer was a drop with no message in, and the
    // counters could not add up.
    const traffic = this.counters.traffic[peer.link.transport];
    traffic.messagesIn += 1;
    traffic.bytesIn += size;
    this.refuseSize(peer, size);
  }

  private refuseSize(peer: Peer, size: number): void {
    peer.lastSeen = this.clock();
    this.drop('tooLong');
    this.tell(peer, errorLine(`message too long: ${size} bytes, the limit is ${this.limits.maxMessageBytes}; not sent`));
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_MESSAGE_TOO_LONG', message: `message of ${size} bytes refused` });
  }

  private handle(peer: Peer, text: string, raw?: Uint8Array, size = 0): void {
    const command = parseCommand(text);
    if (!peer.admitted && command.kind !== 'join' && command.kind !== 'quit') {
      this.drop('notAdmitted');
      return this.tell(peer, errorLine('this room needs a password: send /join PASSWORD first'));
    }
    this.counters.handled += 1;
    if (!peer.admitted) {
      if (command.kind === 'join') return this.checkPassword(peer, command.token);
      return this.leave(peer, 'quit');
    }
    switch (command.kind) {
      case 'join':
        return this.tell(peer, noticeLine('you are in the room already'));
      case 'say':
        return this.say(peer, command.text, command.text.length === size ? raw : undefined);
      case 'heartbeat':
      case 'pong':
        return;
      case 'ping':
        return this.tell(peer, command.token ? `/pong ${command.token}` : '/pong');
      case 'nick':
        return this.rename(peer, command.name);
      case 'who':
        return this.who(peer);
      case 'msg':
        return this.whisper(peer, command.to, command.text);
      case 'quit':
        return this.leave(peer, 'quit');
      case 'help':
        for (const line of HELP_LINES) this.tell(peer, noticeLine(line));
        return;
      case 'invalid':
        return this.refuse(peer, command.code, command.message);
    }
  }

  /**
   * Relays a chat line. `raw` is the message as it came, when its text is all of it: then a
   * plain-ASCII message is copied behind the peer's cached `<name> ` bytes instead of being
   * formatted and encoded again (the per-message cost that matters with few receivers).
   */
  private say(peer: Peer, text: string, raw?: Uint8Array): void {
    this.counters.messages += 1;
    const line = raw && plainAscii(raw, text.length) ? this.fastLine(peer, raw, text.length) : encodeLine(chatLine(peer.name, text));
    this.broadcast(line, this.echoSelf ? undefined : peer);
    this.onEvent({ type: 'message', peer: peerInfo(peer), text });
  }

  private fastLine(peer: Peer, raw: Uint8Array, size: number): Uint8Array {
    const prefix = (peer.prefix ??= encoder.encode(chatLine(peer.name, '')));
    const line = new Uint8Array(prefix.length + size + 1);
    line.set(prefix);
    line.set(raw.subarray(0, size), prefix.length);
    line[line.length - 1] = 0x0a;
    return line;
  }

  private whisper(peer: Peer, to: string, text: string): void {
    const target = this.find(to);
    // A peer still waiting for the password hears nothing, private messages included.
    if (!target || !target.admitted) return this.refuse(peer, 'ERR_NO_SUCH_PEER', `no such peer: ${to}; /who lists them`);
    this.counters.messages += 1;
    this.deliver(target, encodeLine(privateLine(peer.name, text)));
    if (this.echoSelf && target !== peer) this.tell(peer, privateLine(peer.name, text, target.name));
    this.onEvent({ type: 'message', peer: peerInfo(peer), text, to: target.name });
  }

  private rename(peer: Peer, wanted: string): void {
    const l = this.limits;
    if (!take(peer.renames, this.clock(), l.renameBurst, 1000 / l.renameIntervalMs)) {
      this.drop('renameLimited');
      return this.refuse(peer, 'ERR_RATE_LIMITED', `too many renames; one every ${formatDuration(l.renameIntervalMs)}`);
    }
    let name: string;
    try {
      name = validateName(wanted, this.limits.maxNameLength);
    } catch (err) {
      return this.refuse(peer, 'ERR_BAD_NAME', (err as ChatError).message);
    }
    const key = nameKey(name);
    const holder = this.byKey.get(key);
    if (holder && holder !== peer) return this.refuse(peer, 'ERR_NAME_TAKEN', `name taken: ${name}`);
    if (name === peer.name) return this.tell(peer, noticeLine(`you are already ${name}`));
    const from = peer.name;
    this.byKey.delete(peer.key);
    peer.name = name;
    peer.key = key;
    peer.prefix = undefined;
    this.byKey.set(key, peer);
    this.broadcast(encodeLine(noticeLine(`${from} is now ${name}`)));
    this.onEvent({ type: 'rename', peer: peerInfo(peer), from });
  }

  private who(peer: Peer): void {
    const now = this.clock();
    const count = this.admittedPeers;
    this.tell(peer, noticeLine(`${count} peer${count === 1 ? '' : 's'} here:`));
    let shown = 0;
    for (const other of this.byId.values()) {
      if (!other.admitted) continue;
      if (this.limits.maxWhoLines > 0 && shown === this.limits.maxWhoLines) {
        this.tell(peer, noticeLine(`  ... and ${count - shown} more`));
        break;
      }
      const idle = formatAge(Math.max(0, now - other.lastSeen));
      const you = other === peer ? ' (you)' : '';
      this.tell(peer, noticeLine(`  ${other.name} ${other.link.transport} ${other.link.address} idle ${idle}${you}`));
      shown += 1;
    }
  }

  /**
   * Drops a stream peer whose send queue passed `maxQueueBytes` (counted as drops.notReading).
   * Transports call it from a later tick, never from inside a broadcast.
   */
  dropSlowReader(peer: Peer): void {
    if (!this.byId.has(peer.id)) return;
    this.drop('notReading');
    this.leave(peer, 'dropped', 'not reading');
  }

  /** Removes a peer and tells everyone why. Safe to call twice. */
  leave(peer: Peer, reason: LeaveReason, detail?: string): void {
    this.remove(peer, reason, detail, true);
  }

  /** leave(), with the room's notice optional: a mass expiry sends one notice for all (see sweep). */
  private remove(peer: Peer, reason: LeaveReason, detail: string | undefined, announce: boolean): void {
    if (!this.byId.delete(peer.id)) return;
    if (peer.admitted) this.admittedPeers -= 1;
    this.byKey.delete(peer.key);
    const fromIp = (this.perIp.get(peer.link.ip) ?? 1) - 1;
    if (fromIp > 0) this.perIp.set(peer.link.ip, fromIp);
    else this.perIp.delete(peer.link.ip);
    const why = detail ? `${reason}: ${detail}` : reason;
    if (reason === 'quit') this.tell(peer, noticeLine('bye'));
    else if (reason === 'timeout') {
      this.counters.expired += 1;
      // The same words for every expired peer: encoded once, not once per peer of a mass expiry.
      this.timeoutLine ??= encodeLine(noticeLine(`you were dropped: silent for ${formatDuration(this.peerTimeoutMs)} (timeout)`));
      this.deliver(peer, this.timeoutLine);
    } else if (reason === 'dropped') this.tell(peer, noticeLine(`you were dropped (${why})`));
    peer.link.close(reason);
    // A peer that never gave the password was never announced: its going is no news either.
    if (!peer.admitted) return;
    if (announce && reason !== 'shutdown') this.broadcast(encodeLine(noticeLine(`${peer.name} left (${why})`)));
    const event: RoomEvent = { type: 'leave', peer: peerInfo(peer), reason };
    if (detail) event.detail = detail;
    this.onEvent(event);
  }

  /** Expires every peer silent for the peer timeout or longer. Returns how many left. */
  sweep(): number {
    const now = this.clock();
    const l = this.limits;
    for (const [ip, bucket] of this.joinBuckets) {
      if (refilled(bucket, now, l.joinsPerIpPerMinute, l.joinsPerIpPerMinute / 60)) this.joinBuckets.delete(ip);
    }
    const cutoff = now - this.peerTimeoutMs;
    const expired: Peer[] = [];
    for (const peer of this.byId.values()) if (peer.lastSeen <= cutoff) expired.push(peer);
    if (expired.length <= MAX_SEPARATE_NOTICES) {
      for (const peer of expired) this.leave(peer, 'timeout');
      return expired.length;
    }
    // Many at once (a lab's laptops closing, a network gone): a notice each to everyone left
    // would cost expired x remaining sends, 50 million for 10,000 peers. Remove them all, then
    // tell the others once.
    for (const peer of expired) this.remove(peer, 'timeout', undefined, false);
    const names = expired.filter((p) => p.admitted).map((p) => p.name);
    if (names.length > 0) {
      const shown = names.slice(0, MAX_SEPARATE_NOTICES * 2).join(', ');
      const more = names.length > MAX_SEPARATE_NOTICES * 2 ? ` and ${names.length - MAX_SEPARATE_NOTICES * 2} more` : '';
      this.broadcast(encodeLine(noticeLine(`${names.length} peers left (timeout): ${shown}${more}`)));
    }
    return expired.length;
  }

  /** Tells every peer the server is going and closes their links. */
  close(): void {
    if (this.closed) return;
    this.broadcast(encodeLine(noticeLine('server shutting down')));
    for (const peer of [...this.byId.values()]) this.leave(peer, 'shutdown');
    this.closed = true;
  }

  /** Sends a line to one peer. */
  tell(peer: Peer, line: string): void {
    this.deliver(peer, encodeLine(line));
  }

  private refuse(peer: Peer, code: string, message: string): void {
    this.tell(peer, errorLine(message));
    this.onEvent({ type: 'error', peer: peerInfo(peer), code, message });
  }

  private deliver(peer: Peer, line: Uint8Array): void {
    this.counters.deliveries += 1;
    const traffic = this.counters.traffic[peer.link.transport];
    traffic.messagesOut += 1;
    traffic.bytesOut += line.length;
    peer.link.send(line);
  }

  /** Sends one encoded line to every admitted peer but `except`: encoded once, the same buffer to all. */
  private broadcast(line: Uint8Array, except?: Peer): void {
    for (const peer of this.byId.values()) {
      if (peer !== except && peer.admitted) this.deliver(peer, line);
    }
  }
}
