/**
 * The room over TCP. A peer is a connection; framing.ts rebuilds messages from the byte stream
 * (lines by default, so `nc HOST PORT` works, or length-prefixed frames). Unlike UDP, the server
 * learns of a departure at once, from FIN or RST, and must guard against a peer that stops reading.
 */
import net from 'node:net';
import { lineChannel, type Channel } from '../../core/channel.js';
import { ChatError } from '../../core/errors.js';
import type { LeaveReason, Peer } from '../../core/peer.js';
import type { TimelineSink } from '../../core/timeline.js';
import type { BoundAddress, Transport, TransportContext, TransportStats } from '../../core/transport.js';
import { formatAddress } from '../address.js';
import { listening } from '../bind.js';
import { closeWithGrace } from '../closing.js';
import { createDeframer, encodeFrame, framingHint, maxFrame, type Deframer, type FrameEvent, type FramingName } from '../framing.js';
import { StreamLink, StreamLinks } from '../stream-link.js';

/** Where to listen, and how messages are framed on the stream. */
export interface TcpListenOptions {
  /** Share the port with other processes (SO_REUSEPORT; Node 22.12+: check reusePortMissing() first). */
  reusePort?: boolean;
  host: string;
  port: number;
  framing?: FramingName;
}

/**
 * The largest --max-message a length-framed room takes. A line is the message escaped (a control
 * byte becomes four characters, `\x01`) behind a name prefix, and a length frame holds 65535
 * bytes: above this, one peer's message could make a line no frame can carry.
 */
export const MAX_LENGTH_FRAMED_MESSAGE = 16_000;

/** The same for little-endian length framing, whose Go readers take 32767 bytes at most (a signed int16). */
export const MAX_LENGTH_LE_FRAMED_MESSAGE = 8_000;

/** The largest --max-message a room with this framing takes (line framing: no limit of its own). */
function maxFramedMessage(framing: FramingName): number {
  return framing === 'length' ? MAX_LENGTH_FRAMED_MESSAGE : framing === 'length-le' ? MAX_LENGTH_LE_FRAMED_MESSAGE : Infinity;
}

/** The TCP channel for a framing: lines go out as they are; length framing swaps the `\n` for a 2-byte prefix. */
export function tcpChannel(framing: FramingName): Channel {
  if (framing === 'line') return lineChannel('tcp');
  // Replies are framed as the peers' messages are: a length-le peer reads length-le.
  return { name: 'tcp', encode: (line) => encodeFrame(framing, line.subarray(0, line.length - 1)) };
}

/** One connection's link. */
class TcpLink extends StreamLink {
  // Lines sent in this turn of the event loop, written together at its end: one write (one
  // system call) per receiver per turn instead of one per line. With a burst of lines the
  // per-line writes were most of the relay's CPU time.
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  // The socket's queue when this turn's first line came: nothing is written to the socket until
  // the flush, so within a turn the queue is this plus what is pending (no getter per line).
  private turnBase = 0;
  // The rest of the last chunk read, not yet framed: the peer's message budget ran out in the
  // middle of it. At most one socket read (64 KiB); the socket is paused while there is any.
  private held: Uint8Array | undefined;
  // The peer's FIN came while bytes were held: its last line is framed after them.
  private eof = false;
  private readonly deframer: Deframer;
  // The timeline, while the read of the chunk just come is not reported yet (see report()), and its bytes.
  private unreported: TimelineSink | undefined;
  private unreportedBytes = 0;

  constructor(
    private readonly owner: TcpTransport,
    readonly socket: net.Socket,
    ip: string,
    links: StreamLinks,
  ) {
    super(owner.channel, ip, formatAddress(ip, socket.remotePort ?? 0), links);
    this.deframer = createDeframer(owner.framing, owner.maxMessageBytes);
  }

  /** A chunk off the socket: framed and handed to the room as fast as the peer's budget allows. */
  read(chunk: Uint8Array): void {
    const timeline = this.listened();
    if (timeline) {
      // A paused socket emits nothing more, so nothing is held when a chunk comes; if it ever
      // were, the order of the bytes is what must hold, and the read is what the chunk adds to them.
      const held = this.held;
      if (held) timeline.read(this.peer!, chunk.length, this.deframer.count(Buffer.concat([held, chunk])) - this.deframer.count(held));
      else {
        this.unreported = timeline;
        this.unreportedBytes = chunk.length;
      }
    }
    this.held = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.pace();
    // The budget held the whole chunk back: its read is counted from it as it came, nothing framed yet.
    this.report(0, this.held);
  }

  /**
   * The timeline's read of the chunk just come, once, before the room sees its first message: the
   * `framed` messages already cut from it and what the framer will cut from `rest`. The count is
   * the chunk's as it came, though the peer's budget may hand its messages on a few at a time;
   * when the budget lets it all through at once (the usual case) it is the events pushSome made,
   * so the chunk is framed once, not counted (Deframer.count) and then framed again.
   */
  private report(framed: number, rest: Uint8Array | undefined): void {
    const timeline = this.unreported;
    if (!timeline) return;
    this.unreported = undefined;
    timeline.read(this.peer!, this.unreportedBytes, framed + (rest ? this.deframer.count(rest) : 0));
  }

  /**
   * The peer closed its end: a last line without a newline is a message too, once what is held
   * before it has gone. (Node emits 'end' on a paused socket whose data it has all handed over.)
   */
  ended(): void {
    // The FIN is a read too, of no bytes, and with line framing it ends a last line that had no
    // newline (`printf 'a\nb' | nc`). Behind bytes still held the count would be a guess: no read then.
    const timeline = this.listened();
    if (timeline && !this.held) timeline.read(this.peer!, 0, this.deframer.endCount());
    this.eof = true;
    this.pace();
  }

  protected release(most: number): boolean {
    const held = this.held;
    if (held) {
      const { events, used } = this.deframer.pushSome(held, most);
      // Set before the room sees the events: a /quit among them counts the rest (discardHeld).
      this.held = used < held.length ? held.subarray(used) : undefined;
      this.report(events.length, this.held);
      this.owner.hand(this, events);
      if (this.held) return false;
      most -= events.length;
    }
    if (this.eof && most > 0) {
      this.eof = false;
      this.owner.hand(this, this.deframer.end());
      // Our half of the close, which Node would have sent at its 'end' (the server is made
      // allowHalfOpen so that it waits for the held lines); the peer leaves at 'close'.
      this.flush();
      if (!this.socket.destroyed) this.socket.end();
    }
    return !this.eof;
  }

  protected discardHeld(): void {
    const held = this.held;
    let count = held ? this.deframer.discard(held) : 0;
    if (this.eof) count += this.deframer.end().length;
    this.held = undefined;
    this.eof = false;
    this.owner.afterLeave(count, this.peer);
  }

  protected pauseReading(): void {
    this.socket.pause();
  }

  protected resumeReading(): void {
    this.socket.resume();
  }

  protected queued(): number {
    return this.pending.length === 0 ? this.socket.writableLength : this.turnBase + this.pendingBytes;
  }

  protected writable(): boolean {
    // Already writing this turn: the socket was writable at its first line and nothing ran since.
    return this.pending.length > 0 || (!this.socket.destroyed && this.socket.writable);
  }

  protected write(bytes: Uint8Array): void {
    if (this.pending.length === 0) {
      this.turnBase = this.socket.writableLength;
      this.owner.dirty(this);
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  override cutOff(): void {
    super.cutOff();
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes what this turn queued, as one buffer. */
  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.cut || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(pending.length === 1 ? pending[0]! : this.owner.joined(pending));
  }

  protected end(_reason: LeaveReason): void {
    // The goodbye the room just queued goes out before the FIN.
    this.flush();
    this.socket.end();
  }

  protected destroy(): void {
    this.socket.destroy();
  }

  protected gone(): boolean {
    return this.socket.destroyed;
  }
}

/** Runs a transport's flush; a plain function, so no closure is made per turn. */
/** True when a batch is made of the very buffers of the last one (a broadcast repeated per receiver): no closure per link. */
function sameParts(last: readonly Uint8Array[], parts: readonly Uint8Array[]): boolean {
  if (last.length !== parts.length) return false;
  for (let i = 0; i < parts.length; i++) if (parts[i] !== last[i]) return false;
  return true;
}

function flushDirty(transport: TcpTransport): void {
  transport.flushDirty();
}

/** A listening TCP server feeding one room. */
export class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly channel: Channel;
  private socketErrors = 0;
  private readonly links: StreamLinks;
  /** The room's message limit, which every link's framer holds to. */
  readonly maxMessageBytes: number;
  // Every open socket, peers and those being closed alike, so close() can finish them all.
  private readonly sockets = new Set<net.Socket>();
  // Links with lines queued this turn, flushed together by one nextTick: a broadcast to 1,000
  // peers schedules one callback, not 1,000.
  private dirtyLinks: TcpLink[] = [];
  // The last batch joined, and its parts: in a broadcast every receiver queues the very same
  // line buffers in the same order, so the joined buffer is built once and written to all.
  private lastParts: Uint8Array[] = [];
  private lastJoined: Buffer = Buffer.alloc(0);

  private constructor(
    readonly server: net.Server,
    private readonly ctx: TransportContext,
    readonly framing: FramingName,
  ) {
    this.channel = tcpChannel(framing);
    this.maxMessageBytes = ctx.limits.maxMessageBytes;
    this.links = new StreamLinks(ctx);
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => ctx.onError(err));
  }

  /** Starts listening; rejects with EADDRINUSE and the like. */
  static async listen(ctx: TransportContext, options: TcpListenOptions): Promise<TcpTransport> {
    const framing = options.framing ?? 'line';
    const most = maxFramedMessage(framing);
    if (ctx.limits.maxMessageBytes > most) {
      throw new ChatError('ERR_BAD_ARGUMENT', `--max-message with --framing ${framing} is at most ${most} bytes (an escaped line must fit a ${maxFrame(framing)}-byte frame)`);
    }
    // allowHalfOpen: a peer's FIN must not close the connection before the lines it sent ahead of
    // it, held back by its message budget, have been read; TcpLink ends our half after them.
    const server = await listening(net.createServer({ noDelay: true, allowHalfOpen: true }), (s) =>
      s.listen({ port: options.port, host: options.host, ...(options.reusePort ? { reusePort: true } : {}) } as net.ListenOptions),
    );
    return new TcpTransport(server, ctx, framing);
  }

  /** A link queued its first line this turn: it is written when the turn's work is done. */
  dirty(link: TcpLink): void {
    if (this.dirtyLinks.length === 0) process.nextTick(flushDirty, this);
    this.dirtyLinks.push(link);
  }

  /** Writes every link's lines of this turn. */
  flushDirty(): void {
    const links = this.dirtyLinks;
    this.dirtyLinks = [];
    for (const link of links) link.flush();
  }

  /** The parts as one buffer, reusing the previous batch's when the parts are the same buffers. */
  joined(parts: Uint8Array[]): Buffer {
    const last = this.lastParts;
    if (!sameParts(last, parts)) {
      this.lastParts = parts;
      this.lastJoined = Buffer.concat(parts);
    }
    return this.lastJoined;
  }

  /** The bound address. */
  address(): BoundAddress {
    return this.server.address() as BoundAddress;
  }

  /** How many TCP peers are connected. */
  get size(): number {
    return this.links.size;
  }

  /** Peers, and sockets that errored (ECONNRESET, EPIPE). */
  stats(): TransportStats {
    return { peers: this.links.size, socketErrors: this.socketErrors, challenges: 0 };
  }

  private accept(socket: net.Socket): void {
    // Every socket gets an error listener first: an RST must not become an uncaught exception.
    socket.on('error', (err) => {
      this.socketErrors += 1;
      this.ctx.onError(err);
    });
    const ip = socket.remoteAddress;
    // Reset by the client before we accepted it: the kernel no longer knows whose it was, and
    // a peer with no address would be named `?:0` and share one per-address quota with its kind.
    if (ip === undefined) {
      this.ctx.drop('resetBeforeAccept');
      socket.destroy();
      return;
    }
    if (!this.ctx.admit(ip, socket.remotePort)) {
      this.ctx.drop('denied');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const link = new TcpLink(this, socket, ip, this.links);
    if (!this.links.join(link)) {
      // The room has queued why (room full, too many from one address); the link sends it, ends
      // the stream, and cuts a client that never closes its end after the same grace as a goodbye.
      link.close('dropped');
      return;
    }
    socket.on('data', (chunk) => link.read(chunk));
    socket.on('end', () => link.ended());
    socket.on('close', () => this.links.disconnected(link));
  }

  /** Hands a link's framed messages to the room; those read after its peer left are counted. */
  hand(link: TcpLink, events: readonly FrameEvent[]): void {
    const peer = link.peer!;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      // Counted, so that every message read from a peer is either in the room's counters or here.
      if (!this.links.has(link)) return this.afterLeave(events.length - i, peer);
      if (event.kind === 'message') this.ctx.room.receive(peer, event.bytes);
      else this.ctx.room.tooLong(peer, event.size, event.looksLike && framingHint(event.looksLike));
    }
  }

  /** Counts messages read from a peer that had left (the rest of a chunk after a /quit). */
  afterLeave(count: number, peer?: Peer): void {
    if (count > 0) this.ctx.drop('afterLeave', count, peer);
  }

  /**
   * Stops listening and closes every connection. The room has already said goodbye and ended
   * each socket; a peer that does not close its end within half a second is cut off.
   */
  async close(): Promise<void> {
    await closeWithGrace(this.server, () => {
      for (const socket of this.sockets) socket.destroy();
    });
  }
}
