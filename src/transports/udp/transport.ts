/**
 * The room over UDP. A peer is a source address and port; its first datagram joins it, and
 * one datagram is one message. Nothing tells a UDP server that a peer has gone: only the
 * room's expiry of silent peers does.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lineChannel } from '../../core/channel.js';
import { challengeLine } from '../../core/lines.js';
import type { LeaveReason, Peer, PeerLink } from '../../core/peer.js';
import { fullBucket, spend, type Bucket } from '../../core/rate.js';
import type { BoundAddress, Transport, TransportContext, TransportStats } from '../../core/transport.js';
import { formatAddress, isLoopback, udpType } from '../address.js';
import { listening } from '../bind.js';
import { SourceLimiter } from '../source-limiter.js';
import { CookieJar } from './cookie.js';
import { kernelDrops } from './kernel-drops.js';
import { askForReceiveBuffer, SERVER_RECEIVE_BUFFER_BYTES } from './receive-buffer.js';

// The kernel's drop count is read from /proc at most this often (the page asks every second, per tab).
const KERNEL_DROPS_EVERY_MS = 500;

/** Where to listen. */
export interface UdpListenOptions {
  /** Share the port with other processes (SO_REUSEPORT; Node 22.12+: check reusePortMissing() first). */
  reusePort?: boolean;
  host: string;
  port: number;
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

const encoder = new TextEncoder();

/** What a challenge says before its token (core/lines.ts writes it, and clients read it back there). */
const CHALLENGE_PREFIX = challengeLine('');

/** Every UDP peer's lines go out as they are: one datagram, one line with its `\n`. */
const UDP_CHANNEL = lineChannel('udp');

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** One UDP peer's link: a reply goes back to the address the peer wrote from. */
class UdpLink implements PeerLink {
  readonly channel = UDP_CHANNEL;
  readonly address: string;
  /**
   * True while the room answers the datagram that is joining this address, in an open room off
   * loopback: the welcome or refusal goes to an address nobody has proven, so it is rate-limited
   * per source address and prefix like a challenge.
   */
  unproven = false;
  constructor(
    private readonly owner: UdpTransport,
    readonly ip: string,
    readonly port: number,
    /** In a validating room a peer has echoed a join token from this address and port. */
    readonly proven: boolean,
  ) {
    this.address = formatAddress(ip, port);
  }
  send(bytes: Uint8Array): void {
    if (this.unproven && !this.owner.mayAnswer(this.ip)) return;
    this.owner.sendTo(bytes, this.port, this.ip);
  }
  close(_reason: LeaveReason): void {
    this.owner.forget(this.ip, this.port);
  }
}

/** A bound UDP socket feeding one room. */
export class UdpTransport implements Transport {
  readonly name = 'udp';
  private sendErrors = 0;
  private challenges = 0;
  // Peers by source port, then address: no key string is built for each datagram (a measurable
  // share of the per-message cost), and most ports hold a single address.
  private readonly peers = new Map<number, Map<string, Peer>>();
  private count = 0;
  private readonly cookies: CookieJar | undefined;
  // An open room (no join tokens) bound off loopback, where a source address can be forged.
  private readonly guardOpen: boolean;
  // Answers to unproven addresses: a budget per source address under a ceiling per /24 or /56.
  private readonly answers: SourceLimiter;
  // The global send cap: token buckets on the room's clock, a second's worth of burst each.
  private readonly datagramBudget: Bucket;
  private readonly byteBudget: Bucket;
  // With both caps off (benchmarks) a send reads no clock.
  private readonly capped: boolean;
  private closed = false;
  private kernel: { at: number; drops: number | null } | undefined;

  private constructor(
    readonly socket: dgram.Socket,
    private readonly ctx: TransportContext,
    validate: boolean,
    limitOpenAnswers: boolean,
  ) {
    // Tokens by the minute of the room's clock, as every other limit here.
    this.cookies = validate ? new CookieJar(randomBytes(32), ctx.clock) : undefined;
    this.guardOpen = !validate && limitOpenAnswers;
    this.answers = new SourceLimiter(ctx.limits.unvalidatedRepliesPerSecond, ctx.limits.unvalidatedRepliesPerPrefix, ctx.clock);
    const now = ctx.clock();
    this.datagramBudget = fullBucket(ctx.limits.maxSendDatagramsPerSecond, now);
    this.byteBudget = fullBucket(ctx.limits.maxSendBytesPerSecond, now);
    this.capped = ctx.limits.maxSendBytesPerSecond > 0 || ctx.limits.maxSendDatagramsPerSecond > 0;
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    // After bind, a dgram 'error' is a failed send or a late ICMP error: one peer's trouble,
    // not the room's. Without a listener Node would throw it and end the process.
    socket.on('error', (err) => {
      this.sendErrors += 1;
      ctx.onError(err);
    });
  }

  /** Binds a socket and starts feeding the room. Rejects with EADDRINUSE and the like. */
  static async listen(ctx: TransportContext, options: UdpListenOptions): Promise<UdpTransport> {
    // reusePort (Node 22.12+, see reuse-port.ts) is missing from older typings: passed as Node reads it.
    const socketOptions = { type: udpType(options.host), reuseAddr: false, ...(options.reusePort ? { reusePort: true } : {}) } as dgram.SocketOptions;
    const socket = await listening(dgram.createSocket(socketOptions), (s) => s.bind(options.port, options.host));
    askForReceiveBuffer(socket, SERVER_RECEIVE_BUFFER_BYTES);
    const limitOpen = options.limitOpenAnswers ?? !isLoopback(socket.address().address);
    return new UdpTransport(socket, ctx, options.validate ?? false, limitOpen);
  }

  /** The bound address; port is the real one when 0 was asked for. */
  address(): BoundAddress {
    return this.socket.address();
  }

  /** How many UDP peers are known. */
  get size(): number {
    return this.count;
  }

  /** Peers, failed sends, and join tokens asked for and refused (what a spoofed flood costs us). */
  stats(): TransportStats {
    return { peers: this.count, socketErrors: this.sendErrors, challenges: this.challenges, kernelDrops: this.kernelDrops() };
  }

  /** What the OS says it dropped of this socket's datagrams, or null where it does not say. */
  kernelDrops(): number | null {
    // Wall time, not the room's clock: this caches a reading, it limits nothing.
    const now = performance.now();
    if (this.kernel && now - this.kernel.at < KERNEL_DROPS_EVERY_MS) return this.kernel.drops;
    // After close the socket has no address and its row is gone: the last reading stands.
    if (this.closed) return this.kernel?.drops ?? null;
    const { address, port, family } = this.socket.address();
    this.kernel = { at: now, drops: kernelDrops(address, port, family === 'IPv6' ? 'IPv6' : 'IPv4') };
    return this.kernel.drops;
  }

  /** True when join tokens are asked of new addresses. */
  get validating(): boolean {
    return this.cookies !== undefined;
  }

  private receive(msg: Buffer, ip: string, port: number): void {
    let peer = this.peers.get(port)?.get(ip);
    // What followed a valid `/join TOKEN`, for an address the room has just let in.
    let rest: Uint8Array | undefined;
    if (!peer) {
      // Not even an error goes back to a denied address: an answer would confirm we are here.
      if (!this.ctx.admit(ip, port)) return this.ctx.drop('denied');
      if (this.cookies) {
        rest = this.validated(this.cookies, msg, ip, port);
        if (!rest) return;
      }
      const link = new UdpLink(this, ip, port, this.cookies !== undefined);
      link.unproven = this.guardOpen;
      const joined = this.ctx.room.join(link);
      link.unproven = false;
      if (!joined) return;
      peer = joined;
      let byIp = this.peers.get(port);
      if (!byIp) this.peers.set(port, (byIp = new Map()));
      byIp.set(ip, peer);
      this.count += 1;
    }
    if (this.ctx.timeline.active) this.ctx.timeline.read(peer, msg.length, 1);
    // A `/join TOKEN PASSWORD` carries the room's password on: the room checks it.
    if (rest) {
      if (rest.length > 0) this.ctx.room.receive(peer, concat(encoder.encode('/join '), rest));
      return;
    }
    this.ctx.room.receive(peer, msg);
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
    this.ctx.drop('unvalidated');
    // Our own challenge sent back is an echo service at that address: answering would bounce for ever.
    if (text.startsWith(CHALLENGE_PREFIX) || !this.answers.allow(ip)) return undefined;
    // Small on purpose (QUIC's rule: answer an unproven address with little): about 50 bytes,
    // rate-limited per source address and prefix, so a forged source cannot make us flood its owner.
    this.sendTo(encoder.encode(`${challengeLine(cookies.token(ip, port))}\n`), port, ip);
    return undefined;
  }

  /** True when an answer to this unproven address fits its own rate and its prefix's; counted as a drop when not. */
  mayAnswer(ip: string): boolean {
    if (this.answers.allow(ip)) return true;
    this.ctx.drop('unvalidated');
    return false;
  }

  /** Sends one datagram, within the global cap; after close() it is dropped, since the socket can no longer send. */
  sendTo(bytes: Uint8Array, port: number, ip: string): void {
    if (this.closed) return;
    const l = this.ctx.limits;
    if (!this.capped) {
      this.socket.send(bytes, port, ip);
      return;
    }
    const now = this.ctx.clock();
    if (!spend(this.byteBudget, now, l.maxSendBytesPerSecond, l.maxSendBytesPerSecond, bytes.length)) return this.ctx.drop('sendCap');
    if (!spend(this.datagramBudget, now, l.maxSendDatagramsPerSecond, l.maxSendDatagramsPerSecond, 1)) {
      // Not sent, so its bytes are not spent either.
      if (l.maxSendBytesPerSecond > 0) this.byteBudget.tokens += bytes.length;
      return this.ctx.drop('sendCap');
    }
    this.socket.send(bytes, port, ip);
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
    // The last reading, while the socket still has its row: the stop event's counters show it.
    this.kernel = undefined;
    this.kernelDrops();
    this.closed = true;
    // send() resolves its address on a later tick, and closing cancels whatever libuv still
    // queues: without this wait, `* server shutting down` would never leave.
    const deadline = Date.now() + 500;
    do await new Promise((resolve) => setImmediate(resolve));
    while (this.socket.getSendQueueCount() > 0 && Date.now() < deadline);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
