/**
 * `udp-chat ping`: the Kurose & Ross UDP Pinger lab's client, with ping(8)'s bookkeeping. Each
 * probe is `Ping SEQ TIME` (so the book's own server answers it), sent every `intervalMs`; a
 * reply is matched to its probe by the number in it, and the RTT is taken from our own send
 * time. Over UDP a probe unanswered within `timeoutMs` is a timeout (a reply after it is late,
 * not received); over TCP nothing is lost, so every reply counts, however late, and the run waits
 * for them up to TCP_FINAL_WAIT_FACTOR × `timeoutMs` after the last probe. Prints nothing: the
 * caller gets events as they happen and the figures at the end.
 */
import { ChatError } from '../core/errors.js';
import { openConnection } from './connection.js';
import { formatProbe, PingTally, type PingProbe, type PingSummary } from './ping-stats.js';
import { wallClockMs } from './seq-stats.js';

/** The lab's defaults: ten probes, one a second, a one-second timeout. */
export const PING_DEFAULTS = Object.freeze({ count: 10, intervalMs: 1000, timeoutMs: 1000 });

/** Over TCP the run waits this many timeouts after the last probe for the replies still owed. */
export const TCP_FINAL_WAIT_FACTOR = 10;

/** The largest probe: the largest UDP payload over IPv4. */
export const MAX_PING_SIZE = 65507;

export interface PingOptions {
  host: string;
  port: number;
  transport?: 'udp' | 'tcp';
  /** Probes to send; 0: until `signal` aborts. */
  count?: number;
  /** From one probe to the next (as ping(8): the next goes whether or not a reply came). */
  intervalMs?: number;
  /** UDP: how long a probe waits for its reply before it is a timeout. */
  timeoutMs?: number;
  /** Pad each probe to this many bytes (at least the header's `Ping SEQ TIME`). */
  size?: number;
  /** TCP: give up connecting after this long (default 5s). */
  connectTimeoutMs?: number;
  /** Stops the run (Ctrl-C): no more probes, and the figures so far. */
  signal?: AbortSignal;
  onEvent?: (event: PingEvent) => void;
}

/** What happened during a run, as it happened. */
export type PingEvent =
  | { type: 'start'; host: string; port: number; transport: 'udp' | 'tcp'; bytes: number }
  | { type: 'reply' | 'duplicate' | 'late'; seq: number; bytes: number; rttMs: number }
  | { type: 'timeout'; seq: number }
  | { type: 'unreachable'; seq: number }
  | { type: 'unexpected'; text: string; bytes: number }
  /** The run ended before its count: the TCP server closed the connection, or a socket failed. */
  | { type: 'ended'; reason: string };

/** The figures of a run and each probe. */
export interface PingResult extends PingSummary {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  probes: PingProbe[];
  /** Why the run stopped before its count: `signal`, or what ended it (the server closed the connection). */
  stopped?: string;
}

/** The smallest `size` for a run of `count` probes: the longest header, that of the last probe. */
function minimumPingSize(count: number): number {
  return formatProbe(Math.max(1, count), wallClockMs() / 1000).length;
}

/** The run's settings with their defaults, checked (ChatError ERR_BAD_ARGUMENT or ERR_BAD_DURATION): what ping() checks first. */
export function checkPing(o: PingOptions): { count: number; intervalMs: number; timeoutMs: number; size: number } {
  const count = o.count ?? PING_DEFAULTS.count;
  const intervalMs = o.intervalMs ?? PING_DEFAULTS.intervalMs;
  const timeoutMs = o.timeoutMs ?? PING_DEFAULTS.timeoutMs;
  const size = o.size ?? 0;
  if (!Number.isInteger(count) || count < 0) throw new ChatError('ERR_BAD_ARGUMENT', `count must be a whole number from 0, got ${count}`);
  if (!(intervalMs > 0) || !(timeoutMs > 0)) throw new ChatError('ERR_BAD_DURATION', `interval and timeout must be more than 0, got ${intervalMs} and ${timeoutMs}`);
  if (size !== 0) {
    const least = minimumPingSize(count);
    if (!Number.isInteger(size) || size < least || size > MAX_PING_SIZE) {
      throw new ChatError('ERR_BAD_ARGUMENT', `size must be from ${least} (the header \`Ping ${Math.max(1, count)} TIME\`) to ${MAX_PING_SIZE} bytes, got ${size}`);
    }
  }
  return { count, intervalMs, timeoutMs, size };
}

/** Runs the pinger; rejects (before any probe) when the host does not resolve or a TCP connection is refused. */
export async function ping(options: PingOptions): Promise<PingResult> {
  const { count, intervalMs, timeoutMs, size } = checkPing(options);
  const transport = options.transport ?? 'udp';
  const emit = options.onEvent ?? (() => {});
  const connection = await openConnection({ host: options.host, port: options.port, transport, framing: 'line', ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}) });
  const tally = new PingTally();
  const timers = new Set<NodeJS.Timeout>();
  let stopped: string | undefined;
  emit({ type: 'start', host: options.host, port: options.port, transport, bytes: size || formatProbe(1, wallClockMs() / 1000).length });
  try {
    await new Promise<void>((resolve) => {
      let seq = 0;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        for (const timer of timers) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const finishIfDone = () => {
        if (seq === count && tally.outstanding === 0) finish();
      };
      const later = (ms: number, fn: () => void) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!done) fn();
        }, ms);
        timers.add(timer);
      };
      const onAbort = () => {
        stopped = 'signal';
        finish();
      };
      const end = (reason: string) => {
        if (done) return;
        stopped = reason;
        emit({ type: 'ended', reason });
        finish();
      };

      connection.on('line', (line) => {
        if (done) return;
        const verdict = tally.reply(line, Buffer.byteLength(line), performance.now());
        const { kind, ...rest } = verdict;
        emit({ type: kind, ...rest } as PingEvent);
        finishIfDone();
      });
      connection.on('error', (err) => {
        if (done) return;
        // On a connected UDP socket an ICMP port unreachable comes back as ECONNREFUSED: one probe's answer.
        if (transport === 'udp' && err.code === 'ERR_CONNECTION_REFUSED') {
          const refused = tally.refused();
          if (refused !== null) emit({ type: 'unreachable', seq: refused });
          finishIfDone();
        } else end(err.message);
      });
      connection.on('end', () => end(`${transport} ${connection.remote} closed the connection`));

      // UDP probes still timed, and when their time is up (in the order sent: deadlines rise).
      const deadlines = new Map<number, number>();
      const expire = (owed: number) => {
        deadlines.delete(owed);
        if (tally.timeout(owed)) emit({ type: 'timeout', seq: owed });
      };
      const start = performance.now();
      const probe = () => {
        seq += 1;
        const sent = seq;
        const due = start + (sent - 1) * intervalMs;
        // With -W equal to -i (the lab's 1s and 1s), a probe's time runs out as the next falls
        // due: report its timeout first, as ping(8) does, not after the next one's reply.
        for (const [owed, deadline] of deadlines) {
          if (deadline > due) break;
          expire(owed);
        }
        const payload = formatProbe(sent, wallClockMs() / 1000, size);
        const now = performance.now();
        tally.sent(sent, Buffer.byteLength(payload), now);
        connection.send(payload);
        if (transport === 'udp') {
          // The timeout runs from when the probe was due (it leaves a timer's lateness after),
          // or from when it left, if a stalled event loop sent it very late.
          const deadline = now - due > timeoutMs / 2 ? now + timeoutMs : due + timeoutMs;
          deadlines.set(sent, deadline);
          later(deadline - now, () => {
            expire(sent);
            finishIfDone();
          });
        }
        // Each probe at its own time from the start, so a late timer does not push the rest back.
        if (count === 0 || sent < count) later(Math.max(0, start + sent * intervalMs - performance.now()), probe);
        else if (transport === 'tcp') {
          later(timeoutMs * TCP_FINAL_WAIT_FACTOR, () => {
            for (const owed of tally.waitingSeqs()) expire(owed);
            finish();
          });
        }
      };

      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      probe();
    });
  } finally {
    await connection.close();
  }
  return { host: options.host, port: options.port, transport, ...tally.summary(), probes: tally.list(), ...(stopped ? { stopped } : {}) };
}
