/**
 * UDP sockets on any address of 127.0.0.0/8 (Linux binds them all without setup), counting what
 * they receive as it would cross a wire: an attacker "from 127.0.0.5" is a socket bound there,
 * and what the room sends that address is what those sockets read. Nothing leaves loopback.
 */
import type dgram from 'node:dgram';
import { bindUdp, closeUdp } from '../harness/sockets.js';
import { canBind } from './loopback-addresses.js';
import { poll } from '../harness/process.js';

/** IPv4 and UDP headers: what a datagram costs on the wire besides its payload. */
export const UDP_HEADER_BYTES = 28;

/** A bound socket that counts the datagrams and bytes (wire) it receives, and keeps its lines. */
export class CountingSocket {
  datagrams = 0;
  wireBytes = 0;
  readonly lines: string[] = [];

  private constructor(
    readonly socket: dgram.Socket,
    private readonly keep: boolean,
  ) {
    socket.on('message', (msg) => {
      this.datagrams += 1;
      this.wireBytes += msg.length + UDP_HEADER_BYTES;
      if (this.keep) this.lines.push(...String(msg).split('\n').filter((l) => l !== ''));
    });
  }

  /** Binds to `host` (an address in 127.0.0.0/8) on a free port; `keep` keeps the lines received. */
  static async open(host: string, keep = false): Promise<CountingSocket> {
    return new CountingSocket(await bindUdp({}, host), keep);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Forgets what was received so far (a measurement starts after the joins). */
  reset(): void {
    this.datagrams = 0;
    this.wireBytes = 0;
    this.lines.length = 0;
  }

  send(port: number, text: string): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  close(): Promise<void> {
    return closeUdp(this.socket);
  }
}

/** Opens `n` counting sockets on `host`. */
export function openMany(host: string, n: number, keep = false): Promise<CountingSocket[]> {
  return Promise.all(Array.from({ length: n }, () => CountingSocket.open(host, keep)));
}

/** Closes every socket given, whatever state it is in. */
export async function closeAll(sockets: readonly CountingSocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => s.close()));
}

/** True when this machine lets a socket bind 127.0.0.2 (Linux does; macOS needs an alias first). */
export function loopbackAliases(): Promise<boolean> {
  return canBind('127.0.0.2');
}

/** Waits until `check` holds, polling every 5 ms; false after `ms`. */
export function until(check: () => boolean, ms: number): Promise<boolean> {
  return poll(check, ms, () => '', 5).then(
    () => true,
    () => false,
  );
}

/** Sends `send(i)` for i = 0..count-1 spread evenly over `ms`, in slices of a few milliseconds. */
export async function paced(count: number, ms: number, send: (i: number) => void): Promise<void> {
  const started = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.ceil(((performance.now() - started) / ms) * count) + 1);
    for (; i < due; i++) send(i);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
