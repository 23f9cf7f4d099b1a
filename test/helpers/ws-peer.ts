/**
 * A WebSocket test peer (the `ws` client): what a browser tab is to the room, without the page.
 * One frame is one message each way. Every wait has a deadline.
 */
import { WebSocket, type RawData } from 'ws';
import { LineLog, type LineMatch } from './line-log.js';

export interface WsPeerOptions {
  /** The Origin header to send, as a browser would; none by default, as a non-browser client. */
  origin?: string;
  /** Answer the server's pings (true, as browsers do); false plays a client that has hung. */
  autoPong?: boolean;
  /** Give up on the handshake after this long. */
  ms?: number;
  /** The request's path: `/` by default, as the page asks; `/ws` as seed 003's gorilla client dials. */
  path?: string;
  /** The subprotocol to ask for (`json`: the room as JSON events); none by default, as the page. */
  protocol?: string;
}

/** The handshake was refused with an HTTP status instead of 101. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`the server refused the WebSocket with HTTP ${status}`);
  }
}

const decoder = new TextDecoder();

function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A connected WebSocket that records every line (frame) it receives. */
export class WsPeer {
  readonly kind = 'ws' as const;
  readonly errors: Error[] = [];
  /** The close code the connection ended with (1006: cut without a close frame), once it has. */
  closeCode: number | undefined;
  ended = false;
  private readonly log = new LineLog();

  /** The local port: the server sees the connection come from it. */
  port = 0;

  // Listening from the start: the server's first frames may come in the same read as the
  // handshake's answer, and ws emits them at once.
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      // The server sends one line per frame, without a line end.
      for (const line of decoder.decode(bytesOf(data)).split('\n')) this.log.push(line);
    });
    socket.on('close', (code: number) => {
      this.closeCode = code;
      this.ended = true;
      this.log.wake();
    });
    socket.on('error', (err) => this.errors.push(err));
  }

  /** Connects to ws://127.0.0.1:`port`/ (or its `path`) and resolves once open; rejects with UpgradeRefused or a socket error. */
  static async open(port: number, options: WsPeerOptions = {}): Promise<WsPeer> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? '/'}`, options.protocol ?? [], {
      handshakeTimeout: options.ms ?? 2000,
      autoPong: options.autoPong ?? true,
      ...(options.origin ? { origin: options.origin } : {}),
    });
    const peer = new WsPeer(socket);
    socket.once('upgrade', (res) => (peer.port = res.socket.localPort ?? 0));
    await opened(socket);
    return peer;
  }

  get lines(): string[] {
    return this.log.lines;
  }

  /** `127.0.0.1:PORT`: the address the server names this peer by. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sends one message: a string as a text frame, bytes as a binary frame. */
  send(text: string | Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text, { binary: typeof text !== 'string' });
  }

  waitFor(match: LineMatch, ms = 2000): Promise<string> {
    return this.log.waitFor(match, ms);
  }

  /** Waits until the connection has closed, whoever closed it; fails after `ms`. */
  waitForEnd(ms = 2000): Promise<void> {
    return this.log.until(() => this.ended, ms, `the connection of ${this.address} did not close`);
  }

  /** Stops reading: what the server sends backs up in the kernel, then in the server's queue. */
  stopReading(): void {
    this.socket.pause();
  }

  async close(): Promise<void> {
    if (this.ended) return;
    // A paused socket never reads the server's close frame: cut it.
    if (this.socket.isPaused) {
      this.socket.terminate();
      return;
    }
    this.socket.close();
    const timer = setTimeout(() => this.socket.terminate(), 500);
    try {
      await this.waitForEnd(1000);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Resolves once `socket` is open; rejects with UpgradeRefused (the server's status) or the socket's error, the socket terminated. */
export async function opened(socket: WebSocket): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new UpgradeRefused(res.statusCode ?? 0));
      });
    });
  } catch (err) {
    socket.terminate();
    throw err;
  }
}
