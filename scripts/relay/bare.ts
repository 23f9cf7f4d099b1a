/** The baselines: bare dgram and net relays of a few lines, the most any Node relay can do. */
import net from 'node:net';
import { ownCpuUs } from '../harness/process.js';
import { bindUdp, closeUdp, HOST, listenTcp } from '../harness/sockets.js';
import type { Relay } from './trial.js';

/** UDP: every datagram from the sender, as the same buffer, to every receiver in a fixed array. */
export async function startBareUdpRelay(receivers: readonly number[], senderPort: number): Promise<Relay> {
  // The default receive buffer, as udp-chat's socket has (the server does not expose it to set).
  const socket = await bindUdp();
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port !== senderPort) return;
    for (const port of receivers) socket.send(msg, port, HOST);
  });
  return { port: socket.address().port, cpuUs: ownCpuUs, close: () => closeUdp(socket) };
}

/** TCP: each chunk read from one socket goes, as the same buffer, to every other. */
export async function startBareTcpRelay(): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const other of sockets) if (other !== socket) other.write(chunk);
    });
  });
  const port = await listenTcp(server);
  return {
    port,
    cpuUs: ownCpuUs,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
