/**
 * Echo throughput and round-trip time, UDP and TCP, all on 127.0.0.1, against the bare Node
 * echo and the echo servers people already run, side by side in the same run:
 *
 *   udp  bare            scripts/echo/bare.ts udp: a dgram socket that sends each datagram
 *                        back to its sender. The most any Node UDP echo can do.
 *   udp  udp-chat        `udp-chat echo --transport udp --quiet` (the built CLI). Its per-source
 *                        rate limit is off on loopback; the script checks its counters for that.
 *   udp  socat           `socat UDP4-LISTEN:P,fork PIPE`: what socat users run (one child per
 *                        peer, so one process serves our one client).
 *   udp  socat-dgram     `socat UDP4-RECVFROM:P,fork PIPE`: a child forked per datagram.
 *   udp  ncat            `ncat -u -l -k -e /bin/cat`: one ncat child and a cat per peer.
 *   tcp  bare            scripts/echo/bare.ts tcp: socket.pipe(socket).
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
 * The servers are in scripts/echo/servers.ts, the UDP and TCP load generators in
 * scripts/echo/udp-client.ts and tcp-client.ts.
 *
 *   node dist/scripts/bench-echo.js [--quick] [--json] [--rounds R] [--duration MS] [--window W] [--pings N] [--transport udp|tcp|both] [--servers bare,udp-chat,...]
 */
import os from 'node:os';
import { BENCH_FLAGS, choiceList, flags, int, runMain, transports, wantsHelp } from './harness/args.js';
import { killAllGroups } from './harness/process.js';
import { HOST } from './harness/sockets.js';
import { count, fixed, median, percent, print, quantile, ratio, table, times, verdict } from './harness/report.js';
import { MESSAGE_BYTES, type Client } from './echo/client.js';
import { ECHO_KINDS, specs, startServer, stopServer, type EchoKind, type ServerSpec, type Transport } from './echo/servers.js';
import { tcpClient } from './echo/tcp-client.js';
import { udpClient } from './echo/udp-client.js';

const USAGE = 'node dist/scripts/bench-echo.js [--quick] [--json] [--rounds R] [--duration MS] [--window W] [--pings N] [--transport udp|tcp|both] [--servers bare,udp-chat,socat,socat-dgram,ncat]';
const TARGETS: Readonly<Record<Transport, number>> = { udp: 0.95, tcp: 0.9 };

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

function parseOptions(argv: readonly string[]): Options | null {
  const v = flags(argv, { ...BENCH_FLAGS, duration: { type: 'string' }, window: { type: 'string' }, pings: { type: 'string' }, servers: { type: 'string' } });
  if (wantsHelp(v)) return null;
  const quick = v.quick ?? false;
  const window = int(v.window, 'window', 0);
  return {
    quick,
    json: v.json ?? false,
    rounds: int(v.rounds, 'rounds', quick ? 2 : 3),
    durationMs: int(v.duration, 'duration', quick ? 1000 : 3000),
    warmupMs: quick ? 200 : 500,
    window: window ? { udp: window, tcp: window } : { udp: 32, tcp: 64 },
    pings: int(v.pings, 'pings', quick ? 300 : 2000),
    transports: transports(v.transport),
    // A focused A/B (more rounds of fewer servers), or one server alone for a profile.
    servers: v.servers === undefined ? null : choiceList(v.servers, 'servers', ECHO_KINDS, []),
  };
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
    const { group } = started;
    let cpuBefore = 0;
    let clientBefore = process.cpuUsage();
    const phase = await client.throughput(options.durationMs, window, () => {
      cpuBefore = group.cpuUs();
      clientBefore = process.cpuUsage();
    });
    const serverCpuUs = group.cpuUs() - cpuBefore;
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
  // Nor its loop guard: the client sends distinct datagrams, so none may be taken for reflections.
  const loops = spec.server === 'udp-chat' ? /echoLoop=(\d+)/.exec(output) : null;
  if (loops && Number(loops[1]) > 0) process.stderr.write(`warning: udp-chat echo took ${loops[1]} benchmark datagrams for an echo loop\n`);
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
    ratio: spec.server === 'bare' ? 1 : ratio(rate, bare?.messagesPerSec),
    rttP50Us: median(mine.map((t) => t.rttP50Us)),
    rttP99Us: median(mine.map((t) => t.rttP99Us)),
    lost: mine.reduce((sum, t) => sum + t.lost, 0),
    perAnswer: median(mine.map((t) => t.perAnswer)),
    serverCpuUsPerMsg: cpu,
    cpuRatio: spec.server === 'bare' ? 1 : ratio(cpu, bare?.serverCpuUsPerMsg),
    serverCpuPct: median(mine.map((t) => t.serverCpuPct)),
    clientCpuPct: median(mine.map((t) => t.clientCpuPct)),
    rounds: mine.map((t) => Math.round(t.messagesPerSec)),
  };
}

function render(summaries: readonly EchoSummary[]): string {
  return table(
    ['transport', 'server', 'msgs/s', 'MB/s', 'vs bare', 'rtt p50 us', 'rtt p99 us', 'lost', 'msgs/answer', 'srv cpu us/msg', 'cpu vs bare', 'srv cpu', 'client cpu'],
    summaries.map((s) => [
      s.transport,
      s.server,
      count(s.messagesPerSec),
      fixed(s.mbPerSec, 2),
      times(s.ratio),
      fixed(s.rttP50Us, 1),
      fixed(s.rttP99Us, 1),
      String(s.lost),
      fixed(s.perAnswer, 2),
      fixed(s.serverCpuUsPerMsg, 2),
      times(s.cpuRatio),
      percent(s.serverCpuPct),
      percent(s.clientCpuPct),
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
    const result = pass === null ? 'not measured in this run' : `${verdict(pass)} (${ratio!.toFixed(2)}x${cpuRatio === null ? '' : `; CPU per message ${cpuRatio.toFixed(2)}x the bare echo's`})`;
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
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
    killAllGroups();
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
  const { quick, rounds, durationMs, window, pings } = options;
  const data = { quick, rounds, durationMs, window, pings, messageBytes: MESSAGE_BYTES, load, seconds, notes, summaries, trials, targets };
  const legend = [...new Map(list.map((s) => [`${s.transport} ${s.server}`, s.command])).entries()].map(([k, v]) => `  ${k.padEnd(16)} ${v}`);
  print(options.json, data, () =>
    `${render(summaries)}\n\n` +
      `medians of ${options.rounds} rounds (alternating order), ${options.durationMs} ms of throughput each with ${options.window.udp} UDP / ${options.window.tcp} TCP ` +
      `${MESSAGE_BYTES}-byte messages outstanding; rtt over ${options.pings} pings one at a time; lost = UDP messages unanswered, summed over rounds; ` +
      `msgs/answer above 1: the server merged datagrams (its pipe read several at once); ` +
      `srv cpu us/msg = the server's process group CPU time per echoed message\n` +
      `${legend.join('\n')}\n` +
      notes.map((n) => `note: ${n}\n`).join('') +
      versusSocat(summaries).map((line) => `${line}\n`).join('') +
      `load average ${load.before.map((v) => v.toFixed(2)).join(' ')} before, ${load.after.map((v) => v.toFixed(2)).join(' ')} after, ${load.cpus} CPUs, ${seconds.toFixed(0)} s\n` +
      targets.map((t) => t.line).join('\n'),
  );
}

runMain(import.meta.url, USAGE, main);
