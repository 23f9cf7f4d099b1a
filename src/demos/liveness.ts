/**
 * `demo liveness`: how each transport notices a peer is gone. A TCP peer whose process ends is
 * noticed at once: its kernel sends FIN (or RST). A UDP peer that goes away sends nothing at all;
 * the server notices only when its heartbeats stop for the peer timeout. A TCP peer whose network
 * vanishes (cable pulled, laptop closed) sends no FIN either: only the same timeout finds it.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { LeaveReason } from '../core/peer.js';
import { startChatServer, type ServerEvent } from '../servers/chat-server.js';
import { tcpConnect, until, type DemoOptions, type DemoResult } from './common.js';

/** One way of leaving, and how long the server took to notice it. */
export interface LivenessRun {
  case: string;
  reason: LeaveReason | 'not noticed';
  /** From when the server last heard the peer (UDP, silent TCP) or the FIN was sent, to the leave. */
  noticedAfterMs: number;
  /** What the peer's going sent the server: a FIN, or nothing at all. */
  signal: 'FIN' | 'none';
  /** The peer's heartbeats (/ping), ms since its first one. */
  heartbeatsMs: number[];
  /** When the peer went (its process ended, its network vanished), and when the server logged it left (NaN: never). */
  goneAtMs: number;
  noticedAtMs: number;
}

const TIMEOUT_MS = 1000;
const HEARTBEATS = 3;
const HEARTBEAT_MS = 200;

/** Runs the liveness demo with a short peer timeout. */
export async function livenessDemo(_options: DemoOptions = {}): Promise<DemoResult> {
  const events: Array<{ at: number; event: ServerEvent }> = [];
  const server = await startChatServer({
    transport: 'both',
    host: '127.0.0.1',
    port: 0,
    peerTimeoutMs: TIMEOUT_MS,
    sweepIntervalMs: 20,
    onEvent: (event) => events.push({ at: performance.now(), event }),
  });
  const leftAt = async (name: string): Promise<{ at: number; reason: LeaveReason } | null> => {
    const find = () => events.find((e) => e.event.type === 'leave' && e.event.peer.name === name);
    await until(() => find() !== undefined, TIMEOUT_MS * 3);
    const hit = find();
    return hit && hit.event.type === 'leave' ? { at: hit.at, reason: hit.event.reason } : null;
  };
  const joined = (name: string) => until(() => server.room.find(name) !== undefined, 2000);
  const runs: LivenessRun[] = [];
  // A few heartbeats, as `udp-chat chat` sends /ping, so the picture shows them stop. Returns when
  // the next one would be due, and the heartbeats' times from `t0`.
  const beat = async (send: () => void, t0: number): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < HEARTBEATS; i++) {
      times.push(Math.round(performance.now() - t0));
      send();
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
    }
    return times;
  };
  const record = async (label: string, name: string, signal: 'FIN' | 'none', t0: number, heartbeatsMs: number[], goneAt: number, from: number) => {
    const left = await leftAt(name);
    runs.push({
      case: label,
      reason: left?.reason ?? 'not noticed',
      noticedAfterMs: left ? Math.round(left.at - from) : NaN,
      signal,
      heartbeatsMs,
      goneAtMs: Math.round(goneAt - t0),
      noticedAtMs: left ? Math.round(left.at - t0) : NaN,
    });
  };
  const lastHeard = (name: string) => server.room.find(name)?.lastSeen ?? performance.now();
  try {
    // TCP, the process ends: its socket is closed by the kernel, which sends FIN.
    const ended = await tcpConnect(server.port);
    ended.write('/nick tcp-ended\n');
    await joined('tcp-ended');
    const t1 = performance.now();
    const beats1 = await beat(() => ended.write('/ping\n'), t1);
    const endedAt = performance.now();
    ended.destroy();
    await record('TCP peer, process ended (FIN)', 'tcp-ended', 'FIN', t1, beats1, endedAt, endedAt);

    // TCP, the network vanishes: the connection stays open, nothing more arrives.
    const silent = await tcpConnect(server.port);
    silent.write('/nick tcp-silent\n');
    await joined('tcp-silent');
    const t2 = performance.now();
    const beats2 = await beat(() => silent.write('/ping\n'), t2);
    const silentAt = performance.now();
    await record('TCP peer, network gone (no FIN)', 'tcp-silent', 'none', t2, beats2, silentAt, lastHeard('tcp-silent'));
    silent.destroy();

    // UDP, the process ends: nothing is sent at all. Only the missing heartbeats tell.
    const udp = dgram.createSocket('udp4');
    udp.connect(server.port, '127.0.0.1');
    await once(udp, 'connect');
    udp.send('/nick udp-ended');
    await joined('udp-ended');
    const t3 = performance.now();
    const beats3 = await beat(() => udp.send('/ping'), t3);
    const udpGoneAt = performance.now();
    const udpHeard = lastHeard('udp-ended');
    udp.close();
    await record('UDP peer, process ended', 'udp-ended', 'none', t3, beats3, udpGoneAt, udpHeard);
  } finally {
    await server.close();
  }
  return {
    demo: 'liveness',
    title: `how the server notices a peer is gone (peer timeout ${TIMEOUT_MS}ms)`,
    columns: ['case', 'logged as', 'noticed after'],
    rows: runs.map((r) => [r.case, `left (${r.reason})`, Number.isNaN(r.noticedAfterMs) ? '-' : `${r.noticedAfterMs} ms`]),
    explanation: [
      'TCP: when a peer\'s process ends, its kernel closes the connection (FIN, or RST): the server',
      'reads end-of-stream and knows at once. UDP has no connection: a peer that is gone simply sends',
      'nothing more, so the server can only wait for the peer timeout to pass without a heartbeat.',
      'A TCP peer whose network vanishes sends no FIN either; without heartbeats (or TCP keepalive,',
      'which waits two hours by default) the connection would look alive forever. That is why',
      'udp-chat times out idle TCP peers too, and why `udp-chat chat` sends /ping.',
    ],
    data: { timeoutMs: TIMEOUT_MS, heartbeatMs: HEARTBEAT_MS, runs },
  };
}
