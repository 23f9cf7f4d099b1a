/**
 * A chat server: one room, fed by UDP, TCP or both on the same port number (and WebSocket on a
 * port of its own, beside the web page), swept for silent
 * peers on a timer. Library code: it reports what happens as events and prints nothing.
 */
import { DEFAULT_LIMITS, DEFAULT_PORT, type Limits } from '../core/limits.js';
import { Room, type RoomCounters, type RoomEvent } from '../core/room.js';
import type { FramingName } from '../transports/framing.js';
import { TcpTransport } from '../transports/tcp.js';
import { accessList } from './access.js';
import { bindPair } from './port-pair.js';
import { isLoopback } from '../transports/address.js';
import { UdpTransport } from '../transports/udp.js';
import { parseOrigins, WsTransport } from '../transports/ws.js';

/** Which transports a server listens on. */
export type ServerTransport = 'udp' | 'tcp' | 'both';

/** Everything a server reports: the room's events plus its own start, socket errors and stop. */
export type ServerEvent =
  | RoomEvent
  | { type: 'start'; transport: 'udp' | 'tcp' | 'ws'; host: string; port: number }
  | { type: 'socket-error'; transport: 'udp' | 'tcp' | 'ws'; code: string; message: string }
  | { type: 'stats'; counters: ServerCounters }
  | { type: 'stop'; counters: ServerCounters };

/** The room's counters and the transports'. */
export interface ServerCounters extends RoomCounters {
  peers: number;
  /** UDP sends that failed, and TCP and WebSocket sockets that errored (RST, EPIPE). */
  socketErrors: number;
  /** UDP datagrams from addresses that had not shown a join token. */
  challenges: number;
}

export interface ChatServerOptions {
  transport?: ServerTransport;
  host?: string;
  port?: number;
  /** How TCP messages are framed: lines (default, for `nc`) or 2-byte length prefixes. */
  framing?: FramingName;
  peerTimeoutMs?: number;
  echoSelf?: boolean;
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
  /** Also serve the web page and its WebSocket on this HTTP port (host: the room's); origins: as --origin. */
  web?: { port: number; host?: string; origins?: readonly string[] };
  /** How often silent peers are looked for; by default a tenth of the timeout, at most 1s. */
  sweepIntervalMs?: number;
}

/** A running chat server. */
export interface ChatServer {
  readonly room: Room;
  /** The port the server listens on: the same number on every transport. */
  readonly port: number;
  readonly udp?: UdpTransport;
  readonly tcp?: TcpTransport;
  /** The web page and its WebSocket, on their own port (web.port), when asked for. */
  readonly web?: WsTransport;
  counters(): ServerCounters;
  /** Tells every peer the server is going, closes every socket. */
  close(): Promise<void>;
}

/** Starts a chat server; rejects when a socket cannot be bound. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const framing = options.framing ?? 'line';
  const transport = options.transport ?? 'udp';
  const emit = options.onEvent ?? (() => {});
  const admit = accessList(options.allow, options.deny);
  // Checked before any socket is bound, so a bad --origin leaves nothing to clean up.
  const origins = options.web ? parseOrigins(options.web.origins) : [];
  const room = new Room({
    peerTimeoutMs: options.peerTimeoutMs,
    echoSelf: options.echoSelf,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.password ? { password: options.password } : {}),
    onEvent: emit,
  });
  const onError = (t: 'udp' | 'tcp' | 'ws', err: Error) =>
    emit({ type: 'socket-error', transport: t, code: (err as NodeJS.ErrnoException).code ?? 'ERR_SOCKET', message: err.message });

  let udp: UdpTransport | undefined;
  let tcp: TcpTransport | undefined;
  const validate = !(options.open ?? isLoopback(host));
  const listenUdp = (p: number) => UdpTransport.listen(room, { host, port: p, admit, validate }, (e) => onError('udp', e));
  const listenTcp = (p: number) => TcpTransport.listen(room, { host, port: p, framing, admit }, (e) => onError('tcp', e));
  if (transport === 'both') ({ udp, tcp } = await bindPair(port, listenUdp, (u) => u.address().port, listenTcp, (u) => u.close()));
  else if (transport === 'udp') udp = await listenUdp(port);
  else tcp = await listenTcp(port);
  let web: WsTransport | undefined;
  if (options.web) {
    const listen = { host: options.web.host ?? host, port: options.web.port, origins, admit, listPeers: !options.password };
    try {
      web = await WsTransport.listen(room, listen, (e) => onError('ws', e));
    } catch (err) {
      await Promise.all([udp?.close(), tcp?.close()]);
      throw err;
    }
  }
  for (const [name, t] of [['udp', udp], ['tcp', tcp], ['ws', web]] as const) {
    if (t) emit({ type: 'start', transport: name, host: t.address().address, port: t.address().port });
  }

  const every = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, room.peerTimeoutMs / 10));
  const sweeper = setInterval(() => room.sweep(), every);

  const counters = (): ServerCounters => ({
    ...room.counters,
    peers: room.size,
    socketErrors: (udp?.sendErrors ?? 0) + (tcp?.socketErrors ?? 0) + (web?.socketErrors ?? 0),
    challenges: udp?.challenges ?? 0,
  });
  let closing: Promise<void> | undefined;
  const server: ChatServer = {
    room,
    port: (udp ?? tcp)!.address().port,
    counters,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        room.close();
        await Promise.all([udp?.close(), tcp?.close(), web?.close()]);
        emit({ type: 'stop', counters: counters() });
      })();
      return closing;
    },
  };
  return Object.assign(server, udp ? { udp } : {}, tcp ? { tcp } : {}, web ? { web } : {});
}
