/**
 * Every server-side transport, by name. The chat server loops over the ones it was asked for;
 * the names in types (TransportName), counters and options are derived from this table. Adding
 * a transport is one folder beside udp/, tcp/ and ws/ and one line here (docs/DESIGN.md).
 */
import type { Transport, TransportContext } from '../core/transport.js';
import type { FramingName } from './framing.js';
import { TcpTransport } from './tcp/transport.js';
import { UdpTransport } from './udp/transport.js';
import type { DemoRunner } from './ws/demos-endpoint.js';
import type { WebStats } from './ws/page.js';
import type { TimelineSource } from './ws/timeline-feed.js';
import { WsTransport } from './ws/transport.js';

/** Everything any transport may need from the server's options; each takes what it uses. */
export interface TransportSpec {
  /** The room's host; `webHost` for a transport on the page's port. */
  host: string;
  webHost: string;
  /** TCP: lines (for `nc`) or 2-byte length prefixes. */
  framing: FramingName;
  /** UDP: ask each new address to echo a join token first. */
  validate: boolean;
  /** WebSocket: origins allowed besides the page's own. */
  origins: readonly string[];
  /** WebSocket: what the page's GET /stats answers. */
  stats(local: boolean): WebStats;
  /** WebSocket: the room's live timeline at `/timeline`; `open` to anyone, or only to the teacher. */
  timeline?: TimelineSource & { open: boolean };
  /** WebSocket: the teacher key and the demos the page may run. */
  teacherKey?: string;
  demos?: DemoRunner;
  /** UDP and TCP: share the room's port with other processes (serve --reuse-port). */
  reusePort?: boolean;
}

/** One registry entry. */
export interface TransportEntry<T extends Transport = Transport> {
  /** `room`: on the room's port number, shared with the other `room` transports; `web`: on the page's port. */
  readonly port: 'room' | 'web';
  listen(ctx: TransportContext, spec: TransportSpec, port: number): Promise<T>;
}

export const TRANSPORTS = {
  udp: { port: 'room', listen: (ctx, s, port) => UdpTransport.listen(ctx, { host: s.host, port, validate: s.validate, reusePort: s.reusePort ?? false }) },
  tcp: { port: 'room', listen: (ctx, s, port) => TcpTransport.listen(ctx, { host: s.host, port, framing: s.framing, reusePort: s.reusePort ?? false }) },
  ws: { port: 'web', listen: (ctx, s, port) => WsTransport.listen(ctx, { host: s.webHost, port, origins: s.origins, stats: s.stats, timeline: s.timeline, teacherKey: s.teacherKey, demos: s.demos }) },
} as const satisfies Record<string, TransportEntry>;

/** A transport's name: a key of the registry. */
export type TransportName = keyof typeof TRANSPORTS;

/** Every transport's name, in the registry's order. */
export const TRANSPORT_NAMES = Object.keys(TRANSPORTS) as TransportName[];

/** The running transports of a server, by name, each with its own type. */
export type Transports = { [K in TransportName]?: Awaited<ReturnType<(typeof TRANSPORTS)[K]['listen']>> };
