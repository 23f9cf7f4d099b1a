/**
 * A chat server: one room, fed by the transports asked for, swept for silent peers on a timer.
 * Library code: it reports what happens as events and prints nothing.
 */
import type { AddressInfo } from 'node:net';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { Room, type RoomCounters, type RoomEvent } from '../core/room.js';
import { UdpTransport } from '../transports/udp.js';

/** Which transports a server listens on. */
export type ServerTransport = 'udp' | 'tcp' | 'both';

/** Everything a server reports: the room's events plus its own start, transport errors and stop. */
export type ServerEvent =
  | RoomEvent
  | { type: 'start'; transport: 'udp' | 'tcp'; host: string; port: number }
  | { type: 'socket-error'; transport: 'udp' | 'tcp'; code: string; message: string }
  | { type: 'stop'; counters: ServerCounters };

/** The room's counters and the transports'. */
export interface ServerCounters extends RoomCounters {
  peers: number;
  sendErrors: number;
}

export interface ChatServerOptions {
  transport?: ServerTransport;
  host?: string;
  port?: number;
  peerTimeoutMs?: number;
  echoSelf?: boolean;
  limits?: Partial<Limits>;
  onEvent?: (event: ServerEvent) => void;
  /** How often silent peers are looked for; by default a tenth of the timeout, at most 1s. */
  sweepIntervalMs?: number;
}

/** A running chat server. */
export interface ChatServer {
  readonly room: Room;
  /** The UDP socket's address, when UDP was asked for. */
  readonly udp?: AddressInfo;
  /** The port the server listens on (the same number on every transport). */
  readonly port: number;
  counters(): ServerCounters;
  /** Tells every peer the server is going, closes every socket. */
  close(): Promise<void>;
}

/** Starts a chat server; rejects when a socket cannot be bound. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const host = options.host ?? '127.0.0.1';
  const emit = options.onEvent ?? (() => {});
  const room = new Room({
    peerTimeoutMs: options.peerTimeoutMs,
    echoSelf: options.echoSelf,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    onEvent: emit,
  });
  const udp = await UdpTransport.listen(room, { host, port: options.port ?? 9000 }, (err) =>
    emit({ type: 'socket-error', transport: 'udp', code: (err as NodeJS.ErrnoException).code ?? 'ERR_SOCKET', message: err.message }),
  );
  const address = udp.address();
  emit({ type: 'start', transport: 'udp', host: address.address, port: address.port });

  const every = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, room.peerTimeoutMs / 10));
  const sweeper = setInterval(() => room.sweep(), every);

  const counters = (): ServerCounters => ({ ...room.counters, peers: room.size, sendErrors: udp.sendErrors });
  let closing: Promise<void> | undefined;
  return {
    room,
    udp: address,
    port: address.port,
    counters,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        room.close();
        await udp.close();
        emit({ type: 'stop', counters: counters() });
      })();
      return closing;
    },
  };
}
