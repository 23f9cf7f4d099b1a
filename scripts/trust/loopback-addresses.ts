/**
 * UDP sockets on other addresses of 127.0.0.0/8 than 127.0.0.1, for scenarios that need several
 * source addresses (one /24, or many of them) without forging: Linux lets an ordinary socket
 * bind any 127.x.y.z; macOS and Windows answer EADDRNOTAVAIL, and the scenario is skipped.
 */
import type dgram from 'node:dgram';
import { bindUdp, closeUdp } from '../harness/sockets.js';

/** A UDP socket bound to `host` (a 127.x.y.z) on a free port; rejects where that address cannot be bound. */
export function bindOn(host: string): Promise<dgram.Socket> {
  return bindUdp({}, host);
}

/** True when sockets can bind every one of these addresses here. */
export async function canBind(...hosts: string[]): Promise<boolean> {
  for (const host of hosts) {
    try {
      await closeUdp(await bindOn(host));
    } catch {
      return false;
    }
  }
  return true;
}

/** Resolves with the first datagram whose text matches, or undefined after `ms`. */
export function nextMatch(socket: dgram.Socket, match: RegExp, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(value);
    };
    const onMessage = (msg: Buffer) => {
      for (const line of String(msg).split('\n')) if (match.test(line)) return done(line);
    };
    const timer = setTimeout(() => done(undefined), ms);
    socket.on('message', onMessage);
  });
}
