/**
 * The UDP side of the impairment proxy. Each client gets its own upstream socket, so the server
 * behind still sees each client as its own peer (a shared socket would merge them into one).
 * Datagrams pass through a UdpPolicy per direction; delayed ones wait on a timer.
 *
 * A socket is a file descriptor, and a client is only a source address, which anyone can forge:
 * so the table is capped (the least recently seen client gives up its socket) and new clients
 * are rate-limited per source prefix, so a flood of forged sources can neither exhaust the
 * process's files nor churn the honest clients out of the table.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { udpType } from '../transports/address.js';
import { Held } from '../transports/held.js';
import { flipBit, NO_IMPAIRMENT, seededPolicy, type PolicyCounters, type UdpImpairment, type Verdict } from '../transports/policy.js';
import { listening } from '../transports/bind.js';
import { PrefixLimiter } from '../transports/prefix-limiter.js';
import { PROXY_LIMITS } from '../core/limits.js';

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
  /** Most clients at once; past it the least recently seen one loses its socket (default PROXY_LIMITS; 0: no limit). */
  maxClients?: number;
  /** New clients a second per source /24 or /56, bursts of as many (default PROXY_LIMITS; 0: no limit). */
  newClientsPerSecond?: number;
  /** Told each decision as it is made (the demos draw what the proxy did to each datagram). */
  onVerdict?: (direction: 'in' | 'out', datagram: Uint8Array, verdict: Verdict) => void;
}

interface Client {
  upstream: dgram.Socket;
  /** True once the upstream socket is connected; false if it was closed first. */
  ready: Promise<boolean>;
  lastSeen: number;
  gone: boolean;
}

/** What the proxy did with clients, beside what each direction's policy did. */
export interface ClientCounters {
  /** Clients mapped now (one upstream socket each). */
  clients: number;
  /** Clients that lost their socket to a newer one, the table being full. */
  clientsEvicted: number;
  /** Datagrams from a new source dropped because its prefix was over the new-client rate. */
  newClientsRefused: number;
}

/** A running UDP proxy. */
export interface UdpProxy {
  readonly port: number;
  readonly address: AddressInfo;
  /** What each direction's policy did, and how many clients are mapped. */
  counters(): { in: PolicyCounters; out: PolicyCounters; sendErrors: number } & ClientCounters;
  close(): Promise<void>;
}

async function bound(socket: dgram.Socket, port: number, host: string): Promise<void> {
  await listening(socket, (s) => s.bind(port, host));
}

/** Starts a UDP impairment proxy. */
export async function startUdpProxy(o: UdpProxyOptions): Promise<UdpProxy> {
  // Each direction has its own generators, so what happens to replies does not shift the draws
  // that decide the requests: a seed reproduces each direction on its own.
  const policies = {
    in: seededPolicy(o.direction === 'out' ? NO_IMPAIRMENT : o.impairment, o.seed),
    out: seededPolicy(o.direction === 'in' ? NO_IMPAIRMENT : o.impairment, o.seed + 1),
  };
  const listener = dgram.createSocket(udpType(o.listenHost));
  await bound(listener, o.listenPort, o.listenHost);
  // Datagrams a delay holds back are bounded in bytes, as the echo's: past it they are queue drops.
  const held = new Held(PROXY_LIMITS.heldBytes);
  let sendErrors = 0;
  let closed = false;
  const countError = () => {
    sendErrors += 1;
  };
  listener.on('error', countError);

  const pass = (direction: 'in' | 'out', msg: Buffer, send: (bytes: Uint8Array) => void) => {
    const policy = policies[direction];
    const verdict = policy.decide(msg.length, performance.now());
    o.onVerdict?.(direction, msg, verdict);
    if (verdict.kind === 'drop') return;
    const bytes = verdict.corruptBit === undefined ? msg : flipBit(msg, verdict.corruptBit);
    if (!held.hold(verdict.delays, bytes, send)) policy.notSent();
  };

  const maxClients = o.maxClients ?? PROXY_LIMITS.maxClients;
  const newClients = new PrefixLimiter(o.newClientsPerSecond ?? PROXY_LIMITS.newClientsPerPrefix, () => performance.now());
  // In order of last datagram, least recent first (a Map keeps insertion order: each datagram
  // moves its client to the end), so eviction and the idle sweep both start at the front.
  const clients = new Map<string, Client>();
  let clientsEvicted = 0;
  let newClientsRefused = 0;

  const forget = (key: string, client: Client) => {
    clients.delete(key);
    client.gone = true;
    client.upstream.close();
  };

  const open = (ip: string, port: number): Client => {
    const upstream = dgram.createSocket(udpType(o.targetHost));
    upstream.on('error', countError);
    upstream.on('message', (reply) => pass('out', reply, (bytes) => listener.send(bytes, port, ip)));
    // False when the socket was closed (evicted) before it connected: its queued datagrams are
    // dropped with it, counted as the eviction.
    const ready = new Promise<boolean>((resolve) => {
      upstream.once('connect', () => resolve(true));
      upstream.once('close', () => resolve(false));
    });
    upstream.connect(o.targetPort, o.targetHost);
    return { upstream, ready, lastSeen: performance.now(), gone: false };
  };

  listener.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let client = clients.get(key);
    if (client) clients.delete(key);
    else {
      if (!newClients.allow(rinfo.address)) {
        newClientsRefused += 1;
        return;
      }
      if (maxClients > 0 && clients.size >= maxClients) {
        const [oldestKey, oldest] = clients.entries().next().value!;
        forget(oldestKey, oldest);
        clientsEvicted += 1;
      }
      client = open(rinfo.address, rinfo.port);
    }
    clients.set(key, client);
    client.lastSeen = performance.now();
    const c = client;
    // Datagrams that arrive while the socket is still connecting wait in order on `ready`.
    void c.ready.then((connected) => {
      if (connected)
        pass('in', msg, (bytes) => {
          if (!closed && !c.gone) c.upstream.send(bytes);
        });
    });
  });

  const idleMs = o.idleMs ?? 120_000;
  const sweeper = setInterval(
    () => {
      const cutoff = performance.now() - idleMs;
      for (const [key, client] of clients) {
        if (client.lastSeen >= cutoff) break;
        forget(key, client);
      }
    },
    Math.min(idleMs, 10_000),
  );

  const address = listener.address();
  return {
    port: address.port,
    address,
    counters: () => ({ in: { ...policies.in.counters }, out: { ...policies.out.counters }, clients: clients.size, clientsEvicted, newClientsRefused, sendErrors }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      held.close();
      const closing = [...clients.values()].map((c) => new Promise<void>((resolve) => c.upstream.close(() => resolve())));
      closing.push(new Promise<void>((resolve) => listener.close(() => resolve())));
      await Promise.all(closing);
    },
  };
}
