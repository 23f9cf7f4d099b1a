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
  /**
   * Called with each reply line as it arrives (with `seq`, the numbered ones are counted instead),
   * and who sent it when the run went to a group or a broadcast address (many may answer).
   */
  onLine?: (line: string, from?: string) => void;
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
  const messages = await prepared(options);
  const connection = await openConnection(options);
  const link: Link = {
    send: (text) => connection.send(text),
    close: () => connection.close(),
    listen: (onLine, onError) => {
      connection.on('line', (line) => onLine(line));
      connection.on('error', onError);
    },
  };
  const { sent, replies, stats } = await exchange(link, messages, options);
  const received = replies.map((r) => r.line);
  return stats ? { sent, received, stats } : { sent, received };
}

/** What a run sends over: a connection to a server, or a socket sending to a group (group-send.ts). */
export interface Link {
  send(text: string): void;
  /** Closes after queued messages have left. */
  close(): Promise<void>;
  /** Hands each reply line (with who sent it, where many may answer) and each failure to the run. */
  listen(onLine: (line: string, from?: string) => void, onError: (err: ChatError) => void): void;
}

/** A reply line, and who sent it when the run went to many (`127.0.0.1:40123`). */
export interface Reply {
  line: string;
  from?: string;
}

/** The messages checked and, for a numbered run, read in full (each datagram announces the total). */
export async function prepared(options: ExchangeOptions): Promise<Iterable<string> | AsyncIterable<string>> {
  const count = Math.max(1, options.count ?? 1);
  const messages = options.seq ? await collect(options.messages) : options.messages;
  const total = Array.isArray(messages) ? messages.length * count : 0;
  if (total > MAX_SEQ_TOTAL) {
    throw new ChatError('ERR_BAD_ARGUMENT', `a numbered run holds at most ${MAX_SEQ_TOTAL} datagrams (messages × count), got ${total}`);
  }
  return messages;
}

/** What sendMessages and sendToGroup share: the messages, how often, and how long to wait for replies. */
export type ExchangeOptions = Omit<SendOptions, keyof ConnectOptions>;

/**
 * Sends the prepared messages over a link, then reads replies until the line has been quiet
 * for `waitMs`; closes the link. Numbered replies are counted (seq), the rest collected.
 */
export async function exchange(link: Link, messages: Iterable<string> | AsyncIterable<string>, options: ExchangeOptions): Promise<{ sent: number; replies: Reply[]; stats?: SeqResult }> {
  const count = Math.max(1, options.count ?? 1);
  const wait = options.waitMs ?? 0;
  const total = Array.isArray(messages) ? messages.length * count : 0;
  const stats = options.seq && wait > 0 ? new SeqStats({ expected: total }) : undefined;
  const replies: Reply[] = [];
  let failure: ChatError | undefined;
  let lastHeard = performance.now();
  // When the room last said it dropped some of ours: it tells the rest within a second.
  let lastRefusal = -Infinity;
  link.listen(
    (line, from) => {
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
      replies.push(from === undefined ? { line } : { line, from });
      options.onLine?.(line, from);
    },
    (err) => {
      failure ??= err;
    },
  );
  let sent = 0;
  try {
    for await (const message of messages) {
      for (let i = 1; i <= count; i++) {
        if (failure) throw failure;
        if (sent > 0 && options.intervalMs) await delay(options.intervalMs);
        if (options.seq) link.send(formatSeq(sent + 1, total, wallClockMs(), message));
        else link.send(count > 1 ? `${message} #${i}` : message);
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
    return stats ? { sent, replies, stats: stats.result() } : { sent, replies };
  } finally {
    await link.close();
  }
}
