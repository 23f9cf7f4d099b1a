/** A raw UDP peer for tests: what `nc -u` is by hand. Every wait has a deadline. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { LineLog, type LineMatch } from './line-log.js';

/** A bound UDP socket that records every line it receives. */
export class UdpPeer {
  private readonly log = new LineLog();

  private constructor(
    readonly socket: dgram.Socket,
    /** The address it is bound to (a 127.0.0.x: all of them are one /24); it sends to 127.0.0.1. */
    readonly host: string,
  ) {
    socket.on('message', (msg) => {
      for (const line of String(msg).split('\n')) if (line !== '') this.log.push(line);
    });
  }

  /** Every line received so far, in order. */
  get lines(): string[] {
    return this.log.lines;
  }

  /** Binds to `host` (127.0.0.1 unless given; any 127.0.0.x binds on Linux) on a free port. */
  static async open(host = '127.0.0.1'): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, host);
    await once(socket, 'listening');
    return new UdpPeer(socket, host);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** `127.0.0.1:PORT`, the name the room gives this peer. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  send(port: number, text: string | Uint8Array): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  /** Waits for a received line that matches, and returns it; fails after `ms`. */
  waitFor(match: LineMatch, ms = 2000): Promise<string> {
    return this.log.waitFor(match, ms);
  }

  close(): void {
    this.socket.close();
  }
}

/** Waits until `check` holds, polling on each event-loop turn; fails after `ms`. */
export async function eventually(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
