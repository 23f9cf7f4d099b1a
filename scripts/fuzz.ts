/**
 * A fuzz run against a live room: hostile and broken peers thrown at a `transport: 'both'` server
 * while two honest peers exchange numbered sequences, all on 127.0.0.1 and bounded in time and
 * in what the attackers may send.
 *
 * The server runs in this process with the default limits of a room on the LAN (DEFAULT_LIMITS:
 * it stands for one, though bound to loopback, whose own defaults let messages through faster),
 * except two: every attacker comes from 127.0.0.1, as the honest peers do, so the per-address
 * limits are raised to fit them (maxPeersPerIp ATTACKER_PEERS_PER_IP, joinsPerIpPerMinute
 * ATTACKER_JOINS_PER_MINUTE); with the defaults, the attackers would fill 127.0.0.1's quota and
 * the fuzz would test that limit alone.
 *
 * Honest peers: `honest-udp` and `honest-tcp` each send a numbered sequence (seq=i/N, formatSeq)
 * at HONEST_RATE a second, under the message rate limit; `rx-udp` and `rx-tcp` only listen. Each
 * of the four counts what it gets of the two sequences (SeqStats).
 *
 * Attackers (a seeded PRNG picks each action): random datagrams (random bytes, 0 to 65507 of
 * them, sometimes behind a command), UDP floods past the rate limit, full-size chat within it
 * (what fans out to every reader), /who and /help floods,
 * UDP sockets that vanish (the server keeps sending to a closed port), random TCP streams,
 * lines of up to a megabyte with no newline, CRLF storms, TCP floods, slow readers (connections
 * that pause and never read while the floods fan out to them), and abrupt disconnects (half a
 * line, then an RST).
 *
 * Checks, each printed, exit 0 when all pass and 1 otherwise:
 * - the honest TCP sequence arrives whole and in order at rx-tcp, and whole at rx-udp;
 * - the honest UDP sequence arrives whole at both receivers (loopback; any loss is reported);
 * - the process's heap grows by less than HEAP_GROWTH_LIMIT_MB (sampled every second; the server,
 *   the honest peers and the attackers share this process, so this bounds the server's share);
 * - the counters account for every message (the identities below).
 *
 * The accounting identities, checked once the traffic has stopped:
 *   room  Σ traffic.messagesIn = handled + drops.rateLimited + drops.tooLong + drops.notAdmitted
 *         (every message the room took in was acted on, or dropped for a counted reason);
 *   udp   datagrams the server's socket read = traffic.udp.messagesIn + UDP joins turned away
 *         (+ drops.denied + drops.unvalidated, both 0 here: no rules, an open loopback room);
 *   tcp   messages framed from what each peer connection delivered (an independent line framer
 *         on the same bytes) = traffic.tcp.messagesIn + drops.afterLeave, read once the server
 *         has closed (bytes a flooding peer has sent and the server has not read yet are not
 *         messages; what it has read and not yet handed to the room is, counted when it leaves).
 * Datagrams the attackers sent that the server never read were dropped by the kernel (a full
 * receive buffer under the flood): reported, not a failure, since no server can count them.
 *
 * The seed fixes the generator the attackers draw from, not the timing: actions run concurrently
 * with real sockets, so the order in which they draw (after their first await) and how they
 * interleave with the server's reads vary, and two runs with one seed make the same mix of
 * attacks, not the same counts.
 * Slow readers are dropped (`notReading`) once the fan-out has filled their kernel buffers and
 * 256 KiB more, which takes more than 10 seconds of this load on some machines: try --seconds 30.
 *
 *   node dist/scripts/fuzz.js [--seconds N] [--seed S] [--json]   (N: 1 to 600, default 10; S: 0 to 2^32-1, default fresh)
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { openConnection, type Connection } from '../src/client/connection.js';
import { formatSeq, parseSeq, SeqStats, wallClockMs, type SeqResult } from '../src/client/seq-stats.js';
import { DEFAULT_LIMITS, type Limits } from '../src/core/limits.js';
import { freshSeed, seededRandom, type Random } from '../src/transports/random.js';
import { startChatServer, type ChatServer, type ServerCounters } from '../src/servers/chat-server.js';
import { createDeframer } from '../src/transports/framing.js';
import { flags, int, runMain, wantsHelp } from './harness/args.js';
import { keyValues, print } from './harness/report.js';
import { HOST } from './harness/sockets.js';
import type { TrustCheck } from './trust/scenario.js';
import { SCENARIOS } from './trust/scenarios.js';

const ATTACKER_PEERS_PER_IP = 250;
const ATTACKER_JOINS_PER_MINUTE = 5000;
/** Honest messages a second per sender: under the default rate of 10. */
const HONEST_RATE = 8;
/** Caps on what the attackers may do in one run, whatever its length. */
const MAX_DATAGRAMS = 150_000;
const MAX_CONNECTIONS = 600;
const MAX_SLOW_READERS = 8;
const UDP_POOL = 40;
const HEAP_GROWTH_LIMIT_MB = 100;
/** How long the honest peers get, after the attacks stop, for their last lines to arrive. */
const DRAIN_MS = 3000;
const MB = 1024 * 1024;

const USAGE = 'node dist/scripts/fuzz.js [--seconds N] [--seed S] [--json]';

interface Options {
  seconds: number;
  seed: number;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options | null {
  const v = flags(argv, { seconds: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } });
  if (wantsHelp(v)) return null;
  return { seconds: int(v.seconds, 'seconds', 10, 1, 600), seed: v.seed === undefined ? freshSeed() : int(v.seed, 'seed', 0, 0, 2 ** 32 - 1), json: v.json ?? false };
}

/** What the attackers did, by kind. */
interface AttackTally {
  actions: Record<string, number>;
  /** Datagrams sent (the cap counts these), and those the kernel took (the send callback said so). */
  datagrams: number;
  datagramsTaken: number;
  datagramBytes: number;
  connections: number;
  tcpBytes: number;
  resets: number;
  slowReaders: number;
}

/** An honest peer: its connection and what it counted of each sender's sequence. */
interface Honest {
  name: string;
  connection: Connection;
  stats: Map<string, SeqStats>;
  /** Messages sent, so the datagrams the server did not read can be told. */
  sent: number;
  send(text: string): void;
}

const NASTY = [0x00, 0x07, 0x08, 0x0a, 0x0d, 0x1b, 0x5b, 0x5d, 0x7f, 0x9b, 0xc2, 0xe2, 0x80, 0xae, 0xff, 0x7c, 0x20, 0x2f];
const PREFIXES = ['', '/nick ', '/msg ', 'to|', 'rename|', '/who', '/join ', '/ping ', '/help', '//', '/quit', 'quit'];

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = random() < 0.6 ? Math.floor(random() * 256) : NASTY[Math.floor(random() * NASTY.length)]!;
  return out;
}

/** A random message: mostly small, sometimes up to the largest UDP payload. */
function randomMessage(random: Random): Buffer {
  const r = random();
  const length = r < 0.7 ? Math.floor(random() * 200) : r < 0.93 ? 200 + Math.floor(random() * 1300) : 1500 + Math.floor(random() * (65507 - 1500));
  const prefix = random() < 0.3 ? Buffer.from(PREFIXES[Math.floor(random() * PREFIXES.length)]!) : Buffer.alloc(0);
  const body = random() < 0.2 ? Buffer.from('x'.repeat(length)) : randomBytes(random, length);
  return Buffer.concat([prefix, body]).subarray(0, 65507);
}

async function bindUdp(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  // Attackers never read what the room sends them: let the kernel drop it.
  socket.bind(0, HOST);
  await once(socket, 'listening');
  return socket;
}

/** Connects the honest peers and names them. */
async function honestPeer(server: ChatServer, name: string, transport: 'udp' | 'tcp'): Promise<Honest> {
  const connection = await openConnection({ host: HOST, port: server.port, transport });
  const stats = new Map<string, SeqStats>();
  let named = false;
  connection.on('line', (line) => {
    if (line.endsWith(` is now ${name}`)) named = true;
    const chat = /^<([^>]+)> /.exec(line);
    if (!chat) return;
    const seq = parseSeq(line.slice(chat[0].length));
    if (!seq) return;
    let s = stats.get(chat[1]!);
    if (!s) stats.set(chat[1]!, (s = new SeqStats()));
    s.add(seq, wallClockMs());
  });
  connection.on('error', () => {});
  const peer: Honest = {
    name,
    connection,
    stats,
    sent: 0,
    send(text) {
      peer.sent += 1;
      connection.send(text);
    },
  };
  const deadline = Date.now() + 3000;
  while (!named) {
    if (Date.now() > deadline) throw new Error(`${name} could not join`);
    peer.send(`/nick ${name}`);
    await delay(50);
  }
  return peer;
}

class Attackers {
  readonly tally: AttackTally = { actions: {}, datagrams: 0, datagramsTaken: 0, datagramBytes: 0, connections: 0, tcpBytes: 0, resets: 0, slowReaders: 0 };
  /** The addresses of every UDP socket an attacker used, to tell the UDP joins turned away. */
  readonly udpAddresses = new Set<string>();
  private readonly pool: dgram.Socket[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly slow = new Set<net.Socket>();

  constructor(
    private readonly random: Random,
    private readonly port: number,
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < UDP_POOL; i++) this.pool.push(await this.fresh());
  }

  private async fresh(): Promise<dgram.Socket> {
    const socket = await bindUdp();
    this.udpAddresses.add(`${HOST}:${socket.address().port}`);
    return socket;
  }

  get exhausted(): boolean {
    return this.tally.datagrams >= MAX_DATAGRAMS && this.tally.connections >= MAX_CONNECTIONS;
  }

  private pick(): dgram.Socket {
    return this.pool[Math.floor(this.random() * this.pool.length)]!;
  }

  private datagram(socket: dgram.Socket, bytes: Buffer): void {
    if (this.tally.datagrams >= MAX_DATAGRAMS) return;
    this.tally.datagrams += 1;
    this.tally.datagramBytes += bytes.length;
    // A send on a socket another action has just closed fails: only those the kernel took count below.
    try {
      socket.send(bytes, this.port, HOST, (err) => {
        if (!err) this.tally.datagramsTaken += 1;
      });
    } catch {
      // ERR_SOCKET_DGRAM_NOT_RUNNING: closed under us.
    }
  }

  private connect(): net.Socket | null {
    if (this.tally.connections >= MAX_CONNECTIONS) return null;
    this.tally.connections += 1;
    const socket = net.connect({ host: HOST, port: this.port });
    socket.on('error', () => {});
    // Attackers read what they are sent (and drop it) unless they play the slow reader.
    socket.on('data', () => {});
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.slow.delete(socket);
    });
    return socket;
  }

  private write(socket: net.Socket, bytes: Buffer | string): void {
    if (socket.destroyed) return;
    this.tally.tcpBytes += Buffer.byteLength(bytes);
    socket.write(bytes);
  }

  /** Does one thing hostile or broken, picked by the PRNG. */
  async act(): Promise<void> {
    const r = this.random();
    const kind =
      r < 0.25 ? 'datagram' : r < 0.33 ? 'udp-flood' : r < 0.43 ? 'chatter' : r < 0.46 ? 'who-flood' : r < 0.49 ? 'udp-vanish' : r < 0.59 ? 'tcp-random' : r < 0.62 ? 'tcp-huge-line' : r < 0.65 ? 'tcp-crlf-storm' : r < 0.75 ? 'tcp-flood' : r < 0.8 ? 'slow-reader' : 'abrupt-disconnect';
    this.tally.actions[kind] = (this.tally.actions[kind] ?? 0) + 1;
    if (kind.startsWith('tcp-') || kind === 'slow-reader' || kind === 'abrupt-disconnect') return this.actTcp(kind);
    return this.actUdp(kind);
  }

  /** The UDP actions: datagrams from the pool's sockets. */
  private async actUdp(kind: string): Promise<void> {
    const random = this.random;
    switch (kind) {
      case 'datagram':
        this.datagram(this.pick(), randomMessage(random));
        return;
      case 'udp-flood': {
        // Past the burst of 30: the rest are rate-limited; sized to fit a default socket buffer.
        const socket = this.pick();
        const n = 40 + Math.floor(random() * 80);
        for (let i = 0; i < n; i++) this.datagram(socket, Buffer.from(`flood ${i} ${'z'.repeat(Math.floor(random() * 100))}`));
        return;
      }
      case 'chatter': {
        // Full-size lines within the rate limit: what fans out to every reader, slow ones included.
        const socket = this.pick();
        for (let i = 0; i < 5; i++) this.datagram(socket, Buffer.from(`chatter ${i} ${'c'.repeat(1150)}`));
        return;
      }
      case 'who-flood': {
        const socket = this.pick();
        for (let i = 0; i < 20; i++) this.datagram(socket, Buffer.from(i % 3 === 0 ? '/help' : '/who'));
        return;
      }
      case 'udp-vanish': {
        const i = Math.floor(random() * this.pool.length);
        const old = this.pool[i]!;
        this.datagram(old, Buffer.from('here one moment'));
        this.pool[i] = await this.fresh();
        // After the datagram left: the room now sends to a closed port (ICMP port unreachable).
        await delay(1);
        old.close();
        return;
      }
    }
  }

  /** The TCP actions, each on a connection of its own (none once MAX_CONNECTIONS are used). */
  private async actTcp(kind: string): Promise<void> {
    if (kind === 'slow-reader' && this.slow.size >= MAX_SLOW_READERS) return;
    const socket = this.connect();
    if (!socket) return;
    const random = this.random;
    switch (kind) {
      case 'tcp-random': {
        const chunks = 2 + Math.floor(random() * 8);
        for (let i = 0; i < chunks; i++) this.write(socket, randomBytes(random, Math.floor(random() * 4000)));
        await delay(Math.floor(random() * 50));
        if (random() < 0.5) socket.end();
        else this.reset(socket);
        return;
      }
      case 'tcp-huge-line': {
        const chunks = 1 + Math.floor(random() * 16);
        for (let i = 0; i < chunks; i++) this.write(socket, Buffer.alloc(64 * 1024, 0x41 + (i % 26)));
        this.write(socket, '\nafter the huge line\n');
        socket.end();
        return;
      }
      case 'tcp-crlf-storm': {
        this.write(socket, '\r\n'.repeat(5000 + Math.floor(random() * 20_000)));
        socket.end();
        return;
      }
      case 'tcp-flood': {
        const n = 100 + Math.floor(random() * 900);
        const lines: string[] = [];
        for (let i = 0; i < n; i++) lines.push(`tcp flood ${i} ${'y'.repeat(Math.floor(random() * 1100))}`);
        // Sometimes a /quit in the middle: what follows it in the stream is read after the peer left.
        if (random() < 0.3) lines.splice(Math.floor(random() * 25), 0, '/quit');
        this.write(socket, lines.join('\n') + '\n');
        await delay(Math.floor(random() * 200));
        socket.end();
        return;
      }
      case 'slow-reader': {
        this.tally.slowReaders += 1;
        this.slow.add(socket);
        // It joins and never reads again: the floods fan out to it until the server drops it.
        socket.pause();
        socket.removeAllListeners('data');
        this.write(socket, '/nick slow\n');
        return;
      }
      case 'abrupt-disconnect': {
        await once(socket, 'connect', { signal: AbortSignal.timeout(2000) }).catch(() => {});
        this.write(socket, `/nick ab${Math.floor(random() * 1000)}\nhalf a li`);
        await delay(Math.floor(random() * 20));
        this.reset(socket);
        return;
      }
    }
  }

  private reset(socket: net.Socket): void {
    if (socket.destroyed) return;
    this.tally.resets += 1;
    socket.resetAndDestroy();
  }

  /** Stops everything: every socket closed. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.pool.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Counts what the server reads, beside its own listeners: datagrams, and the messages framed from each TCP peer. */
function tapServer(server: ChatServer) {
  const tap = { datagrams: 0, tcpFramed: 0, tcpTurnedAway: 0, tcpDenied: 0 };
  server.transports.udp!.socket.on('message', () => {
    tap.datagrams += 1;
  });
  // Added after the transport's own 'connection' listener, so it runs after the transport has
  // decided: a peer's socket has the transport's 'data' listener; one turned away has none and
  // is never read, so it is not read here either.
  server.transports.tcp!.server.on('connection', (socket: net.Socket) => {
    if (socket.destroyed) {
      tap.tcpDenied += 1;
      return;
    }
    if (socket.listenerCount('data') === 0) {
      tap.tcpTurnedAway += 1;
      return;
    }
    const deframer = createDeframer('line', server.room.limits.maxMessageBytes);
    socket.on('data', (chunk: Buffer) => {
      tap.tcpFramed += deframer.push(chunk).length;
    });
    socket.on('end', () => {
      tap.tcpFramed += deframer.end().length;
    });
  });
  return tap;
}

interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

function seqLine(s: SeqResult | undefined, expected: number): string {
  if (!s) return `0/${expected} received`;
  return `${s.received}/${expected} received, lost ${s.lost}, out of order ${s.outOfOrder}, duplicates ${s.duplicates}` + (s.latency ? `, p99 ${s.latency.p99.toFixed(1)} ms` : '');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const random = seededRandom(options.seed);
  const limits: Partial<Limits> = {
    messageBurst: DEFAULT_LIMITS.messageBurst,
    messageRate: DEFAULT_LIMITS.messageRate,
    maxPeersPerIp: ATTACKER_PEERS_PER_IP,
    joinsPerIpPerMinute: ATTACKER_JOINS_PER_MINUTE,
  };
  // Turned-away joins, told apart by transport from the addresses they came from.
  const turnedAway: string[] = [];
  const server = await startChatServer({
    host: HOST,
    port: 0,
    transport: 'both',
    limits,
    onEvent: (e) => {
      if (e.type === 'error' && e.code === 'ERR_ROOM_FULL') turnedAway.push(e.message.slice(e.message.lastIndexOf(' ') + 1));
    },
  });
  const tap = tapServer(server);
  const memory: Array<{ at: number; rss: number; heap: number }> = [];
  const sample = () => {
    const m = process.memoryUsage();
    memory.push({ at: performance.now(), rss: m.rss, heap: m.heapUsed });
  };
  sample();
  const sampler = setInterval(sample, 1000);

  const honest = [await honestPeer(server, 'honest-udp', 'udp'), await honestPeer(server, 'honest-tcp', 'tcp'), await honestPeer(server, 'rx-udp', 'udp'), await honestPeer(server, 'rx-tcp', 'tcp')];
  const [udpSender, tcpSender, rxUdp, rxTcp] = honest as [Honest, Honest, Honest, Honest];
  const total = options.seconds * HONEST_RATE;
  let sent = 0;
  const began = performance.now();
  // Both senders on one timer: a line each per tick, HONEST_RATE ticks a second.
  const honestDone = new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      sent += 1;
      for (const sender of [udpSender, tcpSender]) sender.send(formatSeq(sent, total, wallClockMs(), sender.name));
      if (sent === total) {
        clearInterval(tick);
        resolve();
      }
    }, 1000 / HONEST_RATE);
  });
  // Heartbeats are not needed within a run shorter than the peer timeout; a long run gets them.
  const beat = setInterval(() => {
    for (const h of honest) h.send('/ping hb');
  }, server.room.peerTimeoutMs / 3);

  const attackers = new Attackers(random, server.port);
  await attackers.start();
  const attackUntil = began + options.seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() < attackUntil && !attackers.exhausted) {
    const action = attackers.act().catch(() => {});
    inFlight.add(action);
    void action.finally(() => inFlight.delete(action));
    // A breath between actions, so the server (in this same process) reads its sockets.
    await delay(random() < 0.5 ? 0 : 2);
  }
  await honestDone;
  await Promise.all(inFlight);
  const attackMs = performance.now() - began;

  // The honest peers' last lines get DRAIN_MS to arrive.
  const complete = () => [rxUdp, rxTcp].every((rx) => [udpSender, tcpSender].every((s) => (rx.stats.get(s.name)?.result().received ?? 0) >= total));
  const drainDeadline = performance.now() + DRAIN_MS;
  while (!complete() && performance.now() < drainDeadline) await delay(20);
  await attackers.close();
  // Quiet: the counters are read once nothing has moved them for 200 ms. Not the TCP side: a
  // flooding peer is read at its message rate, so its lines may trickle in for a long while
  // (the TCP identity is checked once the server has closed, below).
  let last = '';
  for (let i = 0; i < 50; i++) {
    const k = server.counters();
    const now = JSON.stringify([k.traffic.udp, k.rejected, k.drops.denied, k.drops.unvalidated, tap.datagrams]);
    if (now === last) break;
    last = now;
    await delay(200);
  }
  clearInterval(beat);
  clearInterval(sampler);
  sample();

  const c: ServerCounters = server.counters();
  const udpTurnedAway = turnedAway.filter((a) => attackers.udpAddresses.has(a) || honest.some((h) => h.connection.transport === 'udp' && h.connection.local === a)).length;
  const messagesIn = Object.values(c.traffic).reduce((n, t) => n + t.messagesIn, 0);
  const checks: Check[] = [];
  const seqOf = (rx: Honest, sender: Honest) => rx.stats.get(sender.name)?.result();
  const tcpAtTcp = seqOf(rxTcp, tcpSender);
  const tcpAtUdp = seqOf(rxUdp, tcpSender);
  const udpAtTcp = seqOf(rxTcp, udpSender);
  const udpAtUdp = seqOf(rxUdp, udpSender);
  checks.push({ name: 'honest TCP sequence at rx-tcp: whole and in order', pass: tcpAtTcp?.received === total && tcpAtTcp.outOfOrder === 0 && tcpAtTcp.duplicates === 0, detail: seqLine(tcpAtTcp, total) });
  checks.push({ name: 'honest TCP sequence at rx-udp: whole', pass: tcpAtUdp?.received === total, detail: seqLine(tcpAtUdp, total) });
  checks.push({ name: 'honest UDP sequence at rx-tcp: whole', pass: udpAtTcp?.received === total, detail: seqLine(udpAtTcp, total) });
  checks.push({ name: 'honest UDP sequence at rx-udp: whole', pass: udpAtUdp?.received === total, detail: seqLine(udpAtUdp, total) });
  const heapGrowth = (Math.max(...memory.map((m) => m.heap)) - memory[0]!.heap) / MB;
  const peakRss = Math.max(...memory.map((m) => m.rss)) / MB;
  checks.push({
    name: `heap growth under ${HEAP_GROWTH_LIMIT_MB} MB`,
    pass: heapGrowth < HEAP_GROWTH_LIMIT_MB,
    detail: `heap ${(memory[0]!.heap / MB).toFixed(1)} MB at start, peak growth ${heapGrowth.toFixed(1)} MB, ${(memory.at(-1)!.heap / MB).toFixed(1)} MB at the end; peak RSS ${peakRss.toFixed(1)} MB (${memory.length} samples)`,
  });
  const roomSide = c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted;
  checks.push({
    name: 'room: messages in = handled + rateLimited + tooLong + notAdmitted',
    pass: messagesIn === roomSide,
    detail: `${messagesIn} = ${c.handled} + ${c.drops.rateLimited} + ${c.drops.tooLong} + ${c.drops.notAdmitted} (${roomSide})`,
  });
  const udpSide = c.traffic.udp.messagesIn + udpTurnedAway + c.drops.denied + c.drops.unvalidated;
  checks.push({
    name: 'udp: datagrams read = udp messages in + joins turned away',
    pass: tap.datagrams === udpSide,
    detail: `${tap.datagrams} = ${c.traffic.udp.messagesIn} + ${udpTurnedAway} (+ denied ${c.drops.denied}, unvalidated ${c.drops.unvalidated})`,
  });
  checks.push({ name: 'the room is still up and the honest peers are in it', pass: honest.every((h) => server.room.find(h.name) !== undefined), detail: `${server.room.size} peers at the end` });

  for (const h of honest) await h.connection.close();
  await server.close();
  // Read once the server has closed: a flooding peer is read only as fast as its message budget
  // refills, so until every peer has left, lines the tap framed may still wait in the transport
  // (at most one socket read each; counted as afterLeave when the peer leaves).
  const closed = server.counters();
  const tcpSide = closed.traffic.tcp.messagesIn + closed.drops.afterLeave;
  checks.push({
    name: 'tcp: messages framed from peers = tcp messages in + afterLeave',
    pass: tap.tcpFramed === tcpSide,
    detail: `${tap.tcpFramed} = ${closed.traffic.tcp.messagesIn} + ${closed.drops.afterLeave}`,
  });

  // Then each hostile-LAN scenario on its own server, one after another, each with its bound.
  const scenarioBudgetMs = Math.max(2000, Math.min(10_000, options.seconds * 1000));
  for (const scenario of SCENARIOS) {
    const results = await scenario.run({ random, budgetMs: scenarioBudgetMs }).catch((e: unknown): TrustCheck[] => [{ name: scenario.name, pass: false, detail: `threw: ${String(e)}` }]);
    for (const r of results) checks.push({ name: `#${scenario.item} ${r.name}`, pass: r.pass || r.skipped === true, detail: r.skipped ? `skipped: ${r.detail}` : r.detail });
  }

  const honestDatagrams = honest.filter((h) => h.connection.transport === 'udp').reduce((n, h) => n + h.sent, 0);
  const kernelDropped = attackers.tally.datagramsTaken + honestDatagrams - tap.datagrams;
  const summary = {
    seed: options.seed,
    seconds: options.seconds,
    attackMs: Math.round(attackMs),
    limits,
    attackers: attackers.tally,
    honest: { perSender: total, rate: HONEST_RATE },
    server: {
      datagramsRead: tap.datagrams,
      datagramsNotRead: kernelDropped,
      tcpFramed: tap.tcpFramed,
      tcpConnectionsTurnedAway: tap.tcpTurnedAway,
      counters: c,
    },
    checks,
    pass: checks.every((x) => x.pass),
  };
  print(options.json, summary, () => render(summary));
  // A failed check fails the run (CI runs a short seeded fuzz after the tests).
  process.exitCode = summary.pass ? 0 : 1;
}

function render(s: {
  seed: number;
  seconds: number;
  attackMs: number;
  attackers: AttackTally;
  honest: { perSender: number; rate: number };
  server: { datagramsRead: number; datagramsNotRead: number; tcpFramed: number; tcpConnectionsTurnedAway: number; counters: ServerCounters };
  checks: Check[];
  pass: boolean;
}): string {
  const c = s.server.counters;
  const a = s.attackers;
  const rows: Array<[string, string]> = [
    ['seed', String(s.seed)],
    ['attack time', `${(s.attackMs / 1000).toFixed(1)} s (asked ${s.seconds} s)`],
    ['limits', `the LAN defaults, but maxPeersPerIp ${ATTACKER_PEERS_PER_IP} and joinsPerIpPerMinute ${ATTACKER_JOINS_PER_MINUTE}: every attacker is 127.0.0.1`],
    ['attacker actions', Object.entries(a.actions).sort().map(([k, v]) => `${k} ${v}`).join(', ')],
    ['attacker datagrams', `${a.datagrams} (${(a.datagramBytes / MB).toFixed(1)} MB), ${a.datagramsTaken} taken by the kernel; read by the server ${s.server.datagramsRead} (honest ones too), not read (dropped by the kernel) ${s.server.datagramsNotRead}`],
    ['attacker TCP', `${a.connections} connections, ${(a.tcpBytes / MB).toFixed(1)} MB, ${a.resets} resets, ${a.slowReaders} slow readers`],
    ['honest', `2 senders x ${s.honest.perSender} lines at ${s.honest.rate}/s, 2 receivers`],
    ['room', `joins ${c.joins}, rejected ${c.rejected}, handled ${c.handled}, chat relayed ${c.messages}, deliveries ${c.deliveries}, peers at the end ${c.peers}`],
    ['drops', Object.entries(c.drops).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['transports', `socketErrors ${c.socketErrors}, challenges ${c.challenges}, tcp turned away ${s.server.tcpConnectionsTurnedAway}`],
    ['traffic', Object.entries(c.traffic).filter(([, t]) => t.messagesIn + t.messagesOut > 0).map(([k, t]) => `${k} in ${t.messagesIn}/${(t.bytesIn / MB).toFixed(1)} MB out ${t.messagesOut}/${(t.bytesOut / MB).toFixed(1)} MB`).join('; ')],
  ];
  const lines = [keyValues(rows), ''];
  for (const check of s.checks) lines.push(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  lines.push('', s.pass ? 'all checks passed' : 'SOME CHECKS FAILED');
  return lines.join('\n');
}

runMain(import.meta.url, USAGE, main);
