/** A raw UDP peer for tests: what `nc -u` is by hand. Every wait has a deadline. */
import dgram from 'node:dgram';
import { once } from 'node:events';

/** A bound UDP socket that records every line it receives. */
export class UdpPeer {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg) => {
      for (const line of String(msg).split('\n')) if (line !== '') this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Binds to 127.0.0.1 on a free port. */
  static async open(): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** `127.0.0.1:PORT`, the name the room gives this peer. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  send(port: number, text: string | Uint8Array): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  /** Waits for a received line that matches, and returns it; fails after `ms`. */
  async waitFor(match: string | RegExp | ((line: string) => boolean), ms = 2000): Promise<string> {
    const test = typeof match === 'function' ? match : (l: string) => (typeof match === 'string' ? l === match : match.test(l));
    const deadline = Date.now() + ms;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) if (test(this.lines[seen]!)) return this.lines[seen]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${String(match)} within ${ms} ms; got: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
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
