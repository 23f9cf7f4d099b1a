/**
 * The room over UDP. A peer is a source address and port; its first datagram joins it, and
 * one datagram is one message. Nothing tells a UDP server that a peer has gone: only the
 * room's expiry of silent peers does.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { LeaveReason, Peer, PeerLink } from '../core/peer.js';
import type { Room } from '../core/room.js';
import { fullBucket, take, type Bucket } from '../core/rate.js';
import { formatAddress, isLoopback, udpType } from './address.js';
import { CookieJar, sourcePrefix } from './cookie.js';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Where to listen. */
export interface ListenOptions {
  host: string;
  port: number;
  /** Who may join at all (--allow/--deny); others are dropped without an answer. */
  admit?: (ip: string) => boolean;
  /**
   * Address validation: an address joins only after echoing a join token (`/join TOKEN`).
   * Off, the first datagram joins: fine on loopback, where no address can be forged.
   */
  validate?: boolean;
  /**
   * Without validation, rate-limit the answers to a joining address per source prefix. By
   * default on exactly when the room is open and bound off loopback.
   */
  limitOpenAnswers?: boolean;
}

// Answers to unvalidated addresses are rate-limited per source prefix; past this many prefixes
// the table is simply emptied, so a flood of forged sources cannot grow memory.
const MAX_PREFIXES = 10_000;

const encoder = new TextEncoder();

/** One UDP peer's link: a reply goes back to the address the peer wrote from. */
class UdpLink implements PeerLink {
  readonly transport = 'udp' as const;
  readonly address: string;
  /**
   * True while the room answers the datagram that is joining this address, in an open room off
   * loopback: the welcome or refusal goes to an address nobody has proven, so it is rate-limited
   * per source prefix like a challenge.
   */
  unproven = false;
  constructor(
    private readonly owner: UdpTransport,
    readonly ip: string,
    readonly port: number,
  ) {
    this.address = formatAddress(ip, port);
  }
  send(line: Uint8Array): void {
    if (this.unproven && !this.owner.mayAnswer(this.ip)) return this.owner.dropUnproven();
    this.owner.sendTo(line, this.port, this.ip);
  }
  close(_reason: LeaveReason): void {
    this.owner.forget(this.ip, this.port);
  }
}

/** A bound UDP socket feeding one room. */
export class UdpTransport {
  /** Send errors (EMSGSIZE, ENOBUFS, an ICMP error reported late): counted, never fatal. */
  sendErrors = 0;
  /** Join tokens asked for and refused: what a spoofed flood costs us, counted. */
  challenges = 0;
  // Peers by source port, then address: no key string is built for each datagram (a measurable
  // share of the per-message cost), and most ports hold a single address.
  private readonly peers = new Map<number, Map<string, Peer>>();
  private count = 0;
  private readonly cookies: CookieJar | undefined;
  // An open room (no join tokens) bound off loopback, where a source address can be forged.
  private readonly guardOpen: boolean;
  private readonly answerBuckets = new Map<string, Bucket>();
  // The whole socket's output this second, reset by a timer: the global send cap.
  private sentDatagrams = 0;
  private sentBytes = 0;
  private readonly capTimer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly socket: dgram.Socket,
    private readonly room: Room,
    private readonly onError: (err: Error) => void,
    private readonly admit: (ip: string) => boolean,
    validate: boolean,
    limitOpenAnswers: boolean,
  ) {
    this.cookies = validate ? new CookieJar() : undefined;
    this.guardOpen = !validate && limitOpenAnswers;
    this.capTimer = setInterval(() => {
      this.sentDatagrams = 0;
      this.sentBytes = 0;
    }, 1000);
    this.capTimer.unref();
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    // After bind, a dgram 'error' is a failed send or a late ICMP error: one peer's trouble,
    // not the room's. Without a listener Node would throw it and end the process.
    socket.on('error', (err) => {
      this.sendErrors += 1;
      this.onError(err);
    });
  }

  /** Binds a socket and starts feeding the room. Rejects with EADDRINUSE and the like. */
  static async listen(room: Room, options: ListenOptions, onError: (err: Error) => void = () => {}): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: udpType(options.host), reuseAddr: false });
    const failed = once(socket, 'error');
    const bound = once(socket, 'listening');
    socket.bind(options.port, options.host);
    const winner = await Promise.race([bound.then(() => null), failed.then(([err]) => err as Error)]);
    if (winner) {
      socket.close();
      throw winner;
    }
    const validate = options.validate ?? false;
    const limitOpen = options.limitOpenAnswers ?? !isLoopback(socket.address().address);
    return new UdpTransport(socket, room, onError, options.admit ?? (() => true), validate, limitOpen);
  }

  /** The bound address; port is the real one when 0 was asked for. */
  address(): AddressInfo {
    return this.socket.address();
  }

  /** How many UDP peers are known. */
  get size(): number {
    return this.count;
  }

  private receive(msg: Buffer, ip: string, port: number): void {
    let peer = this.peers.get(port)?.get(ip);
    if (!peer) {
      // Not even an error goes back to a denied address: an answer would confirm we are here.
      if (!this.admit(ip)) return this.room.drop('denied');
      let rest: Uint8Array | undefined;
      if (this.cookies) {
        rest = this.validated(this.cookies, msg, ip, port);
        if (!rest) return;
      }
      const link = new UdpLink(this, ip, port);
      link.unproven = this.guardOpen;
      const joined = this.room.join(link);
      link.unproven = false;
      if (!joined) return;
      peer = joined;
      let byIp = this.peers.get(port);
      if (!byIp) this.peers.set(port, (byIp = new Map()));
      byIp.set(ip, peer);
      this.count += 1;
      // A `/join TOKEN PASSWORD` carries the room's password on: the room checks it.
      if (rest) {
        if (rest.length > 0) this.room.receive(peer, concat(encoder.encode('/join '), rest));
        return;
      }
    }
    this.room.receive(peer, msg);
  }

  /**
   * For an address not yet in the room: returns what followed a valid `/join TOKEN` (maybe
   * empty), or undefined after answering, if the rate allows, with a small challenge.
   */
  private validated(cookies: CookieJar, msg: Buffer, ip: string, port: number): Uint8Array | undefined {
    const text = msg.subarray(0, 200).toString('latin1');
    const match = /^\/join ([A-Za-z0-9_-]{12})(?:[ \t]+|\r?\n?$)/.exec(text);
    if (match && cookies.check(ip, port, match[1]!)) {
      const rest = msg.subarray(match[0].length);
      let end = rest.length;
      while (end > 0 && (rest[end - 1] === 0x0a || rest[end - 1] === 0x0d)) end -= 1;
      return rest.subarray(0, end);
    }
    this.challenges += 1;
    this.room.drop('unvalidated');
    if (!this.mayAnswer(ip)) return undefined;
    // Small on purpose (QUIC's rule: answer an unproven address with little): about 50 bytes,
    // rate-limited per source prefix, so a forged source cannot make us flood its owner.
    this.sendTo(encoder.encode(`* to join, send: /join ${cookies.token(ip, port)}\n`), port, ip);
    return undefined;
  }

  /** Counts an answer to an unproven address that its prefix's rate did not allow. */
  dropUnproven(): void {
    this.room.drop('unvalidated');
  }

  /** True when an answer to this unproven address fits its source prefix's rate. */
  mayAnswer(ip: string): boolean {
    const l = this.room.limits;
    const prefix = sourcePrefix(ip);
    const now = performance.now();
    let bucket = this.answerBuckets.get(prefix);
    if (!bucket) {
      if (this.answerBuckets.size >= MAX_PREFIXES) this.answerBuckets.clear();
      this.answerBuckets.set(prefix, (bucket = fullBucket(l.unvalidatedRepliesPerSecond, now)));
    }
    return take(bucket, now, l.unvalidatedRepliesPerSecond, l.unvalidatedRepliesPerSecond);
  }

  /** True when join tokens are asked of new addresses. */
  get validating(): boolean {
    return this.cookies !== undefined;
  }

  /** Sends one datagram, within the global cap; after close() it is dropped, since the socket can no longer send. */
  sendTo(line: Uint8Array, port: number, ip: string): void {
    if (this.closed) return;
    const l = this.room.limits;
    if ((l.maxSendDatagramsPerSecond > 0 && this.sentDatagrams >= l.maxSendDatagramsPerSecond) || (l.maxSendBytesPerSecond > 0 && this.sentBytes + line.length > l.maxSendBytesPerSecond)) {
      this.room.drop('sendCap');
      return;
    }
    this.sentDatagrams += 1;
    this.sentBytes += line.length;
    this.socket.send(line, port, ip);
  }

  /** Called by a link when the room removes its peer. */
  forget(ip: string, port: number): void {
    const byIp = this.peers.get(port);
    if (!byIp?.delete(ip)) return;
    this.count -= 1;
    if (byIp.size === 0) this.peers.delete(port);
  }

  /** Closes the socket once queued sends (the goodbyes) have gone, waiting at most half a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.capTimer);
    // send() resolves its address on a later tick, and closing cancels whatever libuv still
    // queues: without this wait, `* server shutting down` would never leave.
    const deadline = Date.now() + 500;
    do await new Promise((resolve) => setImmediate(resolve));
    while (this.socket.getSendQueueCount() > 0 && Date.now() < deadline);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
