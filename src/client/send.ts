/**
 * One-shot sending, as `nc -u` users expect but with the answers collected: each message is one
 * datagram, optionally repeated with a sequence number, then replies are read until the line
 * has been quiet for `waitMs`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ChatError } from '../core/errors.js';
import { openConnection, type ConnectOptions } from './connection.js';

export interface SendOptions extends ConnectOptions {
  /** The messages, from arguments or lines of stdin. */
  messages: Iterable<string> | AsyncIterable<string>;
  /** Send each message this many times, numbered `#1`, `#2`, ... (1: as it is). */
  count?: number;
  /** Pause between two datagrams. */
  intervalMs?: number;
  /** Keep reading replies until none came for this long (0: don't wait for replies). */
  waitMs?: number;
  /** Called with each reply line as it arrives. */
  onLine?: (line: string) => void;
}

export interface SendResult {
  sent: number;
  received: string[];
}

// With no --wait, a refusal (ICMP port unreachable) still gets this long to arrive: on loopback
// it comes back at once, and it is the only way UDP says nobody is there.
const REFUSAL_GRACE_MS = 50;

/** Sends the messages; rejects with ERR_CONNECTION_REFUSED when nothing listens there. */
export async function sendMessages(options: SendOptions): Promise<SendResult> {
  const connection = await openConnection(options);
  const received: string[] = [];
  let failure: ChatError | undefined;
  let lastHeard = performance.now();
  connection.on('line', (line) => {
    lastHeard = performance.now();
    received.push(line);
    options.onLine?.(line);
  });
  connection.on('error', (err) => {
    failure ??= err;
  });
  const count = Math.max(1, options.count ?? 1);
  let sent = 0;
  try {
    for await (const message of options.messages) {
      for (let i = 1; i <= count; i++) {
        if (failure) throw failure;
        if (sent > 0 && options.intervalMs) await delay(options.intervalMs);
        connection.send(count > 1 ? `${message} #${i}` : message);
        sent += 1;
      }
    }
    const wait = options.waitMs ?? 0;
    lastHeard = performance.now();
    await delay(Math.min(REFUSAL_GRACE_MS, wait || REFUSAL_GRACE_MS));
    while (!failure && wait > 0) {
      const left = lastHeard + wait - performance.now();
      if (left <= 0) break;
      await delay(left);
    }
    if (failure) throw failure;
    return { sent, received };
  } finally {
    await connection.close();
  }
}
