/**
 * Test peers on real sockets, UDP, TCP or WebSocket, behind one interface, so a test can be
 * written once and run over any transport: what `nc -u`, `nc` and a browser tab are by hand.
 * Every wait has a deadline.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { FramingName } from '../../src/transports/framing.js';
import { LineLog, type LineMatch } from './line-log.js';
import { UdpPeer } from './udp-peer.js';
import { WsPeer } from './ws-peer.js';

/** Which transport a test peer speaks. */
export type PeerKind = 'udp' | 'tcp' | 'ws';

/** A peer of a room on 127.0.0.1, whatever its transport. */
export interface TestPeer {
  readonly kind: PeerKind;
  /** Every line received so far, in order, without its line end. */
  readonly lines: string[];
  /** `127.0.0.1:PORT`: the address the server names this peer by. */
  readonly address: string;
  /** Sends one message: a datagram, a line (a `\n` is added unless there), or a length frame (big- or little-endian). */
  send(text: string | Uint8Array): void;
  /** Waits for a received line that matches and returns it; fails after `ms`, listing the lines seen. */
  waitFor(match: LineMatch, ms?: number): Promise<string>;
  /** Stops taking in what the server sends, as a peer that never reads: a stream backs up to the server; a UDP socket just lets datagrams go. */
  stopReading(): void;
  close(): Promise<void>;
}

/** A UDP test peer: one datagram per message, to the room's port. */
export interface UdpTestPeer extends TestPeer {
  readonly kind: 'udp';
  readonly udp: UdpPeer;
}

/** A TCP test peer, with its socket and raw writes for tests of the byte stream. */
export interface TcpTestPeer extends TestPeer {
  readonly kind: 'tcp';
  readonly socket: net.Socket;
  readonly framing: FramingName;
  /** The local port: the server sees the connection come from it. */
  readonly port: number;
  /** Socket errors seen (an RST from the server is ECONNRESET). */
  readonly errors: NodeJS.ErrnoException[];
  /** True once the server ended the stream ('end') or the socket closed. */
  readonly ended: boolean;
  /** Writes bytes as they are, with no framing. */
  write(bytes: string | Uint8Array): void;
  /** Waits until the server has closed the connection ('end' or 'close'); fails after `ms`. */
  waitForEnd(ms?: number): Promise<void>;
}

/** A WebSocket test peer: it connects to the room's web port, not to its UDP/TCP port. */
export type WsTestPeer = WsPeer;

/** A peer on a connection (TCP or WebSocket), which the server can close. */
export type StreamTestPeer = TcpTestPeer | WsTestPeer;

/** Whether a peer is on a connection the server closes when it drops it. */
export function isStream(peer: TestPeer): peer is StreamTestPeer {
  return peer.kind !== 'udp';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytesOf(text: string | Uint8Array): Uint8Array {
  return typeof text === 'string' ? encoder.encode(text) : text;
}

/** Decodes one received line and drops a CR of a CRLF. */
function lineText(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

class UdpTest implements UdpTestPeer {
  readonly kind = 'udp' as const;
  constructor(
    readonly udp: UdpPeer,
    private readonly serverPort: number,
  ) {}
  get lines(): string[] {
    return this.udp.lines;
  }
  get address(): string {
    return this.udp.address;
  }
  send(text: string | Uint8Array): void {
    this.udp.send(this.serverPort, text);
  }
  waitFor(match: LineMatch, ms?: number): Promise<string> {
    return this.udp.waitFor(match, ms);
  }
  stopReading(): void {
    this.udp.socket.removeAllListeners('message');
  }
  async close(): Promise<void> {
    this.udp.close();
  }
}

class TcpTest implements TcpTestPeer {
  readonly kind = 'tcp' as const;
  readonly errors: NodeJS.ErrnoException[] = [];
  readonly port: number;
  ended = false;
  private readonly log = new LineLog();
  // Bytes of a line, or of a length frame, whose end has not arrived yet.
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    readonly socket: net.Socket,
    readonly framing: FramingName,
  ) {
    this.port = socket.localPort ?? 0;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => {
      // `nc` prints a last line that had no newline too.
      if (framing === 'line' && this.pending.length > 0) this.log.push(lineText(this.pending));
      this.pending = Buffer.alloc(0);
      this.finish();
    });
    socket.on('close', () => this.finish());
    socket.on('error', (err: NodeJS.ErrnoException) => this.errors.push(err));
  }

  get lines(): string[] {
    return this.log.lines;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private finish(): void {
    this.ended = true;
    this.log.wake();
  }

  // Parsed here rather than with src/transports/framing.ts, so a framing bug cannot hide itself.
  private receive(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.framing === 'line') {
      let lf: number;
      while ((lf = data.indexOf(0x0a)) !== -1) {
        const line = lineText(data.subarray(0, lf));
        if (line !== '') this.log.push(line);
        data = data.subarray(lf + 1);
      }
    } else {
      // length-le is read as seed 000's server2.go Decode reads it: a little-endian int16.
      const size = (d: Buffer) => (this.framing === 'length' ? d.readUInt16BE(0) : d.readInt16LE(0));
      while (data.length >= 2 && data.length >= 2 + size(data)) {
        const n = size(data);
        this.log.push(decoder.decode(data.subarray(2, 2 + n)));
        data = data.subarray(2 + n);
      }
    }
    this.pending = Buffer.from(data);
  }

  send(text: string | Uint8Array): void {
    const bytes = bytesOf(text);
    if (this.framing !== 'line') {
      const frame = Buffer.alloc(2 + bytes.length);
      if (this.framing === 'length') frame.writeUInt16BE(bytes.length, 0);
      else frame.writeInt16LE(bytes.length, 0);
      frame.set(bytes, 2);
      this.socket.write(frame);
    } else {
      this.socket.write(bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\n')]));
    }
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  waitFor(match: LineMatch, ms = 2000): Promise<string> {
    return this.log.waitFor(match, ms);
  }

  waitForEnd(ms = 2000): Promise<void> {
    return this.log.until(() => this.ended, ms, `the server did not close ${this.address}`);
  }

  stopReading(): void {
    this.socket.pause();
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    // A paused socket never reads the server's FIN, so it would never see 'close': cut it.
    if (this.socket.isPaused()) {
      this.socket.destroy();
      return;
    }
    const closed = once(this.socket, 'close');
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 500);
    await closed;
    clearTimeout(timer);
  }
}

/**
 * Opens a peer of the room on 127.0.0.1:`port` (for `ws`, the web port). A UDP peer joins with
 * its first message, a TCP or WebSocket one on connecting.
 */
export async function openPeer(kind: 'udp', port: number): Promise<UdpTestPeer>;
export async function openPeer(kind: 'tcp', port: number, framing?: FramingName): Promise<TcpTestPeer>;
export async function openPeer(kind: 'ws', port: number): Promise<WsTestPeer>;
export async function openPeer(kind: PeerKind, port: number, framing?: FramingName): Promise<TestPeer>;
export async function openPeer(kind: PeerKind, port: number, framing: FramingName = 'line'): Promise<TestPeer> {
  if (kind === 'udp') return new UdpTest(await UdpPeer.open(), port);
  if (kind === 'ws') return WsPeer.open(port);
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  try {
    // once() rejects on 'error' (ECONNREFUSED) too.
    await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return new TcpTest(socket, framing);
}

/** What a server socket has read from each client, by the client's port. */
export interface ReadTap {
  /** Bytes read so far from the connection that comes from this local port. */
  bytes(port: number): number;
  /** How many 'data' events (reads) that connection gave. */
  chunks(port: number): number;
}

/**
 * Counts what a net.Server reads from each connection. Install it before the clients connect.
 * The server's own 'connection' listener was added first, so by the time a read is counted here
 * the server has already handled it: waiting for the count is waiting for the server.
 */
export function tapReads(server: net.Server): ReadTap {
  const bytes = new Map<number, number>();
  const chunks = new Map<number, number>();
  server.on('connection', (socket: net.Socket) => {
    const port = socket.remotePort ?? 0;
    socket.on('data', (chunk: Buffer) => {
      bytes.set(port, (bytes.get(port) ?? 0) + chunk.length);
      chunks.set(port, (chunks.get(port) ?? 0) + 1);
    });
  });
  return { bytes: (port) => bytes.get(port) ?? 0, chunks: (port) => chunks.get(port) ?? 0 };
}

/** Escapes a string for use inside a RegExp. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
