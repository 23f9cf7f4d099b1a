/**
 * A chat server: one room, fed by UDP, TCP or both on the same port number, swept for silent
 * peers on a timer. Library code: it reports what happens as events and prints nothing.
 */
import { DEFAULT_LIMITS, DEFAULT_PORT, type Limits } from '../core/limits.js';
import { Room, type RoomCounters, type RoomEvent } from '../core/room.js';
import type { FramingName } from '../transports/framing.js';
import { TcpTransport } from '../transports/tcp.js';
import { accessList, type Admit } from './access.js';
import { UdpTransport } from '../transports/udp.js';

/** Which transports a server listens on. */
export type ServerTransport = 'udp' | 'tcp' | 'both';

/** Everything a server reports: the room's events plus its own start, socket errors and stop. */
export type ServerEvent =
  | RoomEvent
  | { type: 'start'; transport: 'udp' | 'tcp'; host: string; port: number }
  | { type: 'socket-error'; transport: 'udp' | 'tcp'; code: string; message: string }
  | { type: 'stop'; counters: ServerCounters };

/** The room's counters and the transports'. */
export interface ServerCounters extends RoomCounters {
  peers: number;
  /** UDP sends that failed, and TCP sockets that errored (RST, EPIPE). */
  socketErrors: number;
  /** TCP peers dropped because they did not read. */
  slowDrops: number;
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
  onEvent?: (event: ServerEvent) => void;
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
  counters(): ServerCounters;
  /** Tells every peer the server is going, closes every socket. */
  close(): Promise<void>;
}

// With --transport both and port 0, the port UDP got may be taken for TCP; try a few pairs.
const PAIR_TRIES = 5;

async function bindBoth(room: Room, host: string, port: number, framing: FramingName, admit: Admit, onError: (t: 'udp' | 'tcp', e: Error) => void) {
  for (let attempt = 1; ; attempt++) {
    const udp = await UdpTransport.listen(room, { host, port, admit }, (e) => onError('udp', e));
    try {
      const tcp = await TcpTransport.listen(room, { host, port: udp.address().port, framing, admit }, (e) => onError('tcp', e));
      return { udp, tcp };
    } catch (err) {
      await udp.close();
      if (port !== 0 || attempt === PAIR_TRIES || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

/** Starts a chat server; rejects when a socket cannot be bound. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const framing = options.framing ?? 'line';
  const transport = options.transport ?? 'udp';
  const emit = options.onEvent ?? (() => {});
  const admit = accessList(options.allow, options.deny);
  const room = new Room({
    peerTimeoutMs: options.peerTimeoutMs,
    echoSelf: options.echoSelf,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.password ? { password: options.password } : {}),
    onEvent: emit,
  });
  const onError = (t: 'udp' | 'tcp', err: Error) =>
    emit({ type: 'socket-error', transport: t, code: (err as NodeJS.ErrnoException).code ?? 'ERR_SOCKET', message: err.message });

  let udp: UdpTransport | undefined;
  let tcp: TcpTransport | undefined;
  if (transport === 'both') ({ udp, tcp } = await bindBoth(room, host, port, framing, admit, onError));
  else if (transport === 'udp') udp = await UdpTransport.listen(room, { host, port, admit }, (e) => onError('udp', e));
  else tcp = await TcpTransport.listen(room, { host, port, framing, admit }, (e) => onError('tcp', e));
  for (const [name, t] of [['udp', udp], ['tcp', tcp]] as const) {
    if (t) emit({ type: 'start', transport: name, host: t.address().address, port: t.address().port });
  }

  const every = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, room.peerTimeoutMs / 10));
  const sweeper = setInterval(() => room.sweep(), every);

  const counters = (): ServerCounters => ({
    ...room.counters,
    peers: room.size,
    socketErrors: (udp?.sendErrors ?? 0) + (tcp?.socketErrors ?? 0),
    slowDrops: tcp?.slowDrops ?? 0,
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
        await Promise.all([udp?.close(), tcp?.close()]);
        emit({ type: 'stop', counters: counters() });
      })();
      return closing;
    },
  };
  return Object.assign(server, udp ? { udp } : {}, tcp ? { tcp } : {});
}
