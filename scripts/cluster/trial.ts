/**
 * One trial of bench-cluster.ts: fresh servers (alone, or K of them on the run's Redis), the
 * harness child's receivers and sender joined to them, a warm-up, a quiet moment, then the load, measured
 * as bench-relay measures it (scripts/relay/trial.ts), with the servers' and Redis's share.
 *
 * Some costs come with time, not with lines: every server sweeps its peers for silence, and in a
 * cluster beats once a second (one script naming all its peers). The quiet moment before the
 * load, with no line sent, measures them: CPU a second of every process, bytes into Redis per
 * beat. The load's per-line CPU figures have the quiet rate times the load's length taken out
 * (in every configuration alike), and its bytes as many beats as Redis ran during it.
 */
import type { ClusterCounters } from '../../src/core/counters.js';
import { delay, machineBusyUs } from '../harness/process.js';
import { IPC_DEADLINE_MS, joinDeadlineMs, measure, type LoadLink, type Shape, type Trial } from '../relay/trial.js';
import type { BenchRedis, RedisStats } from './redis.js';
import { peersOn, startServers } from './servers.js';

/** A configuration under test: the baseline (one server, no --cluster) or K servers on Redis. */
export interface Config {
  label: string;
  servers: number;
  cluster: boolean;
}

/**
 * The quiet moment between the joins and the load, in every configuration (so the harness has
 * read the last join notices everywhere): about two beats of each server.
 */
const QUIET_MS = 2100;

const BUS_FIELDS = ['published', 'received', 'refused', 'missed', 'unsent', 'linkLost'] as const;

/** What the servers' bus counters add up to (published, received, refused, missed, unsent, linkLost). */
export type BusCounts = Record<(typeof BUS_FIELDS)[number], number>;

/** One trial of one configuration. */
export interface ClusterTrial extends Trial {
  n: number;
  config: string;
  servers: number;
  /** Peers each server held (receivers, and the sender on s0). */
  held: number[];
  /** All servers' CPU per line sent during the load. */
  serversCpuUsPerMsg: number;
  /** The same with the quiet rate taken out, for all servers and for s0 (the sender's). */
  serversNetCpuUsPerMsg: number;
  senderNetCpuUsPerMsg: number;
  /** redis-server's CPU per line sent, the quiet rate taken out; and its CPU during the load, in percent of a core. */
  redisNetCpuUsPerMsg: number;
  redisCpuPct: number;
  /** With no line sent: the servers' and Redis's CPU, in percent of a core (sweeps; beats in a cluster), and bytes into Redis a second (the beats). */
  quietCpuPct: number;
  beatBytesPerSec: number;
  /** Bytes into Redis per line sent, the beats taken out (one PUBLISH), and out of it (to every server). */
  publishBytesPerMsg: number;
  redisOutBytesPerMsg: number;
  /**
   * The whole machine's busy CPU during the load, in percent of one core, and what of it neither
   * the servers, Redis nor the harness used: other programs on the machine.
   */
  machineCpuPct: number;
  othersCpuPct: number;
  /** What Redis counted during the load (null without --cluster). */
  redis: RedisStats | null;
  /** The servers' bus counters during the load, summed (null without --cluster). */
  bus: BusCounts | null;
}

/** `after - before` for the keys named, the rest as after has them. */
function delta<T extends object>(after: T, before: T, keys: readonly (keyof T)[]): T {
  const out = { ...after };
  for (const k of keys) (out[k] as number) = (after[k] as number) - (before[k] as number);
  return out;
}

function minus(after: readonly number[], before: readonly number[]): number[] {
  return after.map((v, i) => v - before[i]!);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The servers' bus counters summed. */
export function sumBus(list: readonly (Partial<BusCounts> | null)[]): BusCounts {
  const total = { published: 0, received: 0, refused: 0, missed: 0, unsent: 0, linkLost: 0 };
  for (const c of list) for (const k of BUS_FIELDS) total[k] += c?.[k] ?? 0;
  return total;
}

const STAT_FIELDS = ['netInBytes', 'netOutBytes', 'publishCalls', 'evalCalls'] as const;

/**
 * One trial: the child binds its sockets, the servers start, the child joins them, every server
 * learns the others' peers and Redis has run every join, a quiet moment, then the load.
 */
export async function runClusterTrial(link: LoadLink, redis: BenchRedis, config: Config, shape: Shape, round: number): Promise<ClusterTrial> {
  if (config.cluster) await redis.flush();
  link.send({ type: 'open', n: shape.n });
  await link.next('opened', IPC_DEADLINE_MS + shape.n * 10);
  const begin = await redis.stats();
  const servers = await startServers(config.servers, config.cluster ? { url: redis.url, pid: redis.pid } : null);
  try {
    const held = peersOn(config.servers, shape.n);
    link.send({ type: 'udp-join', port: servers.port, ports: [...servers.ports], n: shape.n });
    await link.next('joined', IPC_DEADLINE_MS + joinDeadlineMs(shape.n));
    // Each join is a presence script and a PUBLISH on s0's link: Redis may be behind on them even when no other server waits for them.
    await servers.settle(held, joinDeadlineMs(shape.n), async (published) => (await redis.stats()).publishCalls - begin.publishCalls >= published);
    // Each server is a fresh process: a fifth of the load first, unrecorded, so none is measured
    // while its code (the bus's above all) is still cold. The sockets stay joined for the load.
    const warm = Math.max(shape.burst, Math.round(shape.count / 5));
    await measure(link, servers, { type: 'udp-run', relay: 'udp-chat', port: servers.port, joined: true, keep: true, ...shape, count: warm }, -1);

    const quietStats = await redis.stats();
    const quietCpu = servers.cpuParts!();
    await delay(QUIET_MS);
    const quietParts = minus(servers.cpuParts!(), quietCpu);
    const before = await redis.stats();
    const quiet = delta(before, quietStats, STAT_FIELDS);
    const busBefore = config.cluster ? sumBus(await servers.counters()) : null;

    const machine = machineBusyUs();
    const machineFrom = performance.now();
    const trial = await measure(link, servers, { type: 'udp-run', relay: 'udp-chat', port: servers.port, joined: true, ...shape }, round);
    const machineCpuPct = ((machineBusyUs() - machine) / 1000 / (performance.now() - machineFrom)) * 100;

    const load = delta(await redis.stats(), before, STAT_FIELDS);
    // The reading before the load is answered within it.
    load.netOutBytes -= before.replyBytes;
    const busAfter = config.cluster ? sumBus(await servers.counters()) : null;
    const parts = trial.relayCpuPartsUs!;
    const net = parts.map((us, i) => us - (quietParts[i]! * trial.wallMs) / QUIET_MS);
    // As many quiet moments' worth of beats as Redis ran during the load.
    const beats = quiet.evalCalls > 0 ? load.evalCalls / quiet.evalCalls : 0;
    const k = config.servers;
    const redisUs = config.cluster ? parts[k]! : 0;
    const redisCpuPct = (trial.relayCpuPct * redisUs) / sum(parts.slice(0, k));
    return {
      ...trial,
      n: shape.n,
      config: config.label,
      servers: k,
      held,
      serversCpuUsPerMsg: sum(parts.slice(0, k)) / trial.sent,
      serversNetCpuUsPerMsg: sum(net.slice(0, k)) / trial.sent,
      senderNetCpuUsPerMsg: net[0]! / trial.sent,
      redisNetCpuUsPerMsg: config.cluster ? net[k]! / trial.sent : NaN,
      // The same wall time as the servers' percentage.
      redisCpuPct: config.cluster ? redisCpuPct : NaN,
      machineCpuPct,
      othersCpuPct: machineCpuPct - trial.relayCpuPct - redisCpuPct - trial.harnessCpuPct,
      quietCpuPct: (sum(quietParts) / 1000 / QUIET_MS) * 100,
      beatBytesPerSec: config.cluster ? (quiet.netInBytes / QUIET_MS) * 1000 : NaN,
      publishBytesPerMsg: config.cluster ? (load.netInBytes - beats * quiet.netInBytes) / trial.sent : NaN,
      redisOutBytesPerMsg: config.cluster ? load.netOutBytes / trial.sent : NaN,
      redis: config.cluster ? load : null,
      bus: busBefore && busAfter ? delta(busAfter, busBefore, BUS_FIELDS) : null,
    };
  } finally {
    await servers.close();
  }
}
