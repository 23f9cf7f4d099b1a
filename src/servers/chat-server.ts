/**
 * A chat server: one room, fed by the transports it was asked for (UDP, TCP or both on the same
 * port number, and WebSocket on the page's port of its own), swept for silent peers on a timer.
 * Library code: it reports what happens as events and prints nothing.
 */
import { defaultLimits, DEFAULT_PORT, type Limits } from '../core/limits.js';
import { Room, type RoomCounters, type RoomEvent, type TransportTraffic } from '../core/room.js';
import type { Transport, TransportContext, TransportStats } from '../core/transport.js';
import { formatAddress, isLoopback } from '../transports/address.js';
import { defaultInterface } from '../transports/multicast/group.js';
import { GroupMirror, MIRROR_NAME, type MirrorOptions } from '../transports/multicast/mirror.js';
import { ChatError } from '../core/errors.js';
import type { FramingName } from '../transports/framing.js';
import { TRANSPORT_NAMES, TRANSPORTS, type TransportName, type Transports, type TransportSpec } from '../transports/registry.js';
import type { DemoRunner } from '../transports/ws/demos-endpoint.js';
import type { WebStats } from '../transports/ws/page.js';
import { newTeacherKey } from '../transports/ws/teacher.js';
import { parseOrigins } from '../transports/ws/origin.js';
import { accessList } from './access.js';
import { bindShared } from './port-pair.js';
import { RefusalLog } from './refusal-log.js';
import { ticketVerifier } from './tickets.js';
import { RedisBus } from '../cluster/redis-bus.js';
import { reusePortMissing } from '../transports/reuse-port.js';
import { defaultNodeName } from '../cluster/node-name.js';

/** The transports that share the room's port number (the registry's `room` entries). */
export type RoomTransportName = { [K in TransportName]: (typeof TRANSPORTS)[K]['port'] extends 'room' ? K : never }[TransportName];

/** Which transports a server listens on at the room's port: one, or `both` (every room-port transport). */
export type ServerTransport = RoomTransportName | 'both';

/** Everything a server reports: the room's events plus its own start, socket errors and stop. */
export type ServerEvent =
  | RoomEvent
  | { type: 'start'; transport: TransportName | typeof MIRROR_NAME; host: string; port: number }
  | { type: 'socket-error'; transport: TransportName | typeof MIRROR_NAME; code: string; message: string }
  | { type: 'stats'; counters: ServerCounters }
  | { type: 'stop'; counters: ServerCounters };

/** The room's counters and the transports'. */
export interface ServerCounters extends RoomCounters {
  /**
   * Every registered transport's traffic, zeros for those not running; `multicast` with
   * serve --multicast: one message out per broadcast, however many listen.
   */
  traffic: Record<TransportName, TransportTraffic> & { multicast?: TransportTraffic };
  peers: number;
  /** Failed sends and errored sockets, over every transport (EMSGSIZE, ECONNRESET, EPIPE). */
  socketErrors: number;
  /** UDP datagrams from addresses that had not shown a join token. */
  challenges: number;
  /**
   * Datagrams the server's own UDP socket lost before the server read them (its receive buffer
   * full), as the OS counts them (Linux); `not available` where the OS does not tell.
   */
  kernelDrops: KernelDrops;
}

/** The OS's count of datagrams dropped before the server read them, or word that it gives none. */
export type KernelDrops = number | 'not available';

/** The transports' kernel drops summed; not available when one of them that can lose datagrams cannot say. */
function kernelDropsOf(stats: readonly TransportStats[]): KernelDrops {
  let sum = 0;
  for (const s of stats) {
    if (s.kernelDrops === null) return 'not available';
    sum += s.kernelDrops ?? 0;
  }
  return sum;
}

export interface ChatServerOptions {
  transport?: ServerTransport;
  host?: string;
  port?: number;
  /** How TCP messages are framed: lines (default, for `nc`) or 2-byte length prefixes. */
  framing?: FramingName;
  peerTimeoutMs?: number;
  echoSelf?: boolean;
  /** Over the defaults, which are defaultLimits(loopback): a room only this machine reaches (its page too) lets messages through faster. */
  limits?: Partial<Limits>;
  /** A password peers give with `/join PASSWORD` before they hear or are heard. */
  password?: string;
  /** Address ranges (CIDR) allowed in; none: everyone. */
  allow?: readonly string[];
  /** Address ranges (CIDR) kept out; they win over allow. */
  deny?: readonly string[];
  /**
   * UDP: let a first datagram join (true), or ask each new address to echo a join token first
   * (false). By default open on loopback, where no source can be forged, and validating elsewhere.
   */
  open?: boolean;
  onEvent?: (event: ServerEvent) => void;
  /**
   * Also serve the web page and its WebSocket on this HTTP port (host: the room's); origins: as
   * --origin. The page's live timeline comes with it (`/timeline`); `teacherKey` (random when not
   * given) lets a browser off this machine read a closed room's timeline and run `demos`.
   */
  web?: { port: number; host?: string; origins?: readonly string[]; teacherKey?: string; demos?: DemoRunner };
  /** How often silent peers are looked for; by default a tenth of the timeout, at most 1s. */
  sweepIntervalMs?: number;
  /** The room's clock (ms), which every limit runs on; tests pass a fake one. */
  clock?: () => number;
  /**
   * Tickets (`udp-chat ticket`): `/join TICKET` signs a peer in under the name the secret signed;
   * `room` must match the ticket's (`aud`); `required` turns away everyone without one.
   */
  tickets?: { secret: string; room?: string; required?: boolean };
  /** Peers see each other's ip:port in `/who` and as first names; by default only when bound to loopback (reachableOnlyHere). */
  showAddresses?: boolean;
  /**
   * Also send every line the room broadcasts once to this multicast group (`serve --multicast`);
   * its port defaults to the room's, its interface to loopback for a room on loopback.
   */
  multicast?: MirrorOptions;
  /** The room's name: the page shows it, and in a cluster it names the room all its servers share. */
  room?: string;
  /**
   * One room over several servers (serve --cluster): `url` is the cluster's Redis
   * (redis://HOST:PORT, rediss:// for TLS), `node` this server's name in it (by default the
   * host's name and the port). `beatMs` and `nodeTimeoutMs`: how often a server says it is
   * alive, and how long after its last word it is taken for dead (tests shorten them).
   */
  cluster?: { url: string; node?: string; beatMs?: number; nodeTimeoutMs?: number };
  /** Share the room's UDP and TCP port with other processes (SO_REUSEPORT; refused where reusePortMissing() says why). */
  reusePort?: boolean;
}

/** The room's name in a cluster when --room is not given. */
export const DEFAULT_ROOM = 'main';

/** A running chat server. */
export interface ChatServer {
  readonly room: Room;
  /** The room's port: the same number on every transport that shares it (UDP, TCP). */
  readonly port: number;
  /** The running transports by name; `ws` is the web page's, on its own port. */
  readonly transports: Transports;
  /** The group the room's lines also go to (serve --multicast), once bound. */
  readonly mirror: GroupMirror | undefined;
  /** The teacher key of the page (`?teacher=KEY`), when the server has a page. */
  readonly teacherKey: string | undefined;
  /** This server's link to its cluster (serve --cluster), once joined. */
  readonly cluster: RedisBus | undefined;
  counters(): ServerCounters;
  /** What the page's GET /stats answers; `local`: asked from the server's own machine (addresses shown). */
  webStats(local: boolean): WebStats;
  /** Tells every peer the server is going, closes every socket. */
  close(): Promise<void>;
}

/** The transports a server's options ask for, in the registry's order. */
function wanted(options: ChatServerOptions): TransportName[] {
  const transport = options.transport ?? 'udp';
  return TRANSPORT_NAMES.filter((name) => (TRANSPORTS[name].port === 'web' ? Boolean(options.web) : transport === 'both' || transport === name));
}

/** True when only this machine can reach the room: its host and its page's host are loopback. */
export function reachableOnlyHere(host: string, webHost = host): boolean {
  return isLoopback(host) && isLoopback(webHost);
}


/** Starts a chat server; rejects when a socket cannot be bound. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? (() => performance.now());
  const told = options.onEvent ?? (() => {});
  // Each address and reason turned away is logged once a minute: why a student cannot join,
  // without a line for each of its retries (the counters count them all).
  const refusals = new RefusalLog(clock);
  const emit = (event: ServerEvent): void => {
    const said = event.type === 'refused' ? refusals.note(event) : event;
    if (said) told(said);
  };
  // The group hears every line the room says, and anyone on the LAN can join a group: a room
  // that keeps its lines to those with a password or a ticket cannot also publish them there.
  if (options.multicast && (options.password || options.tickets)) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--multicast sends every line of the room to anyone who joins the group: it cannot go with ${options.password ? '--password' : '--ticket-secret'} (see SECURITY.md)`);
  }
  const allowed = accessList(options.allow, options.deny);
  // The transports turn a denied address away without a word to it (an answer would tell it the
  // server is there); the log says who and why.
  const admitOn =
    (transport: TransportName) =>
    (ip: string, port?: number): boolean => {
      if (allowed(ip)) return true;
      const address = port === undefined ? ip : formatAddress(ip, port);
      emit({ type: 'refused', peer: { address, transport }, reason: 'denied', code: 'ERR_DENIED', message: 'not let in by --allow/--deny' });
      return false;
    };
  // Checked before any socket is bound, so a bad --origin leaves nothing to clean up.
  const origins = options.web ? parseOrigins(options.web.origins) : [];
  const timers = new Set<NodeJS.Timeout>();
  // Ticket expiry runs on the room's clock: a time on it maps to the wall clock as at the start.
  const epochOffset = Date.now() - clock();
  const tickets = options.tickets
    ? { verify: ticketVerifier({ secret: options.tickets.secret, room: options.tickets.room, epochAt: (now) => epochOffset + now }), required: options.tickets.required ?? false }
    : undefined;
  const noReuse = options.reusePort ? reusePortMissing() : undefined;
  if (noReuse) throw new ChatError('ERR_BAD_ARGUMENT', `--reuse-port: ${noReuse}; give each server its own --port instead`);
  // The cluster first: a Redis that cannot be reached is one line before any socket is bound.
  const bus = options.cluster
    ? new RedisBus({
        url: options.cluster.url,
        room: options.room ?? DEFAULT_ROOM,
        node: options.cluster.node ?? defaultNodeName(options.port ?? DEFAULT_PORT, options.reusePort ?? false),
        ...(options.cluster.beatMs ? { beatMs: options.cluster.beatMs } : {}),
        ...(options.cluster.nodeTimeoutMs ? { nodeTimeoutMs: options.cluster.nodeTimeoutMs } : {}),
        door: { password: options.password || undefined, tickets: options.tickets },
      })
    : undefined;
  await bus?.connect();
  const mirror = options.multicast
    ? new GroupMirror(
        { ...options.multicast, interface: options.multicast.interface ?? defaultInterface(options.multicast.group, host) },
        (err) => emit({ type: 'socket-error', transport: MIRROR_NAME, code: (err as ChatError).code ?? 'ERR_SOCKET', message: err.message }),
      )
    : undefined;
  const room = new Room({
    clock,
    ...(mirror ? { mirror } : {}),
    ...(tickets ? { tickets } : {}),
    ...(bus ? { cluster: { bus, room: bus.room } } : {}),
    // Peers see each other's ip:port only where the address is the lesson: off loopback it is what
    // a forger needs, so they see names (the log, --json and the teacher panel keep addresses).
    showAddresses: options.showAddresses ?? reachableOnlyHere(host, options.web?.host),
    peerTimeoutMs: options.peerTimeoutMs,
    echoSelf: options.echoSelf,
    limits: { ...defaultLimits(reachableOnlyHere(host, options.web?.host)), ...options.limits },
    ...(options.password ? { password: options.password } : {}),
    onEvent: emit,
    // The group's traffic is listed from the start (zeros) when there is one: `traffic.multicast`.
    transports: mirror ? [...TRANSPORT_NAMES, MIRROR_NAME] : TRANSPORT_NAMES,
    schedule: (fn, ms) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
  });
  const running: Transports = {};
  const all = (): Transport[] => Object.values(running);
  const counters = (): ServerCounters => {
    const stats = all().map((t) => t.stats());
    return {
      ...room.counters,
      traffic: room.counters.traffic as Record<TransportName, TransportTraffic>,
      peers: room.size,
      socketErrors: stats.reduce((sum, s) => sum + s.socketErrors, 0) + (mirror?.sendErrors ?? 0),
      challenges: stats.reduce((sum, s) => sum + s.challenges, 0),
      kernelDrops: kernelDropsOf(stats),
    };
  };
  // The teacher panel keeps the addresses (as the log does) for a browser on the server's own
  // machine; one elsewhere on the LAN sees names, as /who shows them off loopback.
  const webStats = (local: boolean): WebStats => {
    const stats: WebStats = { peerTimeoutMs: room.peerTimeoutMs, maxMessageBytes: room.limits.maxMessageBytes, counters: { ...room.counters, peers: room.size, kernelDrops: kernelDropsOf(all().map((t) => t.stats())) } };
    // A room with a password, or one that takes only tickets, does not publish who is in it to
    // anyone who asks (as its timeline does not): the page reads names from /who.
    if (!options.password && !options.tickets?.required) stats.peers = room.snapshot(room.limits.maxWhoLines, local);
    const name = bus?.room ?? options.room;
    if (name) stats.room = name;
    return stats;
  };
  const spec: TransportSpec = {
    host,
    webHost: options.web?.host ?? host,
    framing: options.framing ?? 'line',
    validate: !(options.open ?? isLoopback(host)),
    origins,
    stats: webStats,
    reusePort: options.reusePort ?? false,
  };
  const teacherKey = options.web ? options.web.teacherKey || newTeacherKey() : undefined;
  if (options.web) {
    spec.timeline = {
      timeline: room.timeline,
      clock,
      peerTimeoutMs: room.peerTimeoutMs,
      peers: () => room.snapshot(0).map(({ name, transport }) => ({ name, transport })),
      // A room with a password or tickets does not show who is in it and what they say to anyone who asks.
      open: !options.password && !options.tickets,
    };
    spec.teacherKey = teacherKey;
    if (options.web.demos) spec.demos = options.web.demos;
  }
  const context = (name: TransportName): TransportContext =>
    room.contextFor({
      admit: admitOn(name),
      transport: name,
      onError: (err) => emit({ type: 'socket-error', transport: name, code: (err as NodeJS.ErrnoException).code ?? 'ERR_SOCKET', message: err.message }),
    });
  const listen = (name: TransportName, port: number): Promise<Transport> => (TRANSPORTS[name] as { listen(...a: unknown[]): Promise<Transport> }).listen(context(name), spec, port);
  const names = wanted(options);
  try {
    // The room's transports share one port number; each page transport has its own.
    const shared = names.filter((n) => TRANSPORTS[n].port === 'room');
    const bound = await bindShared(options.port ?? DEFAULT_PORT, shared.map((n) => (port: number) => listen(n, port)), (t) => t.address().port, (t) => t.close());
    shared.forEach((n, i) => Object.assign(running, { [n]: bound[i] }));
    for (const n of names.filter((n) => TRANSPORTS[n].port === 'web')) Object.assign(running, { [n]: await listen(n, options.web!.port) });
    await mirror?.open(bound[0]?.address().port ?? options.port ?? DEFAULT_PORT);
    await bus?.start(room);
  } catch (err) {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...all().map((t) => t.close()), mirror?.close(), bus?.close()]);
    throw err;
  }
  for (const t of all()) emit({ type: 'start', transport: t.name as TransportName, host: t.address().address, port: t.address().port });
  if (mirror) emit({ type: 'start', transport: MIRROR_NAME, host: options.multicast!.group, port: mirror.port });

  const every = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, room.peerTimeoutMs / 10));
  const sweeper = setInterval(() => room.sweep(), every);
  const roomPort = names.find((n) => TRANSPORTS[n].port === 'room');
  let closing: Promise<void> | undefined;
  return {
    room,
    port: running[roomPort ?? 'ws']!.address().port,
    transports: running,
    mirror,
    teacherKey,
    cluster: bus,
    counters,
    webStats,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        for (const timer of timers) clearTimeout(timer);
        room.close();
        await Promise.all([...all().map((t) => t.close()), mirror?.close(), bus?.close()]);
        emit({ type: 'stop', counters: counters() });
      })();
      return closing;
    },
  };
}
