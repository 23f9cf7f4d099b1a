/**
 * One-shot sending, as `nc -u` users expect but with the answers collected: each message is one
 * datagram, optionally repeated with a sequence number, then replies are read until the line
 * has been quiet for `waitMs`. With `seq`, each datagram is numbered `seq=i/N t=MS` and the
 * replies that carry such a number are counted as iperf3 counts its datagrams (seq-stats.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ChatError } from '../core/errors.js';
import { REFUSAL_NOTICE_INTERVAL_MS } from '../core/limits.js';
import { parseServerLine, readChallenge, readRefusal, welcomeTimeout } from '../core/lines.js';
import { openConnection, type ClientTransport, type ConnectOptions } from './connection.js';
import { SeqMeter } from './seq-meter.js';
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
  /** Called once, before the first datagram: where the run goes, and for `seq` its meter. */
  onStart?: (run: RunStart) => void;
  /**
   * Stops the run early (Ctrl-C): no more datagrams, no more waiting; the result holds what was
   * sent and heard so far, with `interrupted` set.
   */
  signal?: AbortSignal;
}

/** What a run announces as it starts. */
export interface RunStart {
  transport: ClientTransport;
  /** The address the run sends from, `127.0.0.1:40123`. */
  from: string;
  /** Where it sends, `127.0.0.1:9000` (a group or broadcast address for sendToGroup). */
  to: string;
  /** With `seq`: the run's N, and the meter counting it as it runs (send --report, the live line). */
  total?: number;
  meter?: SeqMeter;
  /** Datagrams sent so far: what a run that fails part-way (a port unreachable) reports as sent. */
  sent(): number;
}

/**
 * What answered, when a line said so: `room` for a chat room (its welcome or any `* ` notice or
 * `! ` refusal), `challenge` for a validating room's `* to join, send: /join TOKEN`, which `send`
 * does not answer, so its datagrams never entered the room.
 */
export type Answerer = 'room' | 'challenge';

/** What every run reports, to a server or to many. */
export interface RunResult {
  sent: number;
  /** Lines heard at all, numbered ones included: 0 means nothing came back. */
  heard: number;
  /** The run was stopped early (options.signal). */
  interrupted?: boolean;
  answerer?: Answerer;
  /** With `seq` and a wait: the numbered replies, counted (over the datagrams sent, if interrupted). */
  stats?: SeqResult;
}

export interface SendResult extends RunResult {
  /** The reply lines, but for the numbered ones `stats` counted. */
  received: string[];
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
    transport: connection.transport,
    local: connection.local,
    remote: connection.remote,
    send: (text) => connection.send(text),
    close: () => connection.close(),
    listen: (onLine, onError) => {
      connection.on('line', (line) => onLine(line));
      connection.on('error', onError);
    },
  };
  const { replies, ...run } = await exchange(link, messages, options);
  return { ...run, received: replies.map((r) => r.line) };
}

/** What a run sends over: a connection to a server, or a socket sending to a group (group-send.ts). */
export interface Link {
  readonly transport: ClientTransport;
  /** Where the link sends from and to (RunStart). */
  readonly local: string;
  readonly remote: string;
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
export async function exchange(link: Link, messages: Iterable<string> | AsyncIterable<string>, options: ExchangeOptions): Promise<RunResult & { replies: Reply[] }> {
  const count = Math.max(1, options.count ?? 1);
  const wait = options.waitMs ?? 0;
  const signal = options.signal;
  const total = Array.isArray(messages) ? messages.length * count : 0;
  const stats = options.seq && wait > 0 ? new SeqStats({ expected: total }) : undefined;
  const meter = options.seq ? new SeqMeter(total) : undefined;
  const replies: Reply[] = [];
  let failure: ChatError | undefined;
  let heard = 0;
  let answerer: Answerer | undefined;
  let lastHeard = performance.now();
  // When the room last said it dropped some of ours: it tells the rest within a second.
  let lastRefusal = -Infinity;
  link.listen(
    (line, from) => {
      lastHeard = performance.now();
      heard += 1;
      const numbered = stats && parseSeq(line);
      if (numbered) {
        const at = wallClockMs();
        meter?.arrive(numbered.seq, stats.add(numbered, at), at - numbered.sentAtMs);
        return;
      }
      answerer = answerer === 'challenge' ? answerer : whoAnswered(line) ?? answerer;
      // The room's refusals of our messages are counted apart from losses (and still printed).
      const refusal = stats && readRefusal(line);
      if (refusal && refusal.kind === 'self') {
        stats!.refuse(refusal.count);
        meter?.refuse(refusal.count);
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
    options.onStart?.({ transport: link.transport, from: link.local, to: link.remote, sent: () => sent, ...(options.seq ? { total, meter: meter! } : {}) });
    send: for await (const message of untilAborted(messages, signal)) {
      for (let i = 1; i <= count; i++) {
        if (failure) throw failure;
        if (sent > 0 && options.intervalMs && !(await pause(options.intervalMs, signal))) break send;
        if (signal?.aborted) break send;
        if (options.seq) link.send(formatSeq(sent + 1, total, wallClockMs(), message));
        else link.send(count > 1 ? `${message} #${i}` : message);
        sent += 1;
        meter?.sent();
      }
    }
    lastHeard = performance.now();
    if (!signal?.aborted) await pause(Math.min(REFUSAL_GRACE_MS, wait || REFUSAL_GRACE_MS), signal);
    while (!failure && wait > 0 && !signal?.aborted) {
      // Quiet for the wait, and past the tally of drops the room owes a second after its last refusal.
      const left = Math.max(lastHeard, lastRefusal + REFUSAL_NOTICE_INTERVAL_MS) + wait - performance.now();
      if (left <= 0) break;
      await pause(left, signal);
    }
    const interrupted = signal?.aborted === true;
    // Stopped early: the last datagrams' replies are still on their way (a loopback echo answers in
    // well under a millisecond); a moment for them, so a clean run stopped by Ctrl-C reads clean.
    if (interrupted && wait > 0 && !failure) await delay(Math.min(REFUSAL_GRACE_MS, wait));
    if (failure) throw failure;
    return {
      sent,
      heard,
      replies,
      ...(interrupted ? { interrupted } : {}),
      ...(answerer ? { answerer } : {}),
      // Stopped early, the seqs never sent are not lost.
      ...(stats ? { stats: stats.result(interrupted ? sent : undefined) } : {}),
    };
  } finally {
    await link.close();
  }
}

/** Which kind of server a reply line shows answered, if it shows one. */
function whoAnswered(line: string): Answerer | undefined {
  if (readChallenge(line) !== null) return 'challenge';
  // An echo sends back what it got, and send's own lines are numbered or the user's: a welcome is
  // the room's; so is a notice or a refusal, unless the user sent one (`send '* hi'`) to an echo,
  // where calling it a room changes only a hint.
  if (welcomeTimeout(line) !== null) return 'room';
  const kind = parseServerLine(line).kind;
  return kind === 'notice' || kind === 'error' ? 'room' : undefined;
}

/** Waits `ms`; false when the signal stopped the wait. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (err) {
    if ((err as Error).name === 'AbortError') return false;
    throw err;
  }
}

/**
 * The messages, until the signal fires: a line of stdin may never come, so each wait for the next
 * races the signal, and the source is closed when the signal wins.
 */
async function* untilAborted<T>(source: Iterable<T> | AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  const aborted = new Promise<null>((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener('abort', () => resolve(null), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === null || next.done) return;
      yield next.value;
    }
  } finally {
    void iterator.return?.();
  }
}
