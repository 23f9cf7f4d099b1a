/**
 * One-shot sending, as `nc -u` users expect but with the answers collected: each message is one
 * datagram, optionally repeated with a sequence number, then replies are read until the line
 * has been quiet for `waitMs`. With `seq`, each datagram is numbered `seq=i/N t=MS` and the
 * replies that carry such a number are counted as iperf3 counts its datagrams (seq-stats.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ChatError } from '../core/errors.js';
import { REFUSAL_NOTICE_INTERVAL_MS } from '../core/limits.js';
import { readRefusal } from '../core/lines.js';
import { openConnection, type ConnectOptions } from './connection.js';
import { formatSeq, MAX_SEQ_TOTAL, parseSeq, SeqStats, wallClockMs, type SeqResult } from './seq-stats.js';

export interface SendOptions extends ConnectOptions {
  /** The messages, from arguments or lines of stdin. */
  messages: Iterable<string> | AsyncIterable<string>;
  /** Send each message this many times, numbered `#1`, `#2`, ... (1: as it is). */
  count?: number;
  /** Pause between two datagrams. */
  intervalMs?: number;
  /** Keep reading replies until none came for this long (0: don't wait for replies). */
  waitMs?: number;
  /**
   * Number the datagrams `seq=i/N t=MS TEXT` instead of `#i`: each message `count` times, in
   * order, numbered 1..N across all of them (N = messages × count, at most MAX_SEQ_TOTAL). The
   * messages are read in full before the first datagram, since each one announces N.
   */
  seq?: boolean;
  /** Called with each reply line as it arrives (with `seq`, the numbered ones are counted instead). */
  onLine?: (line: string) => void;
}

export interface SendResult {
  sent: number;
  /** The reply lines, but for the numbered ones `stats` counted. */
  received: string[];
  /** With `seq` and a wait: the numbered replies, counted. */
  stats?: SeqResult;
}

// With no --wait, a refusal (ICMP port unreachable) still gets this long to arrive: on loopback
// it comes back at once, and it is the only way UDP says nobody is there.
const REFUSAL_GRACE_MS = 50;

async function collect(messages: Iterable<string> | AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const message of messages) all.push(message);
  return all;
}

/** Sends the messages; rejects with ERR_CONNECTION_REFUSED when nothing listens there. */
export async function sendMessages(options: SendOptions): Promise<SendResult> {
  const count = Math.max(1, options.count ?? 1);
  const wait = options.waitMs ?? 0;
  // A numbered run announces its total in every datagram, so the messages must be known first.
  const messages = options.seq ? await collect(options.messages) : options.messages;
  const total = Array.isArray(messages) ? messages.length * count : 0;
  if (total > MAX_SEQ_TOTAL) {
    throw new ChatError('ERR_BAD_ARGUMENT', `a numbered run holds at most ${MAX_SEQ_TOTAL} datagrams (messages × count), got ${total}`);
  }
  const stats = options.seq && wait > 0 ? new SeqStats({ expected: total }) : undefined;
  const connection = await openConnection(options);
  const received: string[] = [];
  let failure: ChatError | undefined;
  let lastHeard = performance.now();
  // When the room last said it dropped some of ours: it tells the rest within a second.
  let lastRefusal = -Infinity;
  connection.on('line', (line) => {
    lastHeard = performance.now();
    const numbered = stats && parseSeq(line);
    if (numbered) {
      stats.add(numbered, wallClockMs());
      return;
    }
    // The room's refusals of our messages are counted apart from losses (and still printed).
    const refusal = stats && readRefusal(line);
    if (refusal && refusal.kind === 'self') {
      stats!.refuse(refusal.count);
      lastRefusal = lastHeard;
    }
    received.push(line);
    options.onLine?.(line);
  });
  connection.on('error', (err) => {
    failure ??= err;
  });
  let sent = 0;
  try {
    for await (const message of messages) {
      for (let i = 1; i <= count; i++) {
        if (failure) throw failure;
        if (sent > 0 && options.intervalMs) await delay(options.intervalMs);
        if (options.seq) connection.send(formatSeq(sent + 1, total, wallClockMs(), message));
        else connection.send(count > 1 ? `${message} #${i}` : message);
        sent += 1;
      }
    }
    lastHeard = performance.now();
    await delay(Math.min(REFUSAL_GRACE_MS, wait || REFUSAL_GRACE_MS));
    while (!failure && wait > 0) {
      // Quiet for the wait, and past the tally of drops the room owes a second after its last refusal.
      const left = Math.max(lastHeard, lastRefusal + REFUSAL_NOTICE_INTERVAL_MS) + wait - performance.now();
      if (left <= 0) break;
      await delay(left);
    }
    if (failure) throw failure;
    return stats ? { sent, received, stats: stats.result() } : { sent, received };
  } finally {
    await connection.close();
  }
}
