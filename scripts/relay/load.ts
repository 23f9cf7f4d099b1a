/**
 * The load generator, in the forked child: a windowed closed loop. The sender sends bursts of B
 * messages, at most W bursts unfinished (W x B messages in flight), and sends the next burst when
 * the oldest has reached every receiver or its deadline has passed (a stall). Each message
 * carries its send time (performance.now(), the receivers are in the same process), so the
 * receivers measure delivery latency.
 */
import { quantile } from '../harness/report.js';
import { BURST_DEADLINE_MS, MARK, type LoadResult, type Shape } from './trial.js';

/** Where a load goes: how a burst leaves the sender, and where the receivers' messages come in. */
export interface LoadTarget {
  /** Sends messages from..end-1 as one burst. */
  sendBurst(from: number, end: number): void;
  /** Hands every message any receiver gets to onMessage; returns what stops that. */
  listen(onMessage: (msg: Buffer) => void): () => void;
}

/** One message: `bench SEQ TIME`. */
export function benchText(seq: number): string {
  return `${MARK}${seq} ${performance.now().toFixed(4)}`;
}

const MARK_BYTES = Buffer.from(MARK, 'latin1');

/**
 * Reads `bench SEQ TIME` (bare) or `<name> bench SEQ TIME\n` (udp-chat) from the bytes, with no
 * string made: at N=100 the child parses 100 datagrams per message sent, and its own CPU time
 * must stay below the relay's. False for anything else (notices, /pong). ncat's `<userFD> `
 * prefix has the chat line's shape.
 */
function parseBench(msg: Buffer, out: { seq: number; sentAt: number }): boolean {
  let i = 0;
  if (msg[0] === 0x3c) {
    // `<name> `: names hold no `>`.
    while (i < msg.length && msg[i] !== 0x3e) i++;
    i += 2;
  }
  for (let k = 0; k < MARK_BYTES.length; k++, i++) if (msg[i] !== MARK_BYTES[k]) return false;
  let seq = 0;
  let digits = 0;
  for (let c = msg[i]; c !== undefined && c >= 0x30 && c <= 0x39; c = msg[++i], digits++) seq = seq * 10 + (c - 0x30);
  if (digits === 0 || msg[i++] !== 0x20) return false;
  let whole = 0;
  let fraction = 0;
  let scale = 1;
  let dot = false;
  digits = 0;
  for (let c = msg[i]; c !== undefined && c !== 0x0a; c = msg[++i]) {
    if (c === 0x2e && !dot) dot = true;
    else if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (dot) {
        fraction = fraction * 10 + (c - 0x30);
        scale *= 10;
      } else whole = whole * 10 + (c - 0x30);
    } else return false;
  }
  if (digits === 0) return false;
  out.seq = seq;
  out.sentAt = whole + fraction / scale;
  return true;
}

/** Sends `count` messages through the relay in bursts and counts what the N receivers get. */
export async function load(target: LoadTarget, shape: Shape, onStart: () => void): Promise<LoadResult> {
  const { n, count, burst, window } = shape;
  const bursts = Math.ceil(count / burst);
  const perBurst = new Uint32Array(bursts);
  const latencies = new Float64Array(count * n);
  const expected = (b: number): number => Math.min(burst, count - b * burst) * n;
  let received = 0;
  let lastArrival = 0;
  let waiting: { b: number; wake: () => void } | null = null;

  const parsed = { seq: 0, sentAt: 0 };
  const onMessage = (msg: Buffer): void => {
    const now = performance.now();
    if (!parseBench(msg, parsed)) return;
    const b = Math.floor(parsed.seq / burst);
    if (!(b < bursts) || received >= latencies.length) return;
    latencies[received++] = now - parsed.sentAt;
    lastArrival = now;
    perBurst[b] = perBurst[b]! + 1;
    if (waiting && perBurst[waiting.b]! >= expected(waiting.b)) waiting.wake();
  };

  // Waits until burst b has fully arrived; false when the deadline came first.
  const settle = (b: number): Promise<boolean> => {
    if (perBurst[b]! >= expected(b)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting = null;
        resolve(false);
      }, BURST_DEADLINE_MS);
      waiting = {
        b,
        wake: () => {
          clearTimeout(timer);
          waiting = null;
          resolve(true);
        },
      };
    });
  };

  const unlisten = target.listen(onMessage);
  try {
    onStart();
    const cpu = process.cpuUsage();
    const start = performance.now();
    let stalls = 0;
    for (let b = 0; b < bursts; b++) {
      if (b >= window && !(await settle(b - window))) stalls += 1;
      target.sendBurst(b * burst, Math.min(count, (b + 1) * burst));
    }
    for (let b = Math.max(0, bursts - window); b < bursts; b++) if (!(await settle(b))) stalls += 1;
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const samples = latencies.subarray(0, received).sort();
    return {
      sent: count,
      received,
      elapsedMs: (received > 0 ? lastArrival : performance.now()) - start,
      p50Ms: quantile(samples, 0.5),
      p99Ms: quantile(samples, 0.99),
      stalls,
      harnessCpuPct: ((used.user + used.system) / 1000 / wallMs) * 100,
    };
  } finally {
    unlisten();
  }
}
