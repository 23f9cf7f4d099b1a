/**
 * The servers of one bench-cluster.ts trial, from the parent's side: one forked child each
 * (server-child.ts), so each is a process of its own as `serve` would be, with its own core to
 * compete for. Together they are one relay under test (scripts/relay/trial.ts): the sender's
 * server's port, their CPU time summed from /proc, and for the breakdown each one's, then
 * redis-server's.
 */
import type { ClusterCounters } from '../../src/core/counters.js';
import { ChildLink, poll, processCpuUs } from '../harness/process.js';
import type { Relay } from '../relay/trial.js';

/** The room every server of the benchmark is in. */
export const ROOM = 'bench';
/** How long a server child may take to start (Node, the room, the link to Redis). */
const START_DEADLINE_MS = 15_000;

/** Requests to a server child. */
export type ToServer = { type: 'start'; room: string; cluster?: { url: string; node: string } } | { type: 'counters' };

/** A server child's replies. */
export type FromServer = { type: 'listening'; port: number } | { type: 'counters'; cluster: ClusterCounters | null };

/** The servers of one trial as one relay: `port` is the first one's, where the sender joins. */
export interface Servers extends Relay {
  readonly ports: readonly number[];
  /** Each one's cluster counters now (null without --cluster). */
  counters(): Promise<(ClusterCounters | null)[]>;
  /**
   * Until every server knows the peers of all the others (their joins have crossed the bus) and
   * `drained(published)` says Redis has run all the servers have published, or a throw after deadlineMs.
   */
  settle(peersOn: readonly number[], deadlineMs: number, drained: (published: number) => Promise<boolean>): Promise<void>;
}

/** Receiver i joins server i % servers and the sender server 0: how many peers each one holds. */
export function peersOn(servers: number, receivers: number): number[] {
  return Array.from({ length: servers }, (_, s) => Math.floor(receivers / servers) + (s < receivers % servers ? 1 : 0) + (s === 0 ? 1 : 0));
}

/**
 * Starts `count` servers, each in its own process: alone (cluster null, count 1) or as servers
 * s0, s1, ... of room ROOM on the Redis at cluster.url, whose redis-server (cluster.pid) is
 * the last of cpuParts. Nothing is left running if one fails to start.
 */
export async function startServers(count: number, cluster: { url: string; pid: number } | null): Promise<Servers> {
  const links = Array.from({ length: count }, () => new ChildLink<ToServer, FromServer>(new URL('./server-child.js', import.meta.url)));
  const closeAll = async (): Promise<void> => {
    await Promise.all(links.map((link) => link.close()));
  };
  let ports: number[];
  try {
    ports = await Promise.all(
      links.map(async (link, s) => {
        link.send({ type: 'start', room: ROOM, ...(cluster ? { cluster: { url: cluster.url, node: `s${s}` } } : {}) });
        return (await link.next('listening', START_DEADLINE_MS)).port;
      }),
    );
  } catch (err) {
    await closeAll();
    throw err;
  }
  const pids = [...links.map((link) => link.pid), ...(cluster ? [cluster.pid] : [])];
  const counters = (): Promise<(ClusterCounters | null)[]> =>
    Promise.all(
      links.map(async (link) => {
        link.send({ type: 'counters' });
        return (await link.next('counters', START_DEADLINE_MS)).cluster;
      }),
    );
  return {
    port: ports[0]!,
    ports,
    cpuUs: () => links.reduce((sum, link) => sum + processCpuUs(link.pid), 0),
    cpuParts: () => pids.map(processCpuUs),
    counters,
    async settle(held, deadlineMs, drained) {
      if (!cluster) return;
      const total = held.reduce((a, b) => a + b, 0);
      let seen: number[] = [];
      let published = 0;
      await poll(
        async () => {
          const now = await counters();
          seen = now.map((c) => c?.remotePeers ?? 0);
          published = now.reduce((sum, c) => sum + (c?.published ?? 0), 0);
          // A lone server has no one to learn from, but Redis may still be behind on its joins.
          return seen.every((remote, s) => remote === total - held[s]!) && (await drained(published));
        },
        deadlineMs,
        () => `the cluster did not settle within ${deadlineMs} ms (remote peers ${seen.join(', ')}, expected ${held.map((h) => total - h).join(', ')}; ${published} published)`,
        50,
      );
    },
    close: closeAll,
  };
}
