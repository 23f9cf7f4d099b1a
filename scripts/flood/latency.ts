/**
 * Honest UDP latency under a stream flood: a room's own round trip (`/ping N` answered by
 * `/pong N`), measured by a few UDP peers pinging at a steady rate under the room's message rate
 * while flood connections (blast.ts, a process of its own) blast empty lines at the room's TCP
 * port (or its WebSocket). The server runs in this process with the default limits of a room on
 * the LAN (DEFAULT_LIMITS: 10 messages a second after 30; a loopback room's own defaults would let
 * each flooder through at 1,000 a second, and the attack is a LAN one), so its event loop is the
 * one the pings wait on: what the flood costs the room is what the pings show.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { startChatServer, type ChatServer, type ServerCounters } from '../../src/servers/chat-server.js';
import { delay, poll, spawnGroup, type Group } from '../harness/process.js';
import { bindUdp, closeUdp, HOST } from '../harness/sockets.js';

/** What one phase measured. */
export interface LatencySample {
  connections: number;
  via: 'tcp' | 'ws';
  /** Round trips in ms, sorted; a ping never answered counts as Infinity. */
  rtts: number[];
  p50: number;
  p99: number;
  lost: number;
  /** The server's counters at the end of the phase (drops.rateLimited: lines read and dropped). */
  counters: ServerCounters;
}

export interface LatencyOptions {
  /** Flood connections (0: the idle baseline). */
  connections: number;
  via?: 'tcp' | 'ws';
  /** How long the pings are measured, after the flood has run for warmupMs. */
  ms: number;
  warmupMs?: number;
  /** Pinging peers, and pings a second each (under the room's 10 a second). */
  peers?: number;
  rate?: number;
}

const BLAST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'blast.js');
/** How long an unanswered ping is waited for at the end of a phase. */
const LAST_PONG_MS = 1000;

/** The q-quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Starts the flood: resolves once every connection is open and blasting. */
async function startFlood(port: number, connections: number, via: 'tcp' | 'ws'): Promise<Group> {
  const group = spawnGroup([process.execPath, BLAST, '--port', String(port), '--connections', String(connections), '--via', via]);
  try {
    await poll(() => group.stdout().includes('ready') || group.child.exitCode !== null, 10_000, () => `the flood did not start: ${group.stderr()}`, 5);
    if (!group.stdout().includes('ready')) throw new Error(`the flood did not start: ${group.stderr()}`);
  } catch (err) {
    await group.stop(200);
    throw err;
  }
  return group;
}

/** One pinging peer: joins, then pings `rate` times a second; `rtts` fills as pongs come. */
async function pinger(port: number) {
  const socket = await bindUdp();
  const sentAt = new Map<string, number>();
  const rtts: number[] = [];
  socket.on('message', (msg) => {
    const m = /^\/pong (p\d+)/.exec(msg.toString('latin1'));
    const at = m ? sentAt.get(m[1]!) : undefined;
    if (at === undefined) return;
    rtts.push(performance.now() - at);
    sentAt.delete(m![1]!);
  });
  let n = 0;
  const ping = (): void => {
    const token = `p${++n}`;
    sentAt.set(token, performance.now());
    socket.send(`/ping ${token}`, port, HOST);
  };
  // The first ping joins; the room answers it like any other.
  ping();
  await poll(() => rtts.length > 0, 3000, () => 'a pinger could not join the room', 5);
  rtts.length = 0;
  return { socket, sentAt, rtts, ping };
}

/** Measures the honest round trip with `connections` flood connections blasting at a fresh room. */
export async function measureLatency(o: LatencyOptions): Promise<LatencySample> {
  return (await measurePhases({ ...o, phases: [{ connections: o.connections, ms: o.ms }] }))[0]!;
}

/**
 * Measures the round trip in each phase in turn on one room, the same pinging peers throughout:
 * each phase starts its flood (if any), waits `warmupMs`, pings for its `ms`, and stops the flood.
 * (A flood's connections stay in the room after it stops, paused until the room closes.)
 */
export async function measurePhases(o: Omit<LatencyOptions, 'connections' | 'ms'> & { phases: readonly { connections: number; ms: number }[] }): Promise<LatencySample[]> {
  const via = o.via ?? 'tcp';
  const server: ChatServer = await startChatServer({ host: HOST, port: 0, transport: 'both', limits: { messageRate: DEFAULT_LIMITS.messageRate, messageBurst: DEFAULT_LIMITS.messageBurst }, ...(via === 'ws' ? { web: { port: 0 } } : {}) });
  const floods: Group[] = [];
  const pingers: Awaited<ReturnType<typeof pinger>>[] = [];
  const samples: LatencySample[] = [];
  try {
    pingers.push(...(await Promise.all(Array.from({ length: o.peers ?? 3 }, () => pinger(server.port)))));
    const every = 1000 / (o.rate ?? 8) / pingers.length;
    const outstanding = () => pingers.reduce((sum, p) => sum + p.sentAt.size, 0);
    for (const phase of o.phases) {
      if (phase.connections > 0) {
        floods.push(await startFlood(via === 'ws' ? server.transports.ws!.port : server.port, phase.connections, via));
        await delay(o.warmupMs ?? 200);
      }
      for (const p of pingers) p.rtts.length = 0;
      const until = performance.now() + phase.ms;
      // The peers take turns, so the pings are spread evenly over the interval.
      let turn = 0;
      while (performance.now() < until) {
        pingers[turn++ % pingers.length]!.ping();
        await delay(every);
      }
      await poll(() => outstanding() === 0, LAST_PONG_MS, () => '', 5).catch(() => {});
      const rtts = pingers.flatMap((p) => [...p.rtts, ...Array.from(p.sentAt, () => Infinity)]).sort((a, b) => a - b);
      samples.push({ connections: phase.connections, via, rtts, p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99), lost: outstanding(), counters: server.counters() });
      for (const p of pingers) p.sentAt.clear();
      await floods.at(-1)?.stop(500);
    }
    return samples;
  } finally {
    for (const flood of floods) await flood.stop(500);
    for (const p of pingers) await closeUdp(p.socket);
    await server.close();
  }
}
