/**
 * The UDP side of the impairment proxy. Each client gets its own upstream socket, so the server
 * behind still sees each client as its own peer (a shared socket would merge them into one).
 * Datagrams pass through a UdpPolicy per direction; delayed ones wait on a timer.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { udpType } from '../transports/address.js';
import { UdpPolicy, type PolicyCounters, type UdpImpairment } from './policy.js';
import { seededRandom } from './random.js';
import { listening } from '../transports/bind.js';

/** Which way impairments apply: `in` is client to server, `out` server to client. */
export type Direction = 'in' | 'out' | 'both';

export interface UdpProxyOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  impairment: UdpImpairment;
  direction: Direction;
  seed: number;
  /** A client silent this long loses its upstream socket (default 2 minutes). */
  idleMs?: number;
}

interface Client {
  upstream: dgram.Socket;
  lastSeen: number;
}

/** A running UDP proxy. */
export interface UdpProxy {
  readonly port: number;
  readonly address: AddressInfo;
  /** What each direction's policy did, and how many clients are mapped. */
  counters(): { in: PolicyCounters; out: PolicyCounters; clients: number; sendErrors: number };
  close(): Promise<void>;
}

async function bound(socket: dgram.Socket, port: number, host: string): Promise<void> {
  await listening(socket, (s) => s.bind(port, host));
}

/** Starts a UDP impairment proxy. */
export async function startUdpProxy(o: UdpProxyOptions): Promise<UdpProxy> {
  const passThrough = { ...o.impairment, loss: 0, delayMs: 0, jitterMs: 0, reorder: 0, duplicate: 0, rateBytesPerSec: 0 };
  // Each direction has its own generator, so what happens to replies does not shift the draws
  // that decide the requests: a seed reproduces each direction on its own.
  const policies = {
    in: new UdpPolicy(o.direction === 'out' ? passThrough : o.impairment, seededRandom(o.seed)),
    out: new UdpPolicy(o.direction === 'in' ? passThrough : o.impairment, seededRandom(o.seed + 1)),
  };
  const listener = dgram.createSocket(udpType(o.listenHost));
  await bound(listener, o.listenPort, o.listenHost);
  const clients = new Map<string, Client>();
  const timers = new Set<NodeJS.Timeout>();
  let sendErrors = 0;
  let closed = false;
  const countError = () => {
    sendErrors += 1;
  };
  listener.on('error', countError);

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, ms);
    timers.add(timer);
  };
  const pass = (policy: UdpPolicy, msg: Buffer, send: () => void) => {
    const verdict = policy.decide(msg.length, performance.now());
    if (verdict.kind === 'drop') return;
    for (const delay of verdict.delays) later(delay, send);
  };

  const upstreamFor = async (ip: string, port: number): Promise<Client> => {
    const key = `${ip}|${port}`;
    let client = clients.get(key);
    if (client) return client;
    const upstream = dgram.createSocket(udpType(o.targetHost));
    client = { upstream, lastSeen: performance.now() };
    clients.set(key, client);
    upstream.on('error', countError);
    upstream.on('message', (reply) => pass(policies.out, reply, () => listener.send(reply, port, ip)));
    upstream.connect(o.targetPort, o.targetHost);
    await once(upstream, 'connect');
    return client;
  };

  // Datagrams that arrive while a client's upstream socket is still connecting wait in order.
  const pending = new Map<string, Promise<Client>>();
  listener.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    const ready = pending.get(key) ?? upstreamFor(rinfo.address, rinfo.port);
    pending.set(key, ready);
    void ready.then((client) => {
      client.lastSeen = performance.now();
      pass(policies.in, msg, () => {
        if (!closed) client.upstream.send(msg);
      });
    }, countError);
  });

  const idleMs = o.idleMs ?? 120_000;
  const sweeper = setInterval(
    () => {
      const cutoff = performance.now() - idleMs;
      for (const [key, client] of clients) {
        if (client.lastSeen < cutoff) {
          clients.delete(key);
          pending.delete(key);
          client.upstream.close();
        }
      }
    },
    Math.min(idleMs, 10_000),
  );

  const address = listener.address();
  return {
    port: address.port,
    address,
    counters: () => ({ in: { ...policies.in.counters }, out: { ...policies.out.counters }, clients: clients.size, sendErrors }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const timer of timers) clearTimeout(timer);
      const closing = [...clients.values()].map((c) => new Promise<void>((resolve) => c.upstream.close(() => resolve())));
      closing.push(new Promise<void>((resolve) => listener.close(() => resolve())));
      await Promise.all(closing);
    },
  };
}
