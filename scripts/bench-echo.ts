/**
 * Echo throughput and round-trip time, UDP and TCP, all on 127.0.0.1, against the bare Node
 * echo and the echo servers people already run, side by side in the same run:
 *
 *   udp  bare            this script forked with `--serve udp`: a dgram socket that sends each
 *                        datagram back to its sender. The most any Node UDP echo can do.
 *   udp  udp-chat        `udp-chat echo --transport udp --quiet` (the built CLI). Its per-source
 *                        rate limit is off on loopback; the script checks its counters for that.
 *   udp  socat           `socat UDP4-LISTEN:P,fork PIPE`: what socat users run (one child per
 *                        peer, so one process serves our one client).
 *   udp  socat-dgram     `socat UDP4-RECVFROM:P,fork PIPE`: a child forked per datagram.
 *   udp  ncat            `ncat -u -l -k -e /bin/cat`: one ncat child and a cat per peer.
 *   tcp  bare            this script forked with `--serve tcp`: socket.pipe(socket).
 *   tcp  udp-chat        `udp-chat echo --transport tcp --quiet`.
 *   tcp  socat           `socat TCP4-LISTEN:P,fork PIPE`.
 *   tcp  ncat            `ncat -l -k -e /bin/cat`.
 * socat and ncat rows appear when the binaries are installed (Debian: `socat`, `ncat`).
 *
 * Every server runs in its own process (group), started fresh for each trial, so the load
 * generator here does not share its CPU. One trial: connect (UDP: a connected socket, probing
 * until the first answer; TCP: connecting until accepted), warm up, then
 *   RTT         one 64-byte message at a time, N times: p50 and p99 of the round trip, in us.
 *   throughput  a closed loop for a fixed time: W messages of 64 bytes outstanding (UDP: W
 *               datagrams; a datagram unanswered for 200 ms counts as lost and is replaced;
 *               TCP: a stream of 64-byte lines, W of them in flight). messages/s is what came
 *               back per second, each message counted once; MB/s is that times 64 bytes.
 *               socat's and ncat's UDP answers may merge several messages into one datagram
 *               (their pipe reads whatever is there): messages are counted by bytes.
 * Alongside: the server's CPU time per echoed message (utime+stime of its process group from
 * /proc, Linux only), its CPU use and the load generator's, in percent of one core. When the
 * generator is near 100% and the server is not, the generator was the bottleneck and msgs/s
 * cannot tell the servers apart: CPU per message still can. Other load on the machine shows as
 * both below 100%. The servers run in alternating order over the rounds; figures are medians.
 *
 *   node dist/scripts/bench-echo.js [--quick] [--json] [--rounds R] [--duration MS] [--window W] [--pings N] [--transport udp|tcp|both] [--servers bare,udp-chat,...]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupCpuUs, have, killedOnExit, killGroup, median, quantile, table } from './report.js';

/** The transports an echo is measured on. */
export type Transport = 'udp' | 'tcp';

/** Which echo server a trial measures. */
export type EchoKind = 'bare' | 'udp-chat' | 'socat' | 'socat-dgram' | 'ncat';

/** What one trial measured. */
export interface EchoTrial {
  transport: Transport;
  server: EchoKind;
  round: number;
  messagesPerSec: number;
  mbPerSec: number;
  rttP50Us: number;
  rttP99Us: number;
  /** UDP: throughput datagrams unanswered within the stall deadline, and RTT pings unanswered. */
  lost: number;
  /** UDP: messages per answer datagram in the throughput phase (above 1: the server merged datagrams); TCP: NaN. */
  perAnswer: number;
  /** The server's CPU time per echoed message during the throughput phase, in us (NaN without /proc). */
  serverCpuUsPerMsg: number;
  /** The server's CPU use during the throughput phase, in percent of one core. */
  serverCpuPct: number;
  /** This process's CPU use during the throughput phase, in percent of one core. */
  clientCpuPct: number;
  /** udp-chat: datagrams its echo rate-limited, from the counters it prints when it stops (null: not printed, or another server). */
  rateLimited: number | null;
}

/** Every round of one server on one transport, folded into one row. */
export interface EchoSummary {
  transport: Transport;
  server: EchoKind;
  command: string;
  messagesPerSec: number;
  mbPerSec: number;
  /** messages/s over the bare echo's on the same transport. */
  ratio: number;
  rttP50Us: number;
  rttP99Us: number;
  lost: number;
  perAnswer: number;
  serverCpuUsPerMsg: number;
  /** CPU per message over the bare echo's. */
  cpuRatio: number;
  serverCpuPct: number;
  clientCpuPct: number;
  rounds: number[];
}

const HOST = '127.0.0.1';
const MESSAGE_BYTES = 64;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SELF = fileURLToPath(import.meta.url);
/** How long a server has to start and answer a first probe. */
const START_DEADLINE_MS = 5000;
/** How long a stopping server gets after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 1500;
/** A UDP throughput datagram unanswered this long is lost, and replaced. */
const STALL_MS = 200;
/** One RTT ping: UDP counts it lost after this; TCP fails the trial. */
const PING_DEADLINE_MS = 1000;
const PROBE_INTERVAL_MS = 50;
const CLIENT_BUFFER = 1 << 20;
const TARGETS: Readonly<Record<Transport, number>> = { udp: 0.95, tcp: 0.9 };

// ---------------------------------------------------------------------------------------------
// The bare echo servers (this script, forked with --serve)

/**
 * The baseline servers, a few lines each. The port goes to stdout; the end of stdin (the parent
 * gone, however it went) ends the process, so a crashed run leaves no server behind.
 */
function serve(transport: string): void {
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
    socket.on('error', () => {});
    socket.bind(0, HOST, () => process.stdout.write(`port ${socket.address().port}\n`));
  } else {
    const server = net.createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    server.listen(0, HOST, () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
  }
}

// ---------------------------------------------------------------------------------------------
// Server processes

interface ServerSpec {
  transport: Transport;
  server: EchoKind;
  /** What runs, as the table's legend shows it. */
  command: string;
  /** The argv to spawn; `PORT` is replaced by a free port picked beforehand, if present. */
  argv: (port: number) => string[];
  /** True: the server binds port 0 and prints `port N`; false: it gets a free port picked here. */
  printsPort: boolean;
}

function specs(transports: readonly Transport[]): { list: ServerSpec[]; notes: string[] } {
  const list: ServerSpec[] = [];
  const notes: string[] = [];
  const node = process.execPath;
  const socat = have('socat');
  const ncat = have('ncat');
  if (!socat) notes.push('socat not installed (apt-get install socat): its rows are left out');
  if (!ncat) notes.push('ncat not installed (apt-get install ncat): its rows are left out');
  for (const transport of transports) {
    const up = transport.toUpperCase();
    list.push({ transport, server: 'bare', command: `node: ${transport === 'udp' ? 'dgram send back to rinfo' : 'socket.pipe(socket)'}`, argv: () => [node, SELF, '--serve', transport], printsPort: true });
    list.push({
      transport,
      server: 'udp-chat',
      command: `udp-chat echo --transport ${transport} --quiet`,
      argv: () => [node, CLI, 'echo', '--host', HOST, '--port', '0', '--transport', transport, '--quiet'],
      printsPort: true,
    });
    if (socat) {
      list.push({ transport, server: 'socat', command: `socat ${up}4-LISTEN:P,fork PIPE`, argv: (p) => ['socat', `${up}4-LISTEN:${p},bind=${HOST},reuseaddr,fork`, 'PIPE'], printsPort: false });
      if (transport === 'udp') {
        list.push({ transport, server: 'socat-dgram', command: 'socat UDP4-RECVFROM:P,fork PIPE (a fork per datagram)', argv: (p) => ['socat', `UDP4-RECVFROM:${p},bind=${HOST},fork`, 'PIPE'], printsPort: false });
      }
    }
    if (ncat) {
      list.push({
        transport,
        server: 'ncat',
        command: `ncat${transport === 'udp' ? ' -u' : ''} -l -k -e /bin/cat`,
        argv: (p) => ['ncat', ...(transport === 'udp' ? ['-u'] : []), '-l', '-k', HOST, String(p), '-e', '/bin/cat'],
        printsPort: false,
      });
    }
  }
  return { list, notes };
}

/** Every server process started and not yet known to be gone: killed on any way out. */
const running = killedOnExit();

/** A port free right now on this transport (bound, read back, released). */
async function freePort(transport: Transport): Promise<number> {
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, HOST);
    await once(socket, 'listening');
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = net.createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Started {
  child: ChildProcess;
  port: number;
  /** Everything the server wrote to stdout (udp-chat prints its counters when it stops). */
  output: () => string;
  exited: Promise<unknown>;
}

async function startServer(spec: ServerSpec): Promise<Started> {
  const picked = spec.printsPort ? 0 : await freePort(spec.transport);
  const [command, ...args] = spec.argv(picked);
  const child = spawn(command!, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  running.add(child);
  const exited = once(child, 'exit').catch(() => undefined);
  void exited.then(() => running.delete(child));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.on('error', () => {});
  if (!spec.printsPort) return { child, port: picked, output: () => out, exited };
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const match = /port (\d+)/.exec(out);
    if (match) return { child, port: Number(match[1]), output: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`${spec.command} did not start (exit ${child.exitCode}): ${err.trim() || out.trim() || 'no output'}`);
    }
    await delay(20);
  }
}

/** SIGTERM, a grace period, then SIGKILL to the whole group (forks outlive their parent). */
async function stopServer(started: Started): Promise<string> {
  const { child } = started;
  child.stdin?.end();
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await Promise.race([started.exited, delay(STOP_GRACE_MS)]);
  }
  killGroup(child, 'SIGKILL');
  await Promise.race([started.exited, delay(STOP_GRACE_MS)]);
  running.delete(child);
  return started.output();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The load generator (this process)

interface Phase {
  messages: number;
  /** Datagrams (UDP) that carried those messages; 0 for TCP. */
  answers: number;
  lost: number;
  elapsedMs: number;
}

interface Client {
  /** One message at a time, `count` times: round trips in us, sorted. */
  pings(count: number): Promise<{ rtts: Float64Array; lost: number }>;
  /** A closed loop of `window` messages for `ms`. */
  throughput(ms: number, window: number, onStart: () => void): Promise<Phase>;
  close(): void;
}

/** A 64-byte message: `echo SEQ` padded with dots, ending in a newline. */
function message(seq: number): Buffer {
  const head = `echo ${seq} `;
  return Buffer.from(head + '.'.repeat(MESSAGE_BYTES - head.length - 1) + '\n', 'latin1');
}

async function udpClient(port: number): Promise<Client> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: CLIENT_BUFFER, sendBufferSize: CLIENT_BUFFER });
  // A connected socket: no address per send, and only the server's answers come in. An ICMP
  // port unreachable (the server not bound yet) arrives as an 'error': the probe just goes on.
  socket.on('error', () => {});
  socket.bind(0, HOST);
  await once(socket, 'listening');
  socket.connect(port, HOST);
  await once(socket, 'connect');
  let onMessage: (msg: Buffer) => void = () => {};
  socket.on('message', (msg) => onMessage(msg));

  const pingOnce = (payload: Buffer, ms: number): Promise<number | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        onMessage = () => {};
        resolve(null);
      }, ms);
      const sent = performance.now();
      onMessage = (msg) => {
        // A late answer to an earlier ping is not this one's.
        if (!msg.equals(payload)) return;
        const rtt = (performance.now() - sent) * 1000;
        clearTimeout(timer);
        onMessage = () => {};
        resolve(rtt);
      };
      socket.send(payload);
    });

  // The server may still be starting: probe until it answers.
  const deadline = Date.now() + START_DEADLINE_MS;
  while ((await pingOnce(message(0), PROBE_INTERVAL_MS)) === null) {
    if (Date.now() > deadline) {
      socket.close();
      throw new Error(`no UDP echo from port ${port} within ${START_DEADLINE_MS} ms`);
    }
  }

  return {
    async pings(count) {
      const rtts = new Float64Array(count);
      let got = 0;
      let lost = 0;
      for (let i = 1; i <= count; i++) {
        const rtt = await pingOnce(message(i), PING_DEADLINE_MS);
        if (rtt === null) lost += 1;
        else rtts[got++] = rtt;
      }
      return { rtts: rtts.subarray(0, got).sort(), lost };
    },
    throughput(ms, window, onStart) {
      const payload = message(0);
      return new Promise((resolve) => {
        let bytes = 0;
        let answered = 0;
        let answers = 0;
        let inflight = 0;
        let lost = 0;
        let last = performance.now();
        let sending = true;
        const topUp = (): void => {
          for (; sending && inflight < window; inflight++) socket.send(payload);
        };
        onMessage = (msg) => {
          bytes += msg.length;
          answers += 1;
          const done = Math.floor(bytes / MESSAGE_BYTES);
          // Late answers to messages already counted lost only bring the count back to zero.
          inflight = Math.max(0, inflight - (done - answered));
          answered = done;
          last = performance.now();
          topUp();
        };
        const stall = setInterval(() => {
          if (inflight > 0 && performance.now() - last > STALL_MS) {
            lost += inflight;
            inflight = 0;
            last = performance.now();
            topUp();
          }
        }, STALL_MS / 4);
        onStart();
        const start = performance.now();
        topUp();
        setTimeout(() => {
          sending = false;
          const elapsedMs = performance.now() - start;
          clearInterval(stall);
          // What is still in flight drains into a handler that counts nothing.
          onMessage = () => {};
          resolve({ messages: answered, answers, lost, elapsedMs });
        }, ms);
      });
    },
    close() {
      socket.close();
    },
  };
}

async function tcpClient(port: number): Promise<Client> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let socket: net.Socket;
  for (;;) {
    try {
      socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ port, host: HOST, noDelay: true });
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      break;
    } catch (err) {
      // ECONNREFUSED while the server is still starting; anything past the deadline is fatal.
      if (Date.now() > deadline) throw new Error(`no TCP echo on port ${port} within ${START_DEADLINE_MS} ms: ${(err as Error).message}`);
      await delay(PROBE_INTERVAL_MS);
    }
  }
  let failure: Error | null = null;
  socket.on('error', (err) => (failure = err));
  let bytes = 0;
  let onBytes: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    onBytes();
  });
  const waitBytes = (target: number, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (bytes >= target) return resolve(true);
      const timer = setTimeout(() => {
        onBytes = () => {};
        resolve(false);
      }, ms);
      onBytes = () => {
        if (bytes < target) return;
        clearTimeout(timer);
        onBytes = () => {};
        resolve(true);
      };
    });
  // One probe round trip: a server that accepted but does not echo fails here, not later.
  socket.write(message(0));
  if (!(await waitBytes(MESSAGE_BYTES, START_DEADLINE_MS))) {
    socket.destroy();
    throw new Error(`no TCP echo from port ${port}`);
  }

  return {
    async pings(count) {
      const rtts = new Float64Array(count);
      for (let i = 1; i <= count; i++) {
        const target = bytes + MESSAGE_BYTES;
        const sent = performance.now();
        socket.write(message(i));
        if (!(await waitBytes(target, PING_DEADLINE_MS))) throw new Error(`TCP ping ${i} unanswered within ${PING_DEADLINE_MS} ms${failure ? `: ${(failure as Error).message}` : ''}`);
        rtts[i - 1] = (performance.now() - sent) * 1000;
      }
      return { rtts: rtts.sort(), lost: 0 };
    },
    async throughput(ms, window, onStart) {
      // The window's worth of lines, written again from the same buffer as answers come back.
      const block = Buffer.concat(Array.from({ length: window }, () => message(0)));
      const base = bytes;
      let answered = 0;
      let sending = true;
      let written = window;
      onBytes = () => {
        const done = Math.floor((bytes - base) / MESSAGE_BYTES);
        const k = done - answered;
        answered = done;
        if (sending && k > 0) {
          socket.write(block.subarray(0, k * MESSAGE_BYTES));
          written += k;
        }
      };
      onStart();
      const start = performance.now();
      socket.write(block);
      await delay(ms);
      sending = false;
      const elapsedMs = performance.now() - start;
      const messages = answered;
      // Drained, so the next phase (or the close) starts from a quiet connection.
      const drained = await waitBytes(base + written * MESSAGE_BYTES, 5000);
      onBytes = () => {};
      if (!drained) throw new Error(`TCP echo on port ${port} did not answer the last ${written - answered} messages`);
      return { messages, answers: 0, lost: 0, elapsedMs };
    },
    close() {
      socket.destroy();
    },
  };
}

interface Options {
  quick: boolean;
  json: boolean;
  rounds: number;
  durationMs: number;
  warmupMs: number;
  window: Record<Transport, number>;
  pings: number;
  transports: Transport[];
  /** Only these servers (the bare echo always runs: it is the baseline). */
  servers: EchoKind[] | null;
}

async function runTrial(spec: ServerSpec, options: Options, round: number): Promise<EchoTrial> {
  const started = await startServer(spec);
  let client: Client | undefined;
  let trial: Omit<EchoTrial, 'rateLimited'>;
  let output = '';
  try {
    client = spec.transport === 'udp' ? await udpClient(started.port) : await tcpClient(started.port);
    const window = options.window[spec.transport];
    // Unrecorded: the JIT of the Node servers (and this loop) warms up before anything counts.
    await client.throughput(options.warmupMs, window, () => {});
    const { rtts, lost: pingLost } = await client.pings(options.pings);
    const pgid = started.child.pid!;
    let cpuBefore = 0;
    let clientBefore = process.cpuUsage();
    const phase = await client.throughput(options.durationMs, window, () => {
      cpuBefore = groupCpuUs(pgid);
      clientBefore = process.cpuUsage();
    });
    const serverCpuUs = groupCpuUs(pgid) - cpuBefore;
    const clientCpu = process.cpuUsage(clientBefore);
    const perSec = (phase.messages / phase.elapsedMs) * 1000;
    trial = {
      transport: spec.transport,
      server: spec.server,
      round,
      messagesPerSec: perSec,
      mbPerSec: (perSec * MESSAGE_BYTES) / 1e6,
      rttP50Us: quantile(rtts, 0.5),
      rttP99Us: quantile(rtts, 0.99),
      lost: phase.lost + pingLost,
      perAnswer: phase.answers > 0 ? phase.messages / phase.answers : NaN,
      serverCpuUsPerMsg: phase.messages > 0 ? serverCpuUs / phase.messages : NaN,
      serverCpuPct: (serverCpuUs / 1000 / phase.elapsedMs) * 100,
      clientCpuPct: ((clientCpu.user + clientCpu.system) / 1000 / phase.elapsedMs) * 100,
    };
  } finally {
    client?.close();
    output = await stopServer(started);
  }
  // The point of the check: on loopback, the echo's per-source rate limit must not apply.
  const limited = spec.server === 'udp-chat' ? /rateLimited=(\d+)/.exec(output) : null;
  if (limited && Number(limited[1]) > 0) process.stderr.write(`warning: udp-chat echo rate-limited ${limited[1]} datagrams on loopback\n`);
  return { ...trial, rateLimited: limited ? Number(limited[1]) : null };
}

// ---------------------------------------------------------------------------------------------
// The report

function summarize(trials: readonly EchoTrial[], spec: ServerSpec, bare?: EchoSummary): EchoSummary {
  const mine = trials.filter((t) => t.transport === spec.transport && t.server === spec.server);
  const rate = median(mine.map((t) => t.messagesPerSec));
  const cpu = median(mine.map((t) => t.serverCpuUsPerMsg));
  return {
    transport: spec.transport,
    server: spec.server,
    command: spec.command,
    messagesPerSec: rate,
    mbPerSec: (rate * MESSAGE_BYTES) / 1e6,
    ratio: bare ? rate / bare.messagesPerSec : spec.server === 'bare' ? 1 : NaN,
    rttP50Us: median(mine.map((t) => t.rttP50Us)),
    rttP99Us: median(mine.map((t) => t.rttP99Us)),
    lost: mine.reduce((sum, t) => sum + t.lost, 0),
    perAnswer: median(mine.map((t) => t.perAnswer)),
    serverCpuUsPerMsg: cpu,
    cpuRatio: bare ? cpu / bare.serverCpuUsPerMsg : spec.server === 'bare' ? 1 : NaN,
    serverCpuPct: median(mine.map((t) => t.serverCpuPct)),
    clientCpuPct: median(mine.map((t) => t.clientCpuPct)),
    rounds: mine.map((t) => Math.round(t.messagesPerSec)),
  };
}

const fixed = (v: number, digits: number): string => (Number.isNaN(v) ? '-' : v.toFixed(digits));
const times = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(2)}x`);

function render(summaries: readonly EchoSummary[]): string {
  return table(
    ['transport', 'server', 'msgs/s', 'MB/s', 'vs bare', 'rtt p50 us', 'rtt p99 us', 'lost', 'msgs/answer', 'srv cpu us/msg', 'cpu vs bare', 'srv cpu', 'client cpu'],
    summaries.map((s) => [
      s.transport,
      s.server,
      Math.round(s.messagesPerSec).toLocaleString('en-US'),
      fixed(s.mbPerSec, 2),
      times(s.ratio),
      fixed(s.rttP50Us, 1),
      fixed(s.rttP99Us, 1),
      String(s.lost),
      fixed(s.perAnswer, 2),
      fixed(s.serverCpuUsPerMsg, 2),
      times(s.cpuRatio),
      Number.isNaN(s.serverCpuPct) ? '-' : `${Math.round(s.serverCpuPct)}%`,
      `${Math.round(s.clientCpuPct)}%`,
    ]),
  );
}

interface Verdict {
  transport: Transport;
  target: number;
  ratio: number | null;
  cpuRatio: number | null;
  pass: boolean | null;
  line: string;
}

/** The informational targets: udp-chat's echo at 0.95x (UDP) and 0.9x (TCP) of the bare echo's messages/s. */
function verdicts(summaries: readonly EchoSummary[]): Verdict[] {
  return (['udp', 'tcp'] as const).map((transport) => {
    const chat = summaries.find((s) => s.transport === transport && s.server === 'udp-chat');
    const target = TARGETS[transport];
    const ratio = chat && !Number.isNaN(chat.ratio) ? chat.ratio : null;
    const cpuRatio = chat && !Number.isNaN(chat.cpuRatio) ? chat.cpuRatio : null;
    const pass = ratio === null ? null : ratio >= target;
    const bareName = transport === 'udp' ? 'bare dgram' : 'bare net';
    const result = pass === null ? 'not measured in this run' : `${pass ? 'PASS' : 'MISS'} (${ratio!.toFixed(2)}x${cpuRatio === null ? '' : `; CPU per message ${cpuRatio.toFixed(2)}x the bare echo's`})`;
    return { transport, target, ratio, cpuRatio, pass, line: `target: ${transport.toUpperCase()} udp-chat echo >= ${target}x ${bareName} echo msgs/s: ${result}` };
  });
}

/** The comparison the issue quotes: the bare echo over socat's, per transport. */
function versusSocat(summaries: readonly EchoSummary[]): string[] {
  const lines: string[] = [];
  for (const transport of ['udp', 'tcp'] as const) {
    const bare = summaries.find((s) => s.transport === transport && s.server === 'bare');
    for (const other of summaries.filter((s) => s.transport === transport && (s.server === 'socat' || s.server === 'ncat'))) {
      if (!bare) continue;
      // A UDP echo that merges datagrams answers fewer of them than it echoes messages: both counts.
      const merged = transport === 'udp' && other.perAnswer > 1.05 ? ` (${((bare.messagesPerSec / bare.perAnswer) / (other.messagesPerSec / other.perAnswer)).toFixed(2)}x its answer datagrams/s: it merges ${other.perAnswer.toFixed(2)} messages per answer)` : '';
      lines.push(`${transport} bare echo vs ${other.server}: ${(bare.messagesPerSec / other.messagesPerSec).toFixed(2)}x its msgs/s${merged}, ${(bare.serverCpuUsPerMsg / other.serverCpuUsPerMsg).toFixed(2)}x its CPU per message`);
    }
  }
  return lines;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { quick: false, json: false, rounds: 0, durationMs: 0, warmupMs: 0, window: { udp: 32, tcp: 64 }, pings: 0, transports: ['udp', 'tcp'], servers: null };
  const positive = (arg: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} takes a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--rounds') options.rounds = positive(arg, argv[++i]);
    else if (arg === '--duration') options.durationMs = positive(arg, argv[++i]);
    else if (arg === '--pings') options.pings = positive(arg, argv[++i]);
    else if (arg === '--window') {
      const w = positive(arg, argv[++i]);
      options.window = { udp: w, tcp: w };
    } else if (arg === '--transport') {
      const t = argv[++i];
      if (t !== 'udp' && t !== 'tcp' && t !== 'both') throw new Error('--transport takes udp, tcp or both');
      options.transports = t === 'both' ? ['udp', 'tcp'] : [t];
    } else if (arg === '--servers') {
      // A focused A/B (more rounds of fewer servers), or one server alone for a profile.
      const names = String(argv[++i]).split(',');
      const known: readonly string[] = ['bare', 'udp-chat', 'socat', 'socat-dgram', 'ncat'];
      if (!names.every((n) => known.includes(n))) throw new Error(`--servers takes a list of ${known.join(', ')}`);
      options.servers = names as EchoKind[];
    } else throw new Error(`unknown argument ${arg}; use --quick, --json, --rounds R, --duration MS, --window W, --pings N, --transport udp|tcp|both, --servers bare,udp-chat,...`);
  }
  options.rounds ||= options.quick ? 2 : 3;
  options.durationMs ||= options.quick ? 1000 : 3000;
  options.warmupMs = options.quick ? 200 : 500;
  options.pings ||= options.quick ? 300 : 2000;
  return options;
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
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const all = specs(options.transports);
  const notes = all.notes;
  const list = all.list.filter((s) => s.server === 'bare' || !options.servers || options.servers.includes(s.server));
  const loadBefore = os.loadavg();
  const trials: EchoTrial[] = [];
  const started = performance.now();
  // A progress line only where it can be overwritten: a terminal.
  const progress = !options.json && process.stderr.isTTY;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const transport of options.transports) {
        const mine = list.filter((s) => s.transport === transport);
        const order = round % 2 === 0 ? mine : [...mine].reverse();
        for (const spec of order) {
          if (progress) process.stderr.write(`\rround ${round + 1}/${options.rounds} ${transport} ${spec.server}...`.padEnd(50));
          trials.push(await runTrial(spec, options, round));
        }
      }
    }
  } finally {
    if (progress) process.stderr.write('\r'.padEnd(51) + '\r');
    for (const child of running) killGroup(child, 'SIGKILL');
  }
  const summaries: EchoSummary[] = [];
  for (const transport of options.transports) {
    const bareSpec = list.find((s) => s.transport === transport && s.server === 'bare')!;
    const bare = summarize(trials, bareSpec);
    summaries.push(bare);
    for (const spec of list.filter((s) => s.transport === transport && s.server !== 'bare')) summaries.push(summarize(trials, spec, bare));
  }
  const targets = verdicts(summaries);
  const checked = trials.filter((t) => t.server === 'udp-chat' && t.transport === 'udp');
  if (checked.length > 0) {
    const counts = checked.map((t) => t.rateLimited);
    notes.push(
      counts.every((c) => c === 0)
        ? `udp-chat echo on ${HOST}: rateLimited=0 in all ${counts.length} UDP trials (its per-source limit is off on loopback)`
        : `udp-chat echo on ${HOST}: rateLimited per UDP trial ${counts.map((c) => (c === null ? '?' : String(c))).join(', ')}`,
    );
  }
  const load = { before: loadBefore, after: os.loadavg(), cpus: os.cpus().length };
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    const { quick, rounds, durationMs, window, pings } = options;
    process.stdout.write(`${JSON.stringify({ quick, rounds, durationMs, window, pings, messageBytes: MESSAGE_BYTES, load, seconds, notes, summaries, trials, targets }, null, 2)}\n`);
    return;
  }
  const legend = [...new Map(list.map((s) => [`${s.transport} ${s.server}`, s.command])).entries()].map(([k, v]) => `  ${k.padEnd(16)} ${v}`);
  process.stdout.write(
    `${render(summaries)}\n\n` +
      `medians of ${options.rounds} rounds (alternating order), ${options.durationMs} ms of throughput each with ${options.window.udp} UDP / ${options.window.tcp} TCP ` +
      `${MESSAGE_BYTES}-byte messages outstanding; rtt over ${options.pings} pings one at a time; lost = UDP messages unanswered, summed over rounds; ` +
      `msgs/answer above 1: the server merged datagrams (its pipe read several at once); ` +
      `srv cpu us/msg = the server's process group CPU time per echoed message\n` +
      `${legend.join('\n')}\n` +
      notes.map((n) => `note: ${n}\n`).join('') +
      versusSocat(summaries).map((line) => `${line}\n`).join('') +
      `load average ${load.before.map((v) => v.toFixed(2)).join(' ')} before, ${load.after.map((v) => v.toFixed(2)).join(' ')} after, ${load.cpus} CPUs, ${seconds.toFixed(0)} s\n` +
      `${targets.map((t) => t.line).join('\n')}\n`,
  );
}

if (process.argv[2] === '--serve') serve(process.argv[3] ?? 'udp');
else
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
