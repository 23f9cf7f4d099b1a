/** Loopback sockets for the scripts: every one on 127.0.0.1, every wait with a deadline. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';

/** Where all benchmark and fuzz traffic goes. */
export const HOST = '127.0.0.1';

/** A UDP socket bound to 127.0.0.1 (or another 127.x.y.z) on a free port; send errors after the bind are ignored, never fatal. */
export async function bindUdp(buffers: { recv?: number; send?: number } = {}, host = HOST): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: buffers.recv, sendBufferSize: buffers.send });
  socket.bind(0, host);
  try {
    // once() rejects if 'error' (EADDRINUSE and the like) comes first.
    await once(socket, 'listening', { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    await closeUdp(socket);
    throw err;
  }
  // After bind, an 'error' is one failed send (or an ICMP port unreachable on a connected
  // socket); without a listener Node would end the process.
  socket.on('error', () => {});
  return socket;
}

/** Closes a UDP socket, tolerating one already closed. */
export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** A port free right now on this transport (bound, read back, released). */
export async function freePort(transport: 'udp' | 'tcp'): Promise<number> {
  if (transport === 'udp') {
    const socket = await bindUdp();
    const { port } = socket.address();
    await closeUdp(socket);
    return port;
  }
  const server = net.createServer();
  server.listen(0, HOST);
  await once(server, 'listening', { signal: AbortSignal.timeout(5000) });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1, port 0; resolves with the port. */
export async function listenTcp(server: net.Server): Promise<number> {
  server.listen(0, HOST);
  await once(server, 'listening', { signal: AbortSignal.timeout(5000) });
  return (server.address() as AddressInfo).port;
}

/** A TCP connection to 127.0.0.1:port (no Nagle), or a rejection after deadlineMs. */
export function connectTcp(port: number, deadlineMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: HOST, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to port ${port} within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // After connect, an error (ECONNRESET at the end) is the close of a run, not a failure.
      socket.on('error', () => {});
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
}
