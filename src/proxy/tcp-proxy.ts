/**
 * The TCP side of the impairment proxy, with toxiproxy's names: latency, slice (cut every write
 * into small pieces, so one message arrives in several reads), coalesce (merge the writes of a
 * window, so several messages arrive in one read: the sticky packets), rate. A stream cannot lose
 * bytes, so `loss` here emulates what TCP does about a lost segment: it is sent again after a
 * retransmission timeout, and everything behind it waits (head-of-line blocking).
 */
import net, { type AddressInfo } from 'node:net';
import type { Direction } from './udp-proxy.js';
import { seededRandom, type Random } from '../transports/random.js';
import { listening } from '../transports/bind.js';

/** TCP impairments; 0 turns one off. */
export interface TcpImpairment {
  latencyMs: number;
  sliceBytes: number;
  /** Pause between two slices, so each is its own segment and its own read. */
  sliceDelayMs: number;
  coalesceMs: number;
  rateBytesPerSec: number;
  /** Chance a chunk is "lost" and so delivered a retransmission timeout late, with all behind it. */
  loss: number;
  rtoMs: number;
}

/** No TCP impairment. */
export const NO_TCP_IMPAIRMENT: Readonly<TcpImpairment> = Object.freeze({
  latencyMs: 0,
  sliceBytes: 0,
  sliceDelayMs: 1,
  coalesceMs: 0,
  rateBytesPerSec: 0,
  loss: 0,
  rtoMs: 200,
});

/** One chunk the proxy queued: when it came in, when it may leave, and whether a "loss" delayed it. */
export interface TcpScheduled {
  bytes: Uint8Array;
  at: number;
  releaseAt: number;
  retransmitted: boolean;
}

/** What one direction of the TCP proxy did. */
export interface StreamCounters {
  chunks: number;
  bytes: number;
  writes: number;
  retransmits: number;
  coalesced: number;
}

// Past this much queued in the proxy, it stops reading from the source: memory stays bounded
// and the sender feels the backpressure, as it would from a slow link.
const HIGH_WATER = 1 << 20;

/** One direction of one connection: an ordered queue of pieces, each with the time it may leave. */
class Pipe {
  private readonly queue: Array<{ at: number; bytes: Buffer }> = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastRelease = 0;
  private linkFreeAt = 0;
  private held: Buffer[] = [];
  private coalesceTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly o: TcpImpairment,
    private readonly random: Random,
    private readonly counters: StreamCounters,
    private readonly onSchedule?: (chunk: TcpScheduled) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.take(chunk));
    from.on('end', () => {
      this.ended = true;
      this.flushHeld();
      this.pump();
    });
    to.on('drain', () => this.pump());
  }

  private take(chunk: Buffer): void {
    this.counters.chunks += 1;
    this.counters.bytes += chunk.length;
    if (this.o.coalesceMs > 0) {
      this.held.push(chunk);
      this.coalesceTimer ??= setTimeout(() => this.flushHeld(), this.o.coalesceMs);
    } else this.schedule(chunk);
  }

  private flushHeld(): void {
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    if (this.held.length === 0) return;
    if (this.held.length > 1) this.counters.coalesced += this.held.length - 1;
    const merged = Buffer.concat(this.held);
    this.held = [];
    this.schedule(merged);
  }

  private schedule(chunk: Buffer): void {
    const now = performance.now();
    let at = now + this.o.latencyMs;
    const retransmitted = this.o.loss > 0 && this.random() < this.o.loss;
    if (retransmitted) {
      this.counters.retransmits += 1;
      at += this.o.rtoMs;
    }
    // In order, always: a stream never lets a later byte overtake an earlier one.
    at = Math.max(at, this.lastRelease);
    if (this.o.rateBytesPerSec > 0) {
      at = Math.max(at, this.linkFreeAt);
      this.linkFreeAt = at + (chunk.length * 1000) / this.o.rateBytesPerSec;
    }
    this.onSchedule?.({ bytes: chunk, at: now, releaseAt: at, retransmitted });
    const size = this.o.sliceBytes > 0 ? this.o.sliceBytes : chunk.length;
    for (let offset = 0, i = 0; offset < chunk.length; offset += size, i++) {
      this.queue.push({ at: at + i * (this.o.sliceBytes > 0 ? this.o.sliceDelayMs : 0), bytes: chunk.subarray(offset, offset + size) });
    }
    this.lastRelease = this.queue[this.queue.length - 1]?.at ?? at;
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.from.pause();
    this.pump();
  }

  /** Writes every piece whose time has come, then waits for the next one. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now && this.to.writableLength < HIGH_WATER) {
      const piece = this.queue.shift()!;
      this.queued -= piece.bytes.length;
      this.counters.writes += 1;
      if (this.to.writable) this.to.write(piece.bytes);
    }
    if (this.queued <= HIGH_WATER / 2 && this.from.isPaused()) this.from.resume();
    const next = this.queue[0];
    if (next && this.to.writableLength < HIGH_WATER) this.timer = setTimeout(() => this.pump(), Math.max(0, next.at - now));
    else if (!next && this.ended && this.held.length === 0) this.to.end();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.coalesceTimer);
  }
}

export interface TcpProxyOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  impairment: TcpImpairment;
  direction: Direction;
  seed: number;
  /** Told each chunk client to server as it is queued (the demos draw retransmission waits). */
  onSchedule?: (chunk: TcpScheduled) => void;
}

/** A running TCP proxy. */
export interface TcpProxy {
  readonly port: number;
  readonly address: AddressInfo;
  counters(): { in: StreamCounters; out: StreamCounters; connections: number; errors: number };
  close(): Promise<void>;
}

const zero = (): StreamCounters => ({ chunks: 0, bytes: 0, writes: 0, retransmits: 0, coalesced: 0 });

/** Starts a TCP impairment proxy. */
export async function startTcpProxy(o: TcpProxyOptions): Promise<TcpProxy> {
  const counters = { in: zero(), out: zero(), connections: 0, errors: 0 };
  const none: TcpImpairment = { ...o.impairment, latencyMs: 0, sliceBytes: 0, coalesceMs: 0, rateBytesPerSec: 0, loss: 0 };
  const randomIn = seededRandom(o.seed);
  const randomOut = seededRandom(o.seed + 1);
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {
      counters.errors += 1;
    });
  };
  // Half-open on both sides: each direction ends when its own source ends and its queue is empty,
  // so a client's FIN does not cut off replies still held back by a delay.
  const server = net.createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    counters.connections += 1;
    track(client);
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort, noDelay: true, allowHalfOpen: true });
    track(upstream);
    const pipes = [
      new Pipe(client, upstream, o.direction === 'out' ? none : o.impairment, randomIn, counters.in, o.onSchedule),
      new Pipe(upstream, client, o.direction === 'in' ? none : o.impairment, randomOut, counters.out),
    ];
    // Bytes read before the upstream connects wait in the pipe's queue; reading starts then.
    upstream.once('connect', () => client.resume());
    // An abort on either side aborts the other: the proxy must not hide a reset from the peer.
    const abort = () => {
      for (const p of pipes) p.stop();
      client.destroy();
      upstream.destroy();
    };
    client.once('error', abort);
    upstream.once('error', abort);
  });
  await listening(server, (s) => s.listen(o.listenPort, o.listenHost));
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    address,
    counters: () => ({ in: { ...counters.in }, out: { ...counters.out }, connections: counters.connections, errors: counters.errors }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
