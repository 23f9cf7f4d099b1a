/**
 * What 10,000 tracked UDP peers cost: heap, and the time of the room's expiry sweep.
 *
 * A UDP server never hears that a peer has gone, so it keeps every address that ever wrote to
 * it until the sweep expires it: a flood of spoofed sources becomes thousands of peers. This
 * measures that state as the server holds it: a Room (fake clock, no-op onEvent, the default
 * limits but maxPeers 0, so its per-IP counts and join buckets are part of it) with 10,000 peers
 * from 10,000 addresses, joined through links shaped like UdpTransport's (address, ip, port,
 * key, owner), plus the transport's own Map keyed `${ip}|${port}`. The baseline is the least
 * any UDP server must keep per source: a Map of `{ address, port, lastSeen }` under the same
 * keys. Heap is read after a full gc (the script re-runs itself with --expose-gc if needed).
 *
 * Then room.sweep() is timed over 10,000 peers: when none expire (median of 20 runs on one
 * room) and when all expire at once (a fresh room each time, median of 5 runs).
 * Targets: under 30 MB extra heap, and a sweep under 5 ms.
 *
 *   node dist/scripts/bench-peers.js [--json] [--peers N]   (N: 10,000 unless given)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lineChannel } from '../src/core/channel.js';
import type { LeaveReason, Peer, PeerLink } from '../src/core/peer.js';
import { Room } from '../src/core/room.js';
import { formatAddress } from '../src/transports/address.js';
import { flags, int, runMain, wantsHelp } from './harness/args.js';
import { median, print, verdict } from './harness/report.js';

const PEERS = 10_000;
const PEER_TIMEOUT_MS = 60_000;
/** Timed sweeps: over one room where none expire, and over fresh rooms where all do. */
const SWEEP_RUNS = { none: 20, all: 5 } as const;
/** The targets: extra heap in MB (10^6 bytes), and the time of one sweep. */
const TARGET = { mb: 30, sweepMs: 5 } as const;
const MB = 1_000_000;
/** Set in the re-spawned child, so a node that ignores --expose-gc cannot loop forever. */
const RESPAWNED = 'UDP_CHAT_BENCH_PEERS_GC';

/** What the run measured. */
export interface PeersResult {
  peers: number;
  memory: {
    room: { bytes: number; mb: number; bytesPerPeer: number };
    baseline: { bytes: number; mb: number; bytesPerPeer: number };
    /** The room's bytes per peer over the baseline's. */
    ratio: number;
  };
  /** Joining every peer (each join is announced to everyone already in: quadratic), in ms. */
  fillMs: number;
  sweep: { noneExpireMs: number; allExpireMs: number; noneRuns: number[]; allRuns: number[] };
  targets: { memory: boolean; sweepNone: boolean; sweepAll: boolean };
}

/** UdpTransport's peer table, as far as its links use it. */
class FakeTransport {
  readonly peers = new Map<string, Peer>();
  forget(key: string): void {
    this.peers.delete(key);
  }
}

const UDP_CHANNEL = lineChannel('udp');

/** The shape of UdpTransport's link (it is private there): what each peer holds on the transport side. */
class FakeUdpLink implements PeerLink {
  readonly channel = UDP_CHANNEL;
  readonly address: string;
  constructor(
    private readonly owner: FakeTransport,
    readonly key: string,
    readonly ip: string,
    readonly port: number,
  ) {
    this.address = formatAddress(ip, port);
  }
  send(_line: Uint8Array): void {}
  close(_reason: LeaveReason): void {
    this.owner.forget(this.key);
  }
}

/** The i-th distinct source: built at run time, as rinfo's strings are, never shared literals. */
function source(i: number): { ip: string; port: number } {
  return { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60_000) };
}

/** A room and its transport table with `count` peers joined, on a clock the caller moves. */
function fillRoom(count: number, clock: () => number): { room: Room; transport: FakeTransport } {
  const room = new Room({ clock, peerTimeoutMs: PEER_TIMEOUT_MS, limits: { maxPeers: 0 }, onEvent: () => {} });
  const transport = new FakeTransport();
  for (let i = 0; i < count; i++) {
    const { ip, port } = source(i);
    const key = `${ip}|${port}`;
    const peer = room.join(new FakeUdpLink(transport, key, ip, port));
    if (!peer) throw new Error(`peer ${i} was refused`);
    transport.peers.set(key, peer);
  }
  return { room, transport };
}

/** The baseline: one small record per source, in a Map under the same key. */
function fillBaseline(count: number): Map<string, { address: string; port: number; lastSeen: number }> {
  const map = new Map<string, { address: string; port: number; lastSeen: number }>();
  for (let i = 0; i < count; i++) {
    const { ip, port } = source(i);
    map.set(`${ip}|${port}`, { address: ip, port, lastSeen: 0 });
  }
  return map;
}

/** Heap in use after full collections. */
function heapUsed(gc: () => void): number {
  // Twice: the first pass can leave objects that only become unreachable after finalizers run.
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap retained by what `build` returns, which is held until after the second reading. */
function retained<T>(gc: () => void, build: () => T): { bytes: number; value: T } {
  const before = heapUsed(gc);
  const value = build();
  const bytes = heapUsed(gc) - before;
  return { bytes, value };
}

/** Times fn once, in milliseconds. */
function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** Runs every measurement; needs a gc function (node --expose-gc). */
export function measurePeers(gc: () => void, peers = PEERS): PeersResult {
  let now = 0;
  const clock = (): number => now;

  // Each structure is held by `retained` until its second reading; the baseline goes after it.
  const base = retained(gc, () => fillBaseline(peers));
  if (base.value.size !== peers) throw new Error(`baseline holds ${base.value.size} sources`);
  base.value.clear();

  const room = retained(gc, () => timed(() => fillRoom(peers, clock)));
  const { room: full, transport } = room.value.value;
  if (full.size !== peers || transport.peers.size !== peers) throw new Error(`room holds ${full.size} peers, the transport ${transport.peers.size}`);

  // Nobody is silent for the timeout yet: the sweep walks the peers (and, the first time, drops
  // the per-IP join buckets, refilled by now).
  now = PEER_TIMEOUT_MS - 1;
  const noneRuns: number[] = [];
  for (let i = 0; i < SWEEP_RUNS.none; i++) {
    gc();
    const run = timed(() => full.sweep());
    if (run.value !== 0) throw new Error(`sweep expired ${run.value} peers, expected none`);
    noneRuns.push(run.ms);
  }

  // Everybody's lastSeen (0) is at the cutoff: all expire, each one announced to those still in.
  const allRuns: number[] = [];
  for (let i = 0; i < SWEEP_RUNS.all; i++) {
    now = 0;
    const fresh = fillRoom(peers, clock);
    now = PEER_TIMEOUT_MS;
    gc();
    const run = timed(() => fresh.room.sweep());
    if (run.value !== peers || fresh.room.size !== 0 || fresh.transport.peers.size !== 0) {
      throw new Error(`sweep expired ${run.value} of ${peers}; ${fresh.room.size} left in the room, ${fresh.transport.peers.size} in the transport`);
    }
    allRuns.push(run.ms);
  }

  const perPeer = (bytes: number): number => bytes / peers;
  const result: PeersResult = {
    peers,
    memory: {
      room: { bytes: room.bytes, mb: room.bytes / MB, bytesPerPeer: perPeer(room.bytes) },
      baseline: { bytes: base.bytes, mb: base.bytes / MB, bytesPerPeer: perPeer(base.bytes) },
      ratio: room.bytes / base.bytes,
    },
    fillMs: room.value.ms,
    sweep: { noneExpireMs: median(noneRuns), allExpireMs: median(allRuns), noneRuns, allRuns },
    targets: { memory: false, sweepNone: false, sweepAll: false },
  };
  result.targets = {
    memory: result.memory.room.mb < TARGET.mb,
    sweepNone: result.sweep.noneExpireMs < TARGET.sweepMs,
    sweepAll: result.sweep.allExpireMs < TARGET.sweepMs,
  };
  return result;
}

function report(r: PeersResult): string {
  const row = (label: string, m: { mb: number; bytesPerPeer: number }): string =>
    `  ${label.padEnd(36)} ${m.mb.toFixed(2).padStart(7)} MB  ${Math.round(m.bytesPerPeer).toString().padStart(6)} B/peer`;
  return [
    `${r.peers.toLocaleString('en-US')} peers, heap retained after gc (1 MB = 10^6 bytes):`,
    row('udp-chat (Room + UDP table)', r.memory.room),
    row('baseline ({address,port,lastSeen})', r.memory.baseline),
    `  ${'udp-chat / baseline'.padEnd(36)} ${r.memory.ratio.toFixed(2).padStart(7)}x`,
    `joining ${r.peers.toLocaleString('en-US')} peers (each join announced to all): ${r.fillMs.toFixed(0)} ms`,
    `room.sweep() over ${r.peers.toLocaleString('en-US')} peers:`,
    `  none expire (median of ${r.sweep.noneRuns.length})       ${r.sweep.noneExpireMs.toFixed(3).padStart(9)} ms  (first run, cold: ${(r.sweep.noneRuns[0] ?? NaN).toFixed(3)} ms)`,
    `  all expire (median of ${r.sweep.allRuns.length})         ${r.sweep.allExpireMs.toFixed(3).padStart(9)} ms`,
    `target: extra heap for ${r.peers.toLocaleString('en-US')} peers < ${TARGET.mb} MB: ${verdict(r.targets.memory)} (${r.memory.room.mb.toFixed(2)} MB)`,
    `target: sweep < ${TARGET.sweepMs} ms, none expire: ${verdict(r.targets.sweepNone)} (${r.sweep.noneExpireMs.toFixed(3)} ms)`,
    `target: sweep < ${TARGET.sweepMs} ms, all expire: ${verdict(r.targets.sweepAll)} (${r.sweep.allExpireMs.toFixed(3)} ms)`,
  ].join('\n');
}

const USAGE = 'node dist/scripts/bench-peers.js [--json] [--peers N]';

function main(): void {
  const args = process.argv.slice(2);
  const v = flags(args, { json: { type: 'boolean' }, peers: { type: 'string' } });
  if (wantsHelp(v)) return;
  const peers = int(v.peers, 'peers', PEERS, 100, 1_000_000);
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    if (process.env[RESPAWNED]) throw new Error('gc is still missing under --expose-gc');
    // Heap readings need a full collection first: run again with gc exposed.
    const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), ...args], {
      stdio: 'inherit',
      env: { ...process.env, [RESPAWNED]: '1' },
    });
    if (child.error) throw child.error;
    process.exitCode = child.status ?? 1;
    return;
  }
  const result = measurePeers(() => gc(), peers);
  print(v.json ?? false, result, () => report(result));
}

runMain(import.meta.url, USAGE, main);
