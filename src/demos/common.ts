/** What every classroom demo returns, and the small tools they share. Demos print nothing. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';

/** A demo's findings: a table to print side by side, what it means, and the raw data. */
export interface DemoResult {
  demo: string;
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** A few sentences on what was seen and why. */
  explanation: string[];
  /** Machine-readable findings, for --json and for tests that assert the demo's claims. */
  data: Record<string, unknown>;
}

/** Options every demo takes. */
export interface DemoOptions {
  /** Seed of the impairment proxy: the same seed, the same losses. */
  seed?: number;
  /** How many messages to send. */
  count?: number;
  /** `demo multicast`: how many receivers. */
  receivers?: number;
}

/** Waits until `check` holds or `ms` pass; returns whether it held. Demos report, they don't throw. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/** A UDP socket bound to a free loopback port. */
export async function udpSocket(options: dgram.SocketOptions = { type: 'udp4' }): Promise<dgram.Socket> {
  const socket = dgram.createSocket(options);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

/** A TCP server on a free loopback port. */
export async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Connects to a loopback TCP port. */
export async function tcpConnect(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** The port a server or socket is bound to. */
export function portOf(s: net.Server | dgram.Socket): number {
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** Closes a server, ending its connections. */
export async function closeServer(server: net.Server, sockets: Iterable<net.Socket> = []): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
