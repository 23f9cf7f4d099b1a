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
import { messageText } from './sanitize.js';

/** What happened in the room, for logs and the NDJSON stream. All text in it is already safe to print. */
export type RoomEvent =
  | { type: 'join'; peer: PeerInfo }
  | { type: 'leave'; peer: PeerInfo; reason: LeaveReason; detail?: string }
  | { type: 'rename'; peer: PeerInfo; from: string }
  | { type: 'message'; peer: PeerInfo; text: string; to?: string }
  | { type: 'error'; peer?: PeerInfo; code: string; message: string };

/** Counters a server reports at exit and in its events. */
export interface RoomCounters {
  joins: number;
  messages: number;
  deliveries: number;
  expired: number;
  rejected: number;
}

export interface RoomOptions {
  /** Milliseconds since any fixed point; tests pass a fake one to test expiry without waiting. */
  clock?: () => number;
  peerTimeoutMs?: number;
  /** Send a sender's chat line back to it too (off, as in ncat's broker). */
  echoSelf?: boolean;
  limits?: Partial<Limits>;
  onEvent?: (event: RoomEvent) => void;
}

const encoder = new TextEncoder();

/** Encodes a line once, with the `\n` that makes it a line for `nc`. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + '\n');
}

/** One chat room shared by every transport. */
export class Room {
  readonly limits: Readonly<Limits>;
  readonly peerTimeoutMs: number;
  readonly counters: RoomCounters = { joins: 0, messages: 0, deliveries: 0, expired: 0, rejected: 0 };
  private readonly clock: () => number;
  private readonly echoSelf: boolean;
  private readonly onEvent: (event: RoomEvent) => void;
  private readonly byId = new Map<number, Peer>();
  private readonly byKey = new Map<string, Peer>();
  private nextId = 1;
  private closed = false;

  constructor(options: RoomOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.echoSelf = options.echoSelf ?? false;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.onEvent = options.onEvent ?? (() => {});
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

  /**
   * Adds a peer. It is welcomed, the others are told, and it is named after its address
   * until it chooses a name. Returns null, after telling the link why, when the room is full.
   */
  join(link: PeerLink): Peer | null {
    if (this.closed) return null;
    if (this.limits.maxPeers > 0 && this.byId.size >= this.limits.maxPeers) {
      this.counters.rejected += 1;
      link.send(encodeLine(errorLine(`room full (${this.limits.maxPeers} peers); try again later`)));
      this.onEvent({ type: 'error', code: 'ERR_ROOM_FULL', message: `room full: turned away ${link.address}` });
      return null;
    }
    let name = link.address;
    if (this.byKey.has(nameKey(name))) name = `${link.transport}/${link.address}`;
    // Links can share a transport and an address too (memory links do): a name must stay unique,
    // or the second peer takes the first one's index entry and the first one's leave deletes it.
    for (let n = 2; this.byKey.has(nameKey(name)); n++) name = `${link.transport}/${link.address}#${n}`;
    const now = this.clock();
    const peer: Peer = { id: this.nextId++, link, name, key: nameKey(name), joinedAt: now, lastSeen: now };
    this.byId.set(peer.id, peer);
    this.byKey.set(peer.key, peer);
    this.counters.joins += 1;
    link.send(encodeLine(welcomeLine(name, this.byId.size, this.peerTimeoutMs)));
    this.broadcast(encodeLine(noticeLine(`${name} joined`)), peer);
    this.onEvent({ type: 'join', peer: peerInfo(peer) });
    return peer;
  }

  /** Handles one message from a peer: any bytes at all, as they came off the wire. */
  receive(peer: Peer, bytes: Uint8Array): void {
    if (!this.byId.has(peer.id)) return;
    peer.lastSeen = this.clock();
    const size = bytes.length - (bytes[bytes.length - 1] === 0x0a ? (bytes[bytes.length - 2] === 0x0d ? 2 : 1) : 0);
    if (size > this.limits.maxMessageBytes) return this.tooLong(peer, size);
    this.handle(peer, messageText(bytes));
  }

  /** Tells a peer its message of `size` bytes was refused (a framer may find that out first). */
  tooLong(peer: Peer, size: number): void {
    peer.lastSeen = this.clock();
    this.tell(peer, errorLine(`message too long: ${size} bytes, the limit is ${this.limits.maxMessageBytes}; not sent`));
    this.onEvent({ type: 'error', peer: peerInfo(peer), code: 'ERR_MESSAGE_TOO_LONG', message: `message of ${size} bytes refused` });
  }

  private handle(peer: Peer, text: string): void {
    const command = parseCommand(text);
    switch (command.kind) {
      case 'say':
        return this.say(peer, command.text);
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

  private say(peer: Peer, text: string): void {
    this.counters.messages += 1;
    const line = encodeLine(chatLine(peer.name, text));
    this.broadcast(line, this.echoSelf ? undefined : peer);
    this.onEvent({ type: 'message', peer: peerInfo(peer), text });
  }

  private whisper(peer: Peer, to: string, text: string): void {
    const target = this.find(to);
    if (!target) return this.refuse(peer, 'ERR_NO_SUCH_PEER', `no such peer: ${to}; /who lists them`);
    this.counters.messages += 1;
    this.deliver(target, encodeLine(privateLine(peer.name, text)));
    if (this.echoSelf && target !== peer) this.tell(peer, privateLine(peer.name, text, target.name));
    this.onEvent({ type: 'message', peer: peerInfo(peer), text, to: target.name });
  }

  private rename(peer: Peer, wanted: string): void {
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
    this.byKey.set(key, peer);
    this.broadcast(encodeLine(noticeLine(`${from} is now ${name}`)));
    this.onEvent({ type: 'rename', peer: peerInfo(peer), from });
  }

  private who(peer: Peer): void {
    const now = this.clock();
    const count = this.byId.size;
    this.tell(peer, noticeLine(`${count} peer${count === 1 ? '' : 's'} here:`));
    let shown = 0;
    for (const other of this.byId.values()) {
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

  /** Removes a peer and tells everyone why. Safe to call twice. */
  leave(peer: Peer, reason: LeaveReason, detail?: string): void {
    if (!this.byId.delete(peer.id)) return;
    this.byKey.delete(peer.key);
    const why = detail ? `${reason}: ${detail}` : reason;
    if (reason === 'quit') this.tell(peer, noticeLine('bye'));
    else if (reason === 'timeout') {
      this.counters.expired += 1;
      this.tell(peer, noticeLine(`you were dropped: silent for ${formatDuration(this.peerTimeoutMs)} (timeout)`));
    } else if (reason === 'dropped') this.tell(peer, noticeLine(`you were dropped (${why})`));
    peer.link.close(reason);
    if (reason !== 'shutdown') this.broadcast(encodeLine(noticeLine(`${peer.name} left (${why})`)));
    const event: RoomEvent = { type: 'leave', peer: peerInfo(peer), reason };
    if (detail) event.detail = detail;
    this.onEvent(event);
  }

  /** Expires every peer silent for the peer timeout or longer. Returns how many left. */
  sweep(): number {
    const cutoff = this.clock() - this.peerTimeoutMs;
    let expired = 0;
    for (const peer of this.byId.values()) {
      if (peer.lastSeen <= cutoff) {
        this.leave(peer, 'timeout');
        expired += 1;
      }
    }
    return expired;
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
    peer.link.send(line);
  }

  /** Sends one encoded line to every peer but `except`: encoded once, the same buffer to all. */
  private broadcast(line: Uint8Array, except?: Peer): void {
    for (const peer of this.byId.values()) {
      if (peer !== except) this.deliver(peer, line);
    }
  }
}
