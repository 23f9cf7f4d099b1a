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
 * TCP (N = 10, 100): one TCP sender to N TCP receivers through three relays, same harness, same
 * measures, in alternating order:
 *   bare         a net relay of a few lines: each chunk read from a socket is written, as it is,
 *                to every other socket (with one sender, chunks keep its lines whole).
 *   udp-chat     startChatServer({ transport: 'tcp' }) with NO_LIMITS (so no queue cap either:
 *                no receiver is dropped as slow): each line is a message of the room.
 *   ncat --chat  ncat's chat broker, a C program (`ncat --chat -l -m 1000`; its default cap is
 *                100 connections). It prefixes each chunk it reads with `<userFD> `, announces
 *                joins with `<announce>` lines, and escapes non-printable bytes. It prefixes
 *                per read, not per line: a line split across two of its reads arrives damaged,
 *                and counts as lost here.
 * The sender writes each burst as one chunk of lines (`bench SEQ TIME\n`); receivers are in the
 * room when a `sync` line from the sender has reached every one of them. ncat runs as a child
 * process: its CPU is read from /proc/PID/schedstat (Linux; '-' elsewhere).
 *
 *   node dist/scripts/bench-relay.js [--quick] [--json] [--rounds R] [--burst B] [--n 1,10,100] [--relay bare|udp-chat|ncat] [--transport udp|tcp|both]
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NO_LIMITS } from '../src/core/limits.js';
import { startChatServer } from '../src/servers/chat-server.js';
import { groupCpuUs, have, killedOnExit, killGroup, median, quantile, table } from './report.js';

/** Which relay a trial measures. */
export type RelayKind = 'bare' | 'udp-chat';

/** Which relay a TCP trial measures: ncat brokers TCP only ("ncat refuses to broker UDP"). */
export type TcpRelayKind = RelayKind | 'ncat';

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
  relay: TcpRelayKind;
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
  relay: TcpRelayKind;
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
const TCP_RECEIVERS = [10, 100] as const;
/** The N at which udp-chat's TCP relay is to be ahead of ncat --chat. */
const TCP_TARGET_N = [10, 100] as const;
const SYNC_INTERVAL_MS = 50;
const STOP_GRACE_MS = 1000;

// ---------------------------------------------------------------------------------------------
// IPC between the relay process and the harness

type ToHarness =
  | { type: 'open'; n: number }
  | { type: 'run'; relay: RelayKind; port: number; count: number; burst: number }
  | { type: 'tcp-run'; relay: TcpRelayKind; port: number; n: number; count: number; burst: number };
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
// The TCP relays: bare and udp-chat in this process, ncat in a child of its own

interface TcpRelay extends Relay {
  /** CPU time the relay's process has used so far, in us; NaN when it cannot be read. */
  cpuUs(): number;
}

const ownCpuUs = (): number => {
  const used = process.cpuUsage();
  return used.user + used.system;
};

/** The TCP baseline: each chunk read from one socket goes, as the same buffer, to every other. */
async function startBareTcpRelay(): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const other of sockets) if (other !== socket) other.write(chunk);
    });
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cpuUs: ownCpuUs,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** udp-chat's room over TCP, every limit off (maxQueueBytes 0: no receiver is dropped as slow). */
async function startChatTcpRelay(): Promise<TcpRelay> {
  const server = await startChatServer({ transport: 'tcp', host: HOST, port: 0, limits: NO_LIMITS, open: true, peerTimeoutMs: 3_600_000 });
  return { port: server.port, cpuUs: ownCpuUs, close: () => server.close() };
}

/** Child relays still running: killed on any way out of this process (the harness child has none). */
const children = process.argv[2] === '--harness' ? new Set<ChildProcess>() : killedOnExit();

/**
 * True once ncat has accepted a connection and announced it. The probe waits for that
 * announcement and then closes gently: ncat quits altogether ("getpeername ... failed:
 * Transport endpoint is not connected. QUITTING.") when a connection is gone before it
 * accepts it.
 */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    const timer = setTimeout(() => done(false), 1000);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.end();
      resolve(ok);
    };
    socket.once('data', () => done(true));
    socket.on('error', () => done(false));
  });
}

/** ncat's chat broker on a free port, in its own process group, once it accepts connections. */
async function startNcatRelay(): Promise<TcpRelay> {
  const picker = net.createServer().listen(0, HOST);
  await once(picker, 'listening');
  const port = (picker.address() as AddressInfo).port;
  await new Promise<void>((resolve) => picker.close(() => resolve()));
  const child = spawn('ncat', ['--chat', '-l', '-m', '1000', HOST, String(port)], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  const exited = once(child, 'exit').catch(() => undefined);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.on('error', () => {});
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]);
    }
    killGroup(child, 'SIGKILL');
    children.delete(child);
  };
  const deadline = Date.now() + JOIN_DEADLINE_MS;
  while (!(await probe(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`ncat --chat did not start on port ${port}: ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, cpuUs: () => groupCpuUs(child.pid!), close: stop };
}

function startTcpRelay(relay: TcpRelayKind): Promise<TcpRelay> {
  return relay === 'bare' ? startBareTcpRelay() : relay === 'udp-chat' ? startChatTcpRelay() : startNcatRelay();
}

/** One TCP trial: the relay starts, the harness connects N receivers and a sender and loads it. */
async function runTcpTrial(child: ChildProcess, inbox: Inbox, relay: TcpRelayKind, n: number, count: number, burst: number, round: number): Promise<Trial> {
  const server = await startTcpRelay(relay);
  try {
    send(child, { type: 'tcp-run', relay, port: server.port, n, count, burst });
    await inbox.next('started', IPC_DEADLINE_MS + JOIN_DEADLINE_MS);
    const cpu = server.cpuUs();
    const start = performance.now();
    const { result } = await inbox.next('result', IPC_DEADLINE_MS + (count / burst) * BURST_DEADLINE_MS);
    const cpuUs = server.cpuUs() - cpu;
    const wallMs = performance.now() - start;
    return {
      ...result,
      relay,
      n,
      round,
      deliveriesPerSec: result.elapsedMs > 0 ? (result.received / result.elapsedMs) * 1000 : 0,
      relayCpuUsPerDelivery: result.received > 0 ? cpuUs / result.received : NaN,
      relayCpuPct: wallMs > 0 ? (cpuUs / 1000 / wallMs) * 100 : NaN,
    };
  } finally {
    await server.close();
  }
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

/** Where a load goes: how a burst leaves the sender, and where the receivers' messages come in. */
interface LoadTarget {
  n: number;
  /** Sends messages from..end-1 as one burst. */
  sendBurst(from: number, end: number): void;
  /** Hands every message any receiver gets to onMessage; returns what stops that. */
  listen(onMessage: (msg: Buffer) => void): () => void;
}

/** UDP: one datagram per message, and each datagram a receiver gets is one message. */
function udpTarget(open: HarnessSockets): LoadTarget {
  return {
    n: open.receivers.length,
    sendBurst(from, end) {
      for (let seq = from; seq < end; seq++) open.sender.send(`${MARK}${seq} ${performance.now().toFixed(4)}`);
    },
    listen(onMessage) {
      for (const socket of open.receivers) socket.on('message', onMessage);
      return () => {
        for (const socket of open.receivers) socket.off('message', onMessage);
      };
    },
  };
}

/**
 * Sends `count` messages through the relay in bursts and counts what the receivers get.
 * Each message is `bench SEQ TIME`; udp-chat delivers it as `<name> bench SEQ TIME\n`.
 */
async function load(target: LoadTarget, count: number, burst: number, onStart: () => void): Promise<LoadResult> {
  const n = target.n;
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
      if (b >= WINDOW && !(await settle(b - WINDOW))) stalls += 1;
      target.sendBurst(b * burst, Math.min(count, (b + 1) * burst));
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
    unlisten();
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
  if (msg.type === 'tcp-run') return handleTcp(msg);
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
    const result = await load(udpTarget(open), msg.count, msg.burst, () => process.send?.({ type: 'started' } satisfies FromHarness));
    return { type: 'result', result };
  } finally {
    await closeHarnessSockets();
  }
}

// The TCP harness: N receivers and a sender, each a connection to the relay.

const SYNC_BYTES = Buffer.from('sync', 'latin1');

/** Splits one connection's byte stream into lines (each with its \n), for one handler. */
class LineReader {
  onLine: (line: Buffer) => void = () => {};
  private rest: Buffer | null = null;

  push(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let start = 0;
    for (let lf = data.indexOf(0x0a); lf !== -1; lf = data.indexOf(0x0a, start)) {
      this.onLine(data.subarray(start, lf + 1));
      start = lf + 1;
    }
    // Copied: the chunk's memory is not ours to keep.
    if (start < data.length) this.rest = Buffer.from(data.subarray(start));
  }
}

interface TcpHarness {
  sender: net.Socket | null;
  receivers: { socket: net.Socket; lines: LineReader }[];
}

let tcpSockets: TcpHarness | null = null;

function closeTcpHarness(): void {
  const open = tcpSockets;
  tcpSockets = null;
  if (!open) return;
  open.sender?.destroy();
  for (const { socket } of open.receivers) socket.destroy();
}

function connectTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: HOST, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to port ${port} within ${JOIN_DEADLINE_MS} ms`));
    }, JOIN_DEADLINE_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      // After connect, an error (ECONNRESET at the end) is the close of a run, not a failure.
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Until every receiver has read a `sync` line relayed from the sender: then each one is in the
 * room (udp-chat joins a connection when it accepts it; ncat when it has announced it).
 */
function syncTcp(open: TcpHarness, sender: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = open.receivers.length;
    for (const r of open.receivers) {
      r.lines.onLine = (line) => {
        if (line.indexOf(SYNC_BYTES) === -1) return;
        r.lines.onLine = () => {};
        if (--waiting === 0) finish(null);
      };
    }
    const tick = setInterval(() => sender.write('sync\n'), SYNC_INTERVAL_MS);
    const timer = setTimeout(() => finish(new Error(`${waiting} of ${open.receivers.length} TCP receivers got no sync line within ${JOIN_DEADLINE_MS} ms`)), JOIN_DEADLINE_MS);
    const finish = (err: Error | null): void => {
      clearInterval(tick);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    sender.write('sync\n');
  });
}

/** TCP: a burst is one write of its lines; each line a receiver reads is one message. */
function tcpTarget(open: TcpHarness, sender: net.Socket): LoadTarget {
  return {
    n: open.receivers.length,
    sendBurst(from, end) {
      let text = '';
      for (let seq = from; seq < end; seq++) text += `${MARK}${seq} ${performance.now().toFixed(4)}\n`;
      sender.write(text);
    },
    listen(onMessage) {
      for (const r of open.receivers) r.lines.onLine = onMessage;
      return () => {
        for (const r of open.receivers) r.lines.onLine = () => {};
      };
    },
  };
}

async function handleTcp(msg: Extract<ToHarness, { type: 'tcp-run' }>): Promise<FromHarness> {
  closeTcpHarness();
  const open: TcpHarness = { sender: null, receivers: [] };
  tcpSockets = open;
  try {
    // One at a time, and with udp-chat and ncat each only once the relay has greeted it (a
    // welcome, an announcement): connecting faster than the relay accepts overflows its listen
    // backlog (ncat's is small), and a dropped SYN is retried only after a second.
    for (let i = 0; i < msg.n; i++) {
      const socket = await connectTcp(msg.port);
      const lines = new LineReader();
      const greeted = msg.relay === 'bare' ? null : once(socket, 'data', { signal: AbortSignal.timeout(JOIN_DEADLINE_MS) });
      socket.on('data', (chunk: Buffer) => lines.push(chunk));
      open.receivers.push({ socket, lines });
      await greeted;
    }
    const sender = (open.sender = await connectTcp(msg.port));
    // What the relay sends the sender (notices, ncat's announcements) is read and dropped.
    sender.on('data', () => {});
    await syncTcp(open, sender);
    const result = await load(tcpTarget(open, sender), msg.count, msg.burst, () => process.send?.({ type: 'started' } satisfies FromHarness));
    return { type: 'result', result };
  } finally {
    closeTcpHarness();
  }
}

function harness(): void {
  // One request at a time, in order: the parent waits for each answer before the next.
  let chain = Promise.resolve();
  let busy = false;
  process.on('message', (msg: unknown) => {
    if (!isMessage<ToHarness>(msg)) return;
    chain = chain.then(async () => {
      let reply: FromHarness | null;
      busy = true;
      try {
        reply = await handle(msg);
      } catch (err) {
        reply = { type: 'error', message: (err as Error).message };
      } finally {
        busy = false;
      }
      if (reply && process.connected) process.send?.(reply);
    });
  });
  // The parent's disconnect is the end of the run: close what is open and let the loop drain.
  process.on('disconnect', () => {
    if (!busy) {
      chain = chain.then(closeHarnessSockets).then(closeTcpHarness);
      return;
    }
    // The parent went in the middle of a trial (interrupted): the load has nobody to report to
    // and would wait out each burst's deadline, so it ends here.
    closeTcpHarness();
    void closeHarnessSockets().finally(() => process.exit(1));
  });
}

// ---------------------------------------------------------------------------------------------
// The report

/** Folds every round of one relay at one N into one row. */
function summarize(trials: readonly Trial[], n: number, relay: TcpRelayKind, baseline?: RelaySummary): RelaySummary {
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

function render(summaries: readonly RelaySummary[]): string {
  return table(
    ['N', 'relay', 'deliveries/s', 'vs bare', 'p50 ms', 'p99 ms', 'loss', 'relay cpu us/dlv', 'relay cpu', 'harness cpu'],
    summaries.map((s) => [
      String(s.n),
      s.relay === 'ncat' ? 'ncat --chat' : s.relay,
      Math.round(s.deliveriesPerSec).toLocaleString('en-US'),
      Number.isNaN(s.ratio) ? '-' : `${s.ratio.toFixed(2)}x`,
      s.p50Ms.toFixed(3),
      s.p99Ms.toFixed(3),
      String(s.loss),
      Number.isNaN(s.relayCpuUsPerDelivery) ? '-' : s.relayCpuUsPerDelivery.toFixed(2),
      Number.isNaN(s.relayCpuPct) ? '-' : `${Math.round(s.relayCpuPct)}%`,
      `${Math.round(s.harnessCpuPct)}%`,
    ]),
  );
}

interface Options {
  quick: boolean;
  json: boolean;
  rounds: number;
  /** TCP rounds: --rounds, else 3 (2 with --quick), to keep the default run of both near 90 s. */
  tcpRounds: number;
  burst: number | null;
  receivers: number[];
  /** Receiver counts for TCP: 10 and 100 unless --n says otherwise. */
  tcpReceivers: number[];
  relays: TcpRelayKind[];
  transports: ('udp' | 'tcp')[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    json: false,
    rounds: 0,
    tcpRounds: 0,
    burst: null,
    receivers: [...RECEIVERS],
    tcpReceivers: [...TCP_RECEIVERS],
    relays: ['bare', 'udp-chat', 'ncat'],
    transports: ['udp', 'tcp'],
  };
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
      options.tcpReceivers = options.receivers;
    } else if (arg === '--relay') {
      // One relay alone, for a profile of it (node --cpu-prof); there is no ratio then.
      const relay = argv[++i];
      if (relay !== 'bare' && relay !== 'udp-chat' && relay !== 'ncat') throw new Error('--relay takes bare, udp-chat or ncat (TCP only)');
      options.relays = [relay];
    } else if (arg === '--transport') {
      const transport = argv[++i];
      if (transport !== 'udp' && transport !== 'tcp' && transport !== 'both') throw new Error('--transport takes udp, tcp or both');
      options.transports = transport === 'both' ? ['udp', 'tcp'] : [transport];
    } else throw new Error(`unknown argument ${arg}; use --quick, --json, --rounds R, --burst B, --n 1,10,100, --relay bare|udp-chat|ncat, --transport udp|tcp|both`);
  }
  options.tcpRounds = options.rounds || (options.quick ? 2 : 3);
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
  const udpRelays = options.transports.includes('udp') ? options.relays.filter((r): r is RelayKind => r !== 'ncat') : [];
  const notes: string[] = [];
  let tcpRelays = options.transports.includes('tcp') ? options.relays : [];
  if (tcpRelays.includes('ncat') && !have('ncat')) {
    notes.push('ncat is not installed (Debian: apt-get install ncat): ncat --chat left out');
    tcpRelays = tcpRelays.filter((r) => r !== 'ncat');
  }
  const child = fork(fileURLToPath(import.meta.url), ['--harness'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = new Inbox(child);
  const exited = once(child, 'exit');
  const trials: Trial[] = [];
  const tcpTrials: Trial[] = [];
  try {
    if (udpRelays.length > 0) {
      for (const n of options.receivers) {
        const count = Math.max(100, Math.round(messagesFor(n) / (options.quick ? QUICK_DIVISOR : 1)));
        const burst = burstFor(n, options.burst);
        // A short unrecorded pass of each relay first, so neither is measured while still cold.
        if (!options.quick) for (const relay of udpRelays) await runTrial(child, inbox, relay, n, Math.round(count / 5), burst, -1);
        for (let round = 0; round < options.rounds; round++) {
          const order = round % 2 === 0 ? udpRelays : [...udpRelays].reverse();
          for (const relay of order) trials.push(await runTrial(child, inbox, relay, n, count, burst, round));
        }
      }
    }
    for (const n of tcpRelays.length > 0 ? options.tcpReceivers : []) {
      const count = Math.max(100, Math.round(messagesFor(n) / (options.quick ? QUICK_DIVISOR : 1)));
      const burst = burstFor(n, options.burst);
      if (!options.quick) for (const relay of tcpRelays) await runTcpTrial(child, inbox, relay, n, Math.round(count / 5), burst, -1);
      for (let round = 0; round < options.tcpRounds; round++) {
        const order = round % 2 === 0 ? tcpRelays : [...tcpRelays].reverse();
        for (const relay of order) tcpTrials.push(await runTcpTrial(child, inbox, relay, n, count, burst, round));
      }
    }
  } finally {
    for (const relay of children) killGroup(relay, 'SIGKILL');
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }

  const summaries: RelaySummary[] = [];
  for (const n of udpRelays.length > 0 ? options.receivers : []) {
    const bare = udpRelays.includes('bare') ? summarize(trials, n, 'bare') : undefined;
    if (bare) summaries.push(bare);
    if (udpRelays.includes('udp-chat')) summaries.push(summarize(trials, n, 'udp-chat', bare));
  }
  const tcpSummaries: RelaySummary[] = [];
  for (const n of tcpRelays.length > 0 ? options.tcpReceivers : []) {
    const bare = tcpRelays.includes('bare') ? summarize(tcpTrials, n, 'bare') : undefined;
    if (bare) tcpSummaries.push(bare);
    for (const relay of tcpRelays) if (relay !== 'bare') tcpSummaries.push(summarize(tcpTrials, n, relay, bare));
  }
  const target = verdict(summaries);
  const tcpTarget = tcpVerdict(tcpSummaries, notes);
  if (options.json) {
    const tcp = tcpRelays.length > 0 ? { tcp: { receivers: options.tcpReceivers, rounds: options.tcpRounds, summaries: tcpSummaries, trials: tcpTrials, target: tcpTarget, notes } } : {};
    process.stdout.write(`${JSON.stringify({ quick: options.quick, rounds: options.rounds, summaries, trials, target, ...tcp }, null, 2)}\n`);
    return;
  }
  const footer = (rounds: number): string =>
    `medians of ${rounds} rounds (alternating order); loss = sent*N - received over all rounds; ` + `relay cpu us/dlv = relay process CPU time per delivery\n`;
  let out = '';
  if (udpRelays.length > 0) out += `${render(summaries)}\n\n${footer(options.rounds)}${target.line}\n`;
  if (tcpRelays.length > 0) {
    out +=
      `${out ? '\n' : ''}TCP: one TCP sender to N TCP receivers\n${render(tcpSummaries)}\n\n${footer(options.tcpRounds)}` +
      `ncat --chat runs in a child process (relay cpu from /proc/PID/schedstat); bare and udp-chat in this one; ` +
      `a burst is one write of its lines\n` +
      notes.map((note) => `note: ${note}\n`).join('') +
      `${tcpTarget.line}\n`;
  }
  process.stdout.write(out);
}

/** The TCP target: udp-chat's relay ahead of ncat --chat in deliveries/s at N=10 and N=100. */
function tcpVerdict(summaries: readonly RelaySummary[], notes: readonly string[]): { ns: number[]; ratios: (number | null)[]; cpuRatios: (number | null)[]; pass: boolean | null; line: string } {
  const ns = [...TCP_TARGET_N];
  const pick = (n: number, relay: TcpRelayKind) => summaries.find((s) => s.n === n && s.relay === relay);
  const ratios = ns.map((n) => {
    const chat = pick(n, 'udp-chat');
    const ncat = pick(n, 'ncat');
    return chat && ncat ? chat.deliveriesPerSec / ncat.deliveriesPerSec : null;
  });
  const cpuRatios = ns.map((n) => {
    const chat = pick(n, 'udp-chat');
    const ncat = pick(n, 'ncat');
    const r = chat && ncat ? chat.relayCpuUsPerDelivery / ncat.relayCpuUsPerDelivery : NaN;
    return Number.isNaN(r) ? null : r;
  });
  const pass = ratios.some((r) => r === null) ? null : ratios.every((r) => r! > 1);
  const label = `target: TCP relay at ${ns.map((n) => `N=${n}`).join(' and ')}: udp-chat ahead of ncat --chat`;
  if (pass === null) return { ns, ratios, cpuRatios, pass, line: `${label}: not measured in this run${notes.length ? ` (${notes[0]})` : ''}` };
  const detail = ns.map((n, i) => `N=${n} ${ratios[i]!.toFixed(2)}x`).join(', ');
  const cpu = cpuRatios.every((r) => r !== null) ? `; relay CPU per delivery ${cpuRatios.map((r) => `${r!.toFixed(2)}x`).join(', ')} ncat's` : '';
  return { ns, ratios, cpuRatios, pass, line: `${label}: ${pass ? 'PASS' : 'MISS'} (deliveries/s ${detail}${cpu})` };
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
else {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
