/**
 * Relay throughput: one sender, N receivers (N = 1, 10, 100), all on 127.0.0.1.
 *
 * Two relays are measured under one harness in the same run, in alternating order:
 *   bare      a dgram relay of a few lines: each datagram from the sender goes, as the same
 *             buffer, to every receiver in a fixed array. The most any Node relay can do.
 *   udp-chat  startChatServer() with NO_LIMITS: the receivers and the sender join the room with
 *             `/ping`, and each chat line is parsed, escaped, re-encoded as `<name> TEXT\n`
 *             and broadcast.
 * The baseline turns an absolute number (machine-dependent) into a ratio that says what the
 * room costs on top of the sockets themselves.
 *
 * The relay under test runs in this process; the sender and receivers run in a forked child
 * (this script with `--harness`), so on a 2-core machine they do not take the relay's CPU.
 * The sender is a windowed closed loop: bursts of B messages, at most WINDOW bursts in flight,
 * so the relay stays loaded while the kernel queues stay far below overflow. Loss is reported
 * anyway. Each message carries its send time (performance.now(), same process as the
 * receivers) so the receivers measure delivery latency.
 *
 * Reported per N and relay: deliveries/s (datagrams received by all receivers / elapsed, the
 * median over rounds), the ratio udp-chat/bare, latency p50 and p99 (medians over rounds; under
 * load, so they include the wait behind the window's own queue), loss (sent*N - received,
 * summed), and each process's CPU use. When the harness is near 100% of a core and the relay
 * is not, the harness was the bottleneck and deliveries/s cannot tell the relays apart: the
 * relay's CPU time per delivery still can. Other load on the machine shows as both below 100%.
 *
 *   node dist/scripts/bench-relay.js [--quick] [--json] [--rounds R] [--burst B] [--n 1,10,100] [--relay bare|udp-chat]
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { NO_LIMITS } from '../src/core/limits.js';
import { startChatServer } from '../src/servers/chat-server.js';

/** Which relay a trial measures. */
export type RelayKind = 'bare' | 'udp-chat';

/** What the harness measured in one trial. */
export interface LoadResult {
  sent: number;
  received: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Bursts whose deliveries did not all arrive before the deadline. */
  stalls: number;
  /** The harness process's CPU use during the load, in percent of one core. */
  harnessCpuPct: number;
}

/** One trial: a relay, a receiver count, and what was measured. */
export interface Trial extends LoadResult {
  relay: RelayKind;
  n: number;
  round: number;
  deliveriesPerSec: number;
  /** The relay process's CPU time per delivery, in microseconds. */
  relayCpuUsPerDelivery: number;
  /** The relay process's CPU use during the load, in percent of one core. */
  relayCpuPct: number;
}

/** The summary of every round of one relay at one N. */
export interface RelaySummary {
  n: number;
  relay: RelayKind;
  messages: number;
  deliveriesPerSec: number;
  ratio: number;
  p50Ms: number;
  p99Ms: number;
  loss: number;
  stalls: number;
  relayCpuUsPerDelivery: number;
  relayCpuPct: number;
  harnessCpuPct: number;
  rounds: number[];
}

const HOST = '127.0.0.1';
const RECEIVERS = [1, 10, 100] as const;
/** Messages per trial at each N: the deliveries (messages x N) stay within a few hundred thousand. */
const MESSAGES: Readonly<Record<number, number>> = { 1: 40_000, 10: 12_000, 100: 2_000 };
const QUICK_DIVISOR = 20;
/** Bursts in flight: one being relayed while the next is queued keeps the relay busy. */
const WINDOW = 2;
/** How long a burst may take to arrive in full before the sender counts a stall and goes on. */
const BURST_DEADLINE_MS = 250;
const JOIN_DEADLINE_MS = 3000;
const IPC_DEADLINE_MS = 10_000;
const RECV_BUFFER = 1 << 20;
const MARK = 'bench ';
const TARGET_N = 100;
const TARGET_RATIO = 0.9;

// ---------------------------------------------------------------------------------------------
// IPC between the relay process and the harness

type ToHarness = { type: 'open'; n: number } | { type: 'run'; relay: RelayKind; port: number; count: number; burst: number };
type FromHarness =
  | { type: 'opened'; receivers: number[]; sender: number }
  | { type: 'started' }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

function isMessage<T extends { type: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Messages from a child, read in order, each wait with a deadline. */
class Inbox {
  private readonly queue: FromHarness[] = [];
  private wake: (() => void) | null = null;
  private ended: Error | null = null;

  constructor(child: ChildProcess) {
    child.on('message', (msg: unknown) => {
      if (isMessage<FromHarness>(msg)) this.queue.push(msg);
      this.wake?.();
    });
    child.on('exit', (code, signal) => {
      this.ended = new Error(`harness exited early (code ${code}, signal ${signal})`);
      this.wake?.();
    });
  }

  /** The next message, which must be of this type; an `error` message from the child rejects. */
  async next<K extends FromHarness['type']>(type: K, ms = IPC_DEADLINE_MS): Promise<Extract<FromHarness, { type: K }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const msg = this.queue.shift();
      if (msg) {
        if (msg.type === 'error') throw new Error(`harness: ${msg.message}`);
        if (msg.type !== type) throw new Error(`harness sent '${msg.type}', expected '${type}'`);
        return msg as Extract<FromHarness, { type: K }>;
      }
      if (this.ended) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${type}' from the harness within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The relays (this process)

interface Relay {
  port: number;
  close(): Promise<void>;
}

/** A UDP socket bound to 127.0.0.1 on a free port; send errors are ignored, never fatal. */
async function bindSocket(recvBufferSize?: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize });
  socket.bind(0, HOST);
  try {
    // once() rejects if 'error' (EADDRINUSE and the like) comes first.
    await once(socket, 'listening');
  } catch (err) {
    await closeSocket(socket);
    throw err;
  }
  // After bind, an 'error' is one failed send; without a listener Node would end the process.
  socket.on('error', () => {});
  return socket;
}

/** Closes a socket, tolerating one already closed. */
function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** The baseline: every datagram from the sender, as the same buffer, to every receiver. */
async function startBareRelay(receivers: readonly number[], senderPort: number): Promise<Relay> {
  const targets = receivers.map((port) => ({ port, address: HOST }));
  // The default receive buffer, as udp-chat's socket has (the server does not expose it to set).
  const socket = await bindSocket();
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port !== senderPort) return;
    for (const target of targets) socket.send(msg, target.port, target.address);
  });
  return { port: socket.address().port, close: () => closeSocket(socket) };
}

/**
 * udp-chat's server with every limit off (the per-peer message rate alone would hold the sender
 * to 10 a second) and no expiry during a run. Open: on loopback no source can be forged, so
 * peers join with their first datagram, as the default for 127.0.0.1 is anyway.
 */
async function startChatRelay(): Promise<Relay> {
  const server = await startChatServer({ host: HOST, port: 0, limits: NO_LIMITS, open: true, peerTimeoutMs: 3_600_000 });
  return { port: server.port, close: () => server.close() };
}

/** Runs one trial: the harness opens its sockets, the relay starts, the harness loads it. */
async function runTrial(child: ChildProcess, inbox: Inbox, relay: RelayKind, n: number, count: number, burst: number, round: number): Promise<Trial> {
  send(child, { type: 'open', n });
  const opened = await inbox.next('opened');
  const server = relay === 'bare' ? await startBareRelay(opened.receivers, opened.sender) : await startChatRelay();
  try {
    send(child, { type: 'run', relay, port: server.port, count, burst });
    await inbox.next('started', IPC_DEADLINE_MS + JOIN_DEADLINE_MS);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const { result } = await inbox.next('result', IPC_DEADLINE_MS + (count / burst) * BURST_DEADLINE_MS);
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - start;
    const cpuUs = used.user + used.system;
    return {
      ...result,
      relay,
      n,
      round,
      deliveriesPerSec: result.elapsedMs > 0 ? (result.received / result.elapsedMs) * 1000 : 0,
      relayCpuUsPerDelivery: result.received > 0 ? cpuUs / result.received : 0,
      relayCpuPct: wallMs > 0 ? (cpuUs / 1000 / wallMs) * 100 : 0,
    };
  } finally {
    await server.close();
  }
}

function send(child: ChildProcess, msg: ToHarness): void {
  child.send(msg);
}

// ---------------------------------------------------------------------------------------------
// The harness (the forked child): sender and receivers

interface HarnessSockets {
  sender: dgram.Socket;
  receivers: dgram.Socket[];
}

let sockets: HarnessSockets | null = null;

async function closeHarnessSockets(): Promise<void> {
  const open = sockets;
  sockets = null;
  if (open) await Promise.all([open.sender, ...open.receivers].map(closeSocket));
}

/** Sends `/ping TOKEN` until `/pong TOKEN` comes back: the peer has then joined the room. */
function join(socket: dgram.Socket, sendLine: (line: string) => void, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const expected = `/pong ${token}\n`;
    // A lost /ping (or /pong) is only retried, never fatal, until the deadline.
    const retry = setInterval(() => sendLine(`/ping ${token}`), 200);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no '/pong ${token}' within ${JOIN_DEADLINE_MS} ms`));
    }, JOIN_DEADLINE_MS);
    const onMessage = (msg: Buffer): void => {
      if (msg.toString('latin1') === expected) {
        done();
        resolve();
      }
    };
    const done = (): void => {
      clearInterval(retry);
      clearTimeout(timer);
      socket.off('message', onMessage);
    };
    socket.on('message', onMessage);
    sendLine(`/ping ${token}`);
  });
}

const MARK_BYTES = Buffer.from(MARK, 'latin1');

/**
 * Reads `bench SEQ TIME` (bare) or `<name> bench SEQ TIME\n` (udp-chat) from the bytes, with no
 * string made: at N=100 the harness parses 100 datagrams per message sent, and its own CPU
 * time must stay below the relay's. False for anything else (notices, /pong).
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

/** The value at fraction q of sorted samples. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Sends `count` messages through the relay in bursts and counts what the receivers get.
 * Each message is `bench SEQ TIME`; udp-chat delivers it as `<name> bench SEQ TIME\n`.
 */
async function load(open: HarnessSockets, count: number, burst: number, onStart: () => void): Promise<LoadResult> {
  const n = open.receivers.length;
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

  for (const socket of open.receivers) socket.on('message', onMessage);
  try {
    onStart();
    const cpu = process.cpuUsage();
    const start = performance.now();
    let stalls = 0;
    for (let b = 0; b < bursts; b++) {
      if (b >= WINDOW && !(await settle(b - WINDOW))) stalls += 1;
      const end = Math.min(count, (b + 1) * burst);
      for (let seq = b * burst; seq < end; seq++) open.sender.send(`${MARK}${seq} ${performance.now().toFixed(4)}`);
    }
    for (let b = Math.max(0, bursts - WINDOW); b < bursts; b++) if (!(await settle(b))) stalls += 1;
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
    for (const socket of open.receivers) socket.off('message', onMessage);
  }
}

async function handle(msg: ToHarness): Promise<FromHarness | null> {
  if (msg.type === 'open') {
    await closeHarnessSockets();
    const receivers = await Promise.all(Array.from({ length: msg.n }, () => bindSocket(RECV_BUFFER)));
    const sender = await bindSocket(RECV_BUFFER);
    sockets = { sender, receivers };
    return { type: 'opened', receivers: receivers.map((s) => s.address().port), sender: sender.address().port };
  }
  const open = sockets;
  if (!open) throw new Error('run before open');
  try {
    const { sender, receivers } = open;
    sender.connect(msg.port, HOST);
    await once(sender, 'connect');
    if (msg.relay === 'udp-chat') {
      // Receivers first, then the sender; the room does not echo the sender's lines back.
      await Promise.all(receivers.map((socket, i) => join(socket, (line) => socket.send(line, msg.port, HOST), `r${i}`)));
      await join(sender, (line) => sender.send(line), 'sender');
    }
    const result = await load(open, msg.count, msg.burst, () => process.send?.({ type: 'started' } satisfies FromHarness));
    return { type: 'result', result };
  } finally {
    await closeHarnessSockets();
  }
}

function harness(): void {
  // One request at a time, in order: the parent waits for each answer before the next.
  let chain = Promise.resolve();
  process.on('message', (msg: unknown) => {
    if (!isMessage<ToHarness>(msg)) return;
    chain = chain.then(async () => {
      let reply: FromHarness | null;
      try {
        reply = await handle(msg);
      } catch (err) {
        reply = { type: 'error', message: (err as Error).message };
      }
      if (reply) process.send?.(reply);
    });
  });
  // The parent's disconnect is the end of the run: close what is open and let the loop drain.
  process.on('disconnect', () => {
    chain = chain.then(closeHarnessSockets);
  });
}

// ---------------------------------------------------------------------------------------------
// The report

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Folds every round of one relay at one N into one row. */
function summarize(trials: readonly Trial[], n: number, relay: RelayKind, baseline?: RelaySummary): RelaySummary {
  const mine = trials.filter((t) => t.n === n && t.relay === relay);
  const rate = median(mine.map((t) => t.deliveriesPerSec));
  return {
    n,
    relay,
    messages: mine[0]?.sent ?? 0,
    deliveriesPerSec: rate,
    ratio: baseline ? rate / baseline.deliveriesPerSec : relay === 'bare' ? 1 : NaN,
    p50Ms: median(mine.map((t) => t.p50Ms)),
    p99Ms: median(mine.map((t) => t.p99Ms)),
    loss: mine.reduce((sum, t) => sum + t.sent * n - t.received, 0),
    stalls: mine.reduce((sum, t) => sum + t.stalls, 0),
    relayCpuUsPerDelivery: median(mine.map((t) => t.relayCpuUsPerDelivery)),
    relayCpuPct: median(mine.map((t) => t.relayCpuPct)),
    harnessCpuPct: median(mine.map((t) => t.harnessCpuPct)),
    rounds: mine.map((t) => Math.round(t.deliveriesPerSec)),
  };
}

/** Formats rows as a left-aligned text table. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function render(summaries: readonly RelaySummary[]): string {
  return table(
    ['N', 'relay', 'deliveries/s', 'vs bare', 'p50 ms', 'p99 ms', 'loss', 'relay cpu us/dlv', 'relay cpu', 'harness cpu'],
    summaries.map((s) => [
      String(s.n),
      s.relay,
      Math.round(s.deliveriesPerSec).toLocaleString('en-US'),
      Number.isNaN(s.ratio) ? '-' : `${s.ratio.toFixed(2)}x`,
      s.p50Ms.toFixed(3),
      s.p99Ms.toFixed(3),
      String(s.loss),
      s.relayCpuUsPerDelivery.toFixed(2),
      `${Math.round(s.relayCpuPct)}%`,
      `${Math.round(s.harnessCpuPct)}%`,
    ]),
  );
}

interface Options {
  quick: boolean;
  json: boolean;
  rounds: number;
  burst: number | null;
  receivers: number[];
  relays: RelayKind[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { quick: false, json: false, rounds: 0, burst: null, receivers: [...RECEIVERS], relays: ['bare', 'udp-chat'] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--rounds' || arg === '--burst') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} takes a positive integer`);
      if (arg === '--rounds') options.rounds = value;
      else options.burst = value;
    } else if (arg === '--n') {
      options.receivers = String(argv[++i]).split(',').map(Number);
      if (!options.receivers.every((n) => Number.isInteger(n) && n >= 1 && n <= 1000)) throw new Error('--n takes receiver counts from 1 to 1000, as 1,10,100');
    } else if (arg === '--relay') {
      // One relay alone, for a profile of it (node --cpu-prof); there is no ratio then.
      const relay = argv[++i];
      if (relay !== 'bare' && relay !== 'udp-chat') throw new Error('--relay takes bare or udp-chat');
      options.relays = [relay];
    } else throw new Error(`unknown argument ${arg}; use --quick, --json, --rounds R, --burst B, --n 1,10,100, --relay bare|udp-chat`);
  }
  options.rounds ||= options.quick ? 2 : 4;
  return options;
}

/** Messages per trial at N receivers: the listed counts, or about 200,000 deliveries. */
function messagesFor(n: number): number {
  return MESSAGES[n] ?? Math.max(1000, Math.round(200_000 / n));
}

/** Messages per burst: about 2000 deliveries, at most 64 (two bursts in flight must fit the relay's default receive buffer). */
function burstFor(n: number, fixed: number | null): number {
  return fixed ?? Math.max(8, Math.min(64, Math.round(2000 / n)));
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const child = fork(fileURLToPath(import.meta.url), ['--harness'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = new Inbox(child);
  const exited = once(child, 'exit');
  const trials: Trial[] = [];
  try {
    for (const n of options.receivers) {
      const count = Math.max(100, Math.round(messagesFor(n) / (options.quick ? QUICK_DIVISOR : 1)));
      const burst = burstFor(n, options.burst);
      // A short unrecorded pass of each relay first, so neither is measured while still cold.
      if (!options.quick) for (const relay of options.relays) await runTrial(child, inbox, relay, n, Math.round(count / 5), burst, -1);
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? options.relays : [...options.relays].reverse();
        for (const relay of order) trials.push(await runTrial(child, inbox, relay, n, count, burst, round));
      }
    }
  } finally {
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }

  const summaries: RelaySummary[] = [];
  for (const n of options.receivers) {
    const bare = options.relays.includes('bare') ? summarize(trials, n, 'bare') : undefined;
    if (bare) summaries.push(bare);
    if (options.relays.includes('udp-chat')) summaries.push(summarize(trials, n, 'udp-chat', bare));
  }
  const target = verdict(summaries);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ quick: options.quick, rounds: options.rounds, summaries, trials, target }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${render(summaries)}\n\n` +
      `medians of ${options.rounds} rounds (alternating order); loss = sent*N - received over all rounds; ` +
      `relay cpu us/dlv = relay process CPU time per delivery\n${target.line}\n`,
  );
}

/** The informational target: at N=100, udp-chat relays at least 0.9x what the bare relay does. */
function verdict(summaries: readonly RelaySummary[]): { n: number; ratio: number; measured: number | null; pass: boolean | null; line: string } {
  const chat = summaries.find((s) => s.n === TARGET_N && s.relay === 'udp-chat');
  const bare = summaries.find((s) => s.n === TARGET_N && s.relay === 'bare');
  const measured = chat && bare ? chat.ratio : null;
  const pass = measured === null ? null : measured >= TARGET_RATIO;
  const result = pass === null ? 'not measured in this run' : `${pass ? 'PASS' : 'MISS'} (${measured!.toFixed(2)}x)`;
  return { n: TARGET_N, ratio: TARGET_RATIO, measured, pass, line: `target: at N=${TARGET_N} udp-chat >= ${TARGET_RATIO}x bare relay deliveries/s: ${result}` };
}

if (process.argv[2] === '--harness') harness();
else
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
