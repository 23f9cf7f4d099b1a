/**
 * Echo servers, the classic first socket exercise. UDP: each datagram back to its sender,
 * verbatim. TCP: bytes back as they are read, with backpressure. `upper` answers in capitals
 * (Go's strings.ToUpper for valid UTF-8, other bytes as they are: upper.ts). The UDP answers can
 * go through the seeded impairment policy the proxy uses (the Pinger lab's lossy server), and a TCP
 * connection can end on a word (`closeOn`, the seed 000 echo's `exit`).
 */
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { DEFAULT_PORT, ECHO_LIMITS } from '../core/limits.js';
import { Held } from '../transports/held.js';
import { flipBit, seededPolicy, type PolicyCounters, type UdpImpairment, type UdpPolicy } from '../transports/policy.js';
import { formatAddress, isLoopback, udpType } from '../transports/address.js';
import { listening } from '../transports/bind.js';
import { PrefixLimiter } from '../transports/prefix-limiter.js';
import { CloseOnLine } from './close-on.js';
import { fingerprint, ReflectionGuard, type LoopVerdict } from './echo-loop.js';
import { bindPair } from './port-pair.js';
import { StreamUpper, upperUtf8 } from './upper.js';

export interface EchoServerOptions {
  transport?: 'udp' | 'tcp' | 'both';
  host?: string;
  port?: number;
  upper?: boolean;
  /**
   * UDP answers a second per source prefix (/24, /56), bursts of as many: a forged source must
   * not turn the echo into a reflector. 0: no limit. By default off on loopback, 200 elsewhere.
   */
  ratePerSource?: number;
  /**
   * UDP bytes a second per source prefix, bursts of as many: a count alone lets 60 KB datagrams
   * through. 0: no limit. By default off on loopback, ECHO_LIMITS.bytesPerPrefix elsewhere.
   */
  bytesPerSource?: number;
  /**
   * A source that sends back, this many times in a row, an answer we had just sent it is another
   * echo (or a mirror) in a loop with us: it is not answered for `reflectionMuteMs`. 0: off.
   * Everywhere by default, loopback included (echo-loop.ts).
   */
  maxReflections?: number;
  reflectionMuteMs?: number;
  /**
   * What happens to the UDP answers, decided by the proxy's impairment policy with `seed` (the same draws as
   * `proxy --direction in --seed SEED`): a lost datagram is not answered, a delayed one answered
   * later, a duplicate twice. Only datagrams the echo would answer draw, so a refusal shifts
   * nothing. TCP is not impaired.
   */
  impairment?: Readonly<UdpImpairment>;
  seed?: number;
  /** TCP: a line that is exactly this closes the connection, unanswered (close-on.ts). '' (default): off. */
  closeOn?: string;
  /** Called for each datagram or connection, for a log; the server itself prints nothing. */
  onEvent?: (event: EchoEvent) => void;
}

/**
 * Who an echo server heard from, as the chat server's events name a peer: `address` is IP:PORT
 * (an IPv6 address in brackets), so every --json stream has one spelling (docs/json.md).
 */
export interface EchoPeer {
  address: string;
  transport: 'udp' | 'tcp';
}

/** What an echo server saw. */
export type EchoEvent =
  | { type: 'start'; transport: 'udp' | 'tcp'; host: string; port: number }
  | {
      type: 'datagram';
      peer: EchoPeer;
      bytes: number;
      answered: boolean;
      why?: string;
      /** With an impairment: how long the answer waits, and whether it goes twice or was held back to be overtaken. */
      delayMs?: number;
      duplicated?: boolean;
      reordered?: boolean;
    }
  | { type: 'echo-loop'; peer: EchoPeer; reflections: number; muteMs: number }
  | { type: 'connection'; peer: EchoPeer }
  | { type: 'disconnect'; peer: EchoPeer; bytes: number; closeOn?: string }
  | { type: 'socket-error'; transport: 'udp' | 'tcp'; code: string; message: string };

/** Counters an echo server keeps. */
export interface EchoCounters {
  datagrams: number;
  answered: number;
  refused: number;
  /** Datagrams not answered because their source prefix was over its rate. */
  rateLimited: number;
  /** ...over its bytes a second. */
  byteLimited: number;
  /** ...because their source was bouncing our answers back (a loop found, then muted). */
  echoLoop: number;
  connections: number;
  bytes: number;
  /** With an impairment, what the policy did to the answers (`lost` were not answered); `queueDrops`: not held, ECHO_LIMITS.heldBytes being full. */
  impairment?: PolicyCounters;
  /** TCP connections closed by --close-on. */
  closedOn?: number;
}

/** A running echo server. */
export interface EchoServer {
  readonly port: number;
  readonly counters: EchoCounters;
  close(): Promise<void>;
}

// Two echo services answering each other would bounce one datagram between them forever:
// never answer a privileged source port (where echo, chargen and friends live) nor ourselves.
function refusal(ip: string, port: number, own: AddressInfo): string | null {
  if (port < 1024) return 'source port below 1024';
  if (port === own.port && (ip === own.address || own.address === '0.0.0.0' || own.address === '::')) return 'our own address';
  return null;
}

// The counter each reason for not answering is kept under; the rest are `refused`.
const COUNTED_AS: Record<string, 'rateLimited' | 'byteLimited' | 'echoLoop'> = {
  'rate limited': 'rateLimited',
  'byte rate limited': 'byteLimited',
  'echo loop': 'echoLoop',
};

type Settings = Required<Omit<EchoServerOptions, 'transport' | 'impairment' | 'seed'>> & { policy: UdpPolicy | undefined };

/** The datagram event's say on what the policy did to an answer: nothing when it did nothing. */
function impaired(delays: number[], duplicated: boolean, reordered: boolean) {
  return { ...(delays[0]! > 0 ? { delayMs: Math.round(delays[0]!) } : {}), ...(duplicated ? { duplicated } : {}), ...(reordered ? { reordered } : {}) };
}

async function listenUdp(o: Settings, counters: EchoCounters) {
  const socket = dgram.createSocket(udpType(o.host));
  await listening(socket, (s) => s.bind(o.port, o.host));
  const own = socket.address();
  const clock = () => performance.now();
  const answers = new PrefixLimiter(o.ratePerSource, clock, o.bytesPerSource);
  const reflections = new ReflectionGuard(o.maxReflections, o.reflectionMuteMs, clock);
  socket.on('error', (e: NodeJS.ErrnoException) => o.onEvent({ type: 'socket-error', transport: 'udp', code: e.code ?? 'ERR_SOCKET', message: e.message }));
  const guarded = o.maxReflections > 0;
  // Answers the policy delays wait here; their bytes are bounded (ECHO_LIMITS.heldBytes).
  const held = new Held(ECHO_LIMITS.heldBytes);
  socket.on('close', () => held.close());
  socket.on('message', (msg, rinfo) => {
    counters.datagrams += 1;
    counters.bytes += msg.length;
    let why = refusal(rinfo.address, rinfo.port, own);
    let loop: LoopVerdict = 'answer';
    // Only a datagram we may answer is keyed and fingerprinted: a refused one costs neither.
    const source = why === null && guarded ? `${rinfo.address}|${rinfo.port}` : '';
    const fp = source ? fingerprint(msg) : 0;
    if (source) loop = reflections.inspect(source, fp);
    if (loop !== 'answer') why = 'echo loop';
    if (why === null) {
      const over = answers.refusal(rinfo.address, msg.length);
      if (over) why = over === 'rate' ? 'rate limited' : 'byte rate limited';
    }
    // A refusal is counted here; what the policy does is counted in its own counters (counters.impairment).
    if (why !== null) counters[COUNTED_AS[why] ?? 'refused'] += 1;
    const verdict = why === null && o.policy ? o.policy.decide(msg.length, clock()) : undefined;
    if (verdict?.kind === 'drop') why = 'lost (--loss)';
    if (why === null) {
      const written = o.upper ? upperUtf8(msg) : msg;
      // The bit was drawn over the datagram; capitals can be a byte shorter (ı → I): it stays within them.
      const answer = verdict?.kind === 'send' && verdict.corruptBit !== undefined ? flipBit(written, verdict.corruptBit % (written.length * 8)) : written;
      const delays = verdict?.kind === 'send' ? verdict.delays : undefined;
      // Unimpaired (the usual echo) the answer goes straight back: no timer and no closure per
      // datagram, so the plain echo costs what it did before impairments existed.
      const sent = delays === undefined ? (socket.send(answer, rinfo.port, rinfo.address), true) : held.hold(delays, answer, (bytes) => socket.send(bytes, rinfo.port, rinfo.address));
      if (sent) {
        counters.answered += 1;
        // The budget was spent for one copy the size of the datagram: a duplicate, or capitals
        // longer than the letters (ɐ → Ɐ), send more to that source, and it pays for them too.
        const copies = delays === undefined ? 1 : delays.length;
        const more = answer.length * copies - msg.length;
        if (copies > 1 || more > 0) answers.charge(rinfo.address, copies - 1, Math.max(0, more));
        if (source) reflections.answered(source, answer === msg ? fp : fingerprint(answer));
      } else {
        // Only a delayed answer can be refused, and only an impairment delays.
        o.policy?.notSent();
        why = 'held answers full';
      }
    }
    // A loop is said once, when found; the datagrams refused while it is muted are only counted.
    const peer: EchoPeer = { address: formatAddress(rinfo.address, rinfo.port), transport: 'udp' };
    if (loop === 'loop') o.onEvent({ type: 'echo-loop', peer, reflections: o.maxReflections, muteMs: o.reflectionMuteMs });
    const event: EchoEvent = { type: 'datagram', peer, bytes: msg.length, answered: !why, ...(why ? { why } : {}) };
    o.onEvent(verdict?.kind === 'send' && !why ? { ...event, ...impaired(verdict.delays, verdict.duplicated, verdict.reordered) } : event);
  });
  return { socket, port: own.port, address: own };
}

async function listenTcp(o: Settings, counters: EchoCounters) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    counters.connections += 1;
    const peer: EchoPeer = { address: formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0), transport: 'tcp' };
    let bytes = 0;
    o.onEvent({ type: 'connection', peer });
    socket.on('error', (e: NodeJS.ErrnoException) => o.onEvent({ type: 'socket-error', transport: 'tcp', code: e.code ?? 'ERR_SOCKET', message: e.message }));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      counters.bytes += chunk.length;
    });
    let closedOn = false;
    socket.on('close', () => {
      sockets.delete(socket);
      o.onEvent({ type: 'disconnect', peer, bytes, ...(closedOn ? { closeOn: o.closeOn } : {}) });
    });
    // pipe() pauses reading while the peer is not reading our answers: memory stays bounded.
    if (!o.upper && !o.closeOn) return void socket.pipe(socket);
    const upper = o.upper ? new StreamUpper() : undefined;
    const word = o.closeOn ? new CloseOnLine(o.closeOn) : undefined;
    const answers = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        const echoed = word ? word.push(chunk) : chunk;
        done(null, upper ? upper.push(echoed) : echoed);
        if (word?.closed && !closedOn) {
          // The word line ends the echo: what came before it is answered, then our side closes
          // (end() flushes and sends FIN once written); what the peer sends after is read and
          // dropped, and a peer that never closes its side is let go after CLOSE_GRACE_MS.
          closedOn = true;
          counters.closedOn! += 1;
          socket.unpipe(answers);
          socket.resume();
          answers.end();
          const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
          socket.once('close', () => clearTimeout(grace));
        }
      },
      flush: (done) => {
        const rest = word ? word.end() : new Uint8Array(0);
        done(null, upper ? Buffer.concat([upper.push(rest), upper.end()]) : rest);
      },
    });
    socket.pipe(answers).pipe(socket);
  });
  await listening(server, (s) => s.listen(o.port, o.host));
  return { server, sockets, port: (server.address() as AddressInfo).port };
}

/**
 * The per-prefix limits an echo on `host` has unless told otherwise: none on loopback, where
 * nothing can be forged and benchmarks want the raw speed; ECHO_LIMITS elsewhere.
 */
export function prefixLimitsFor(host: string): { ratePerSource: number; bytesPerSource: number } {
  return isLoopback(host) ? { ratePerSource: 0, bytesPerSource: 0 } : { ratePerSource: ECHO_LIMITS.answersPerPrefix, bytesPerSource: ECHO_LIMITS.bytesPerPrefix };
}

// After --close-on's word the echo half-closes and waits this long for the peer to close its side.
const CLOSE_GRACE_MS = 2000;

/** Starts an echo server; with `both`, UDP and TCP share the port number. */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const host = options.host ?? '127.0.0.1';
  const o = {
    host,
    port: options.port ?? DEFAULT_PORT,
    upper: options.upper ?? false,
    ratePerSource: options.ratePerSource ?? prefixLimitsFor(host).ratePerSource,
    bytesPerSource: options.bytesPerSource ?? prefixLimitsFor(host).bytesPerSource,
    maxReflections: options.maxReflections ?? ECHO_LIMITS.reflections,
    reflectionMuteMs: options.reflectionMuteMs ?? ECHO_LIMITS.reflectionMuteMs,
    closeOn: options.closeOn ?? '',
    onEvent: options.onEvent ?? (() => {}),
    // One policy for the server (not one per socket bindPair tries): the seed's draws in order.
    policy: options.impairment ? seededPolicy(options.impairment, options.seed ?? 0) : undefined,
  };
  const transport = options.transport ?? 'udp';
  const counters: EchoCounters = { datagrams: 0, answered: 0, refused: 0, rateLimited: 0, byteLimited: 0, echoLoop: 0, connections: 0, bytes: 0 };
  if (o.policy) counters.impairment = o.policy.counters;
  if (o.closeOn) counters.closedOn = 0;
  let udp: Awaited<ReturnType<typeof listenUdp>> | undefined;
  let tcp: Awaited<ReturnType<typeof listenTcp>> | undefined;
  if (transport === 'both') {
    const closeUdp = (u: NonNullable<typeof udp>) => new Promise<void>((resolve) => u.socket.close(() => resolve()));
    ({ udp, tcp } = await bindPair(o.port, (port) => listenUdp({ ...o, port }, counters), (u) => u.port, (port) => listenTcp({ ...o, port }, counters), closeUdp));
  } else if (transport === 'udp') udp = await listenUdp(o, counters);
  else tcp = await listenTcp(o, counters);
  if (udp) o.onEvent({ type: 'start', transport: 'udp', host: udp.address.address, port: udp.port });
  if (tcp) o.onEvent({ type: 'start', transport: 'tcp', host: o.host, port: tcp.port });
  // Closing twice must not throw (a dgram socket throws ERR_SOCKET_DGRAM_NOT_RUNNING): the second call waits for the first.
  let closing: Promise<void> | undefined;
  return {
    port: (udp ?? tcp)!.port,
    counters,
    close() {
      closing ??= (async () => {
        const waits: Promise<unknown>[] = [];
        if (udp) waits.push(new Promise<void>((resolve) => udp.socket.close(() => resolve())));
        if (tcp) {
          for (const socket of tcp.sockets) socket.destroy();
          waits.push(new Promise<void>((resolve) => tcp.server.close(() => resolve())));
        }
        await Promise.all(waits);
      })();
      return closing;
    },
  };
}
