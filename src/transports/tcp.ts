/**
 * The room over TCP. A peer is a connection; framing.ts rebuilds messages from the byte stream
 * (lines by default, so `nc HOST PORT` works, or length-prefixed frames). Unlike UDP, the server
 * learns of a departure at once, from FIN or RST, and must guard against a peer that stops reading.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { LeaveReason, Peer, PeerLink } from '../core/peer.js';
import type { Room } from '../core/room.js';
import { formatAddress } from './address.js';
import { closeWithGrace } from './closing.js';
import { createDeframer, encodeFrame, type FramingName } from './framing.js';

/** Where to listen, and how messages are framed on the stream. */
export interface TcpListenOptions {
  host: string;
  port: number;
  framing?: FramingName;
  /** Who may connect at all (--allow/--deny); others are reset at once. */
  admit?: (ip: string) => boolean;
}

// After the goodbye is written, a peer that keeps its end open gets this long before a hard close.
const CLOSE_GRACE_MS = 1000;

/** One connection's link. */
class TcpLink implements PeerLink {
  readonly transport = 'tcp' as const;
  readonly address: string;
  readonly ip: string;
  peer: Peer | undefined;
  private dropping = false;
  // Lines sent in this turn of the event loop, written together at its end: one write (one
  // system call) per receiver per turn instead of one per line. With a burst of lines the
  // per-line writes were most of the relay's CPU time.
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly owner: TcpTransport,
    readonly socket: net.Socket,
  ) {
    this.ip = socket.remoteAddress ?? '?';
    this.address = formatAddress(this.ip, socket.remotePort ?? 0);
  }

  send(line: Uint8Array): void {
    if (this.dropping || this.socket.destroyed || !this.socket.writable) return;
    const bytes = this.owner.framing === 'line' ? line : encodeFrame('length', line.subarray(0, line.length - 1));
    // A peer that does not read lets the queue grow; past the cap it is dropped rather than
    // letting one reader stall the room or the server's memory. Checked before queueing.
    if (this.socket.writableLength + this.pendingBytes + bytes.length > this.owner.maxQueueBytes) {
      this.dropping = true;
      this.pending = [];
      this.pendingBytes = 0;
      // Not from inside the room's broadcast loop: leave() would broadcast in the middle of it.
      setImmediate(() => this.owner.dropSlow(this));
      return;
    }
    if (this.pending.length === 0) process.nextTick(() => this.flush());
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  /** Writes what this turn queued, as one buffer. */
  private flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.dropping || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(pending.length === 1 ? pending[0]! : this.owner.joined(pending));
  }

  close(reason: LeaveReason): void {
    this.owner.forget(this);
    if (reason === 'disconnected' || this.socket.destroyed) return;
    if (this.dropping) {
      this.socket.destroy();
      return;
    }
    // The goodbye the room just queued goes out before the FIN.
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/** A listening TCP server feeding one room. */
export class TcpTransport {
  /** Socket errors seen (ECONNRESET, EPIPE): counted, never fatal. */
  socketErrors = 0;
  readonly framing: FramingName;
  private readonly links = new Set<TcpLink>();
  // Every open socket, peers and those being closed alike, so close() can finish them all.
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly server: net.Server,
    private readonly room: Room,
    framing: FramingName,
    private readonly onError: (err: Error) => void,
    private readonly admit: (ip: string) => boolean,
  ) {
    this.framing = framing;
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => onError(err));
  }

  // The last batch joined, and its parts: in a broadcast every receiver queues the very same
  // line buffers in the same order, so the joined buffer is built once and written to all.
  private lastParts: Uint8Array[] = [];
  private lastJoined: Buffer = Buffer.alloc(0);

  /** The parts as one buffer, reusing the previous batch's when the parts are the same buffers. */
  joined(parts: Uint8Array[]): Buffer {
    const last = this.lastParts;
    if (last.length !== parts.length || parts.some((p, i) => p !== last[i])) {
      this.lastParts = parts;
      this.lastJoined = Buffer.concat(parts);
    }
    return this.lastJoined;
  }

  /** Most bytes queued for one peer. */
  get maxQueueBytes(): number {
    return this.room.limits.maxQueueBytes > 0 ? this.room.limits.maxQueueBytes : Infinity;
  }

  /** Starts listening; rejects with EADDRINUSE and the like. */
  static async listen(room: Room, options: TcpListenOptions, onError: (err: Error) => void = () => {}): Promise<TcpTransport> {
    const server = net.createServer({ noDelay: true });
    const failed = once(server, 'error');
    server.listen(options.port, options.host);
    const winner = await Promise.race([once(server, 'listening').then(() => null), failed.then(([err]) => err as Error)]);
    if (winner) {
      server.close();
      throw winner;
    }
    return new TcpTransport(server, room, options.framing ?? 'line', onError, options.admit ?? (() => true));
  }

  /** The bound address. */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** How many TCP peers are connected. */
  get size(): number {
    return this.links.size;
  }

  private accept(socket: net.Socket): void {
    // Every socket gets an error listener first: an RST must not become an uncaught exception.
    socket.on('error', (err) => {
      this.socketErrors += 1;
      this.onError(err);
    });
    if (!this.admit(socket.remoteAddress ?? '')) {
      this.room.drop('denied');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const link = new TcpLink(this, socket);
    const peer = this.room.join(link);
    if (!peer) {
      // The room has queued why (room full, too many from one address); the link sends it, ends
      // the stream, and cuts a client that never closes its end after the same grace as a goodbye.
      link.close('dropped');
      return;
    }
    link.peer = peer;
    this.links.add(link);
    const deframer = createDeframer(this.framing, this.room.limits.maxMessageBytes);
    const handle = (events: ReturnType<typeof deframer.push>) => {
      for (const [i, event] of events.entries()) {
        // Counted, so that every message read from a peer is either in the room's counters or here.
        if (!this.links.has(link)) return this.room.drop('afterLeave', events.length - i);
        if (event.kind === 'message') this.room.receive(peer, event.bytes);
        else this.room.tooLong(peer, event.size);
      }
    };
    socket.on('data', (chunk) => handle(deframer.push(chunk)));
    socket.on('end', () => handle(deframer.end()));
    socket.on('close', () => {
      if (this.links.has(link)) this.room.leave(peer, 'disconnected');
    });
  }

  /** Drops a peer whose send queue passed the cap. */
  dropSlow(link: TcpLink): void {
    if (!link.peer || !this.links.has(link)) return;
    this.room.dropSlowReader(link.peer);
  }

  /** Called by a link when the room removes its peer. */
  forget(link: TcpLink): void {
    this.links.delete(link);
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
