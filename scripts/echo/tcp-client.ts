/**
 * The TCP client of bench-echo: RTT one line at a time, throughput as a stream of 64-byte lines
 * with W of them in flight, written again from one buffer as the answers come back.
 */
import type net from 'node:net';
import { connectTcp } from '../harness/sockets.js';
import { delay } from '../harness/process.js';
import { MESSAGE_BYTES, message, WAIT_MS, type Client } from './client.js';

/** A client on one connection, once the server has echoed a probe. */
export async function tcpClient(port: number): Promise<Client> {
  const deadline = Date.now() + WAIT_MS.start;
  let socket: net.Socket;
  for (;;) {
    try {
      socket = await connectTcp(port, WAIT_MS.start);
      break;
    } catch (err) {
      // ECONNREFUSED while the server is still starting; anything past the deadline is fatal.
      if (Date.now() > deadline) throw new Error(`no TCP echo on port ${port} within ${WAIT_MS.start} ms: ${(err as Error).message}`);
      await delay(WAIT_MS.probeInterval);
    }
  }
  let failure: Error | null = null;
  socket.on('error', (err) => (failure = err));
  let bytes = 0;
  let onBytes: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    onBytes();
  });
  const waitBytes = (target: number, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (bytes >= target) return resolve(true);
      const timer = setTimeout(() => {
        onBytes = () => {};
        resolve(false);
      }, ms);
      onBytes = () => {
        if (bytes < target) return;
        clearTimeout(timer);
        onBytes = () => {};
        resolve(true);
      };
    });
  // One probe round trip: a server that accepted but does not echo fails here, not later.
  socket.write(message(0));
  if (!(await waitBytes(MESSAGE_BYTES, WAIT_MS.start))) {
    socket.destroy();
    throw new Error(`no TCP echo from port ${port}`);
  }

  return {
    async pings(count) {
      const rtts = new Float64Array(count);
      for (let i = 1; i <= count; i++) {
        const target = bytes + MESSAGE_BYTES;
        const sent = performance.now();
        socket.write(message(i));
        if (!(await waitBytes(target, WAIT_MS.ping))) throw new Error(`TCP ping ${i} unanswered within ${WAIT_MS.ping} ms${failure ? `: ${(failure as Error).message}` : ''}`);
        rtts[i - 1] = (performance.now() - sent) * 1000;
      }
      return { rtts: rtts.sort(), lost: 0 };
    },
    async throughput(ms, window, onStart) {
      // The window's worth of lines, written again from the same buffer as answers come back.
      const block = Buffer.concat(Array.from({ length: window }, () => message(0)));
      const base = bytes;
      let answered = 0;
      let sending = true;
      let written = window;
      onBytes = () => {
        const done = Math.floor((bytes - base) / MESSAGE_BYTES);
        const k = done - answered;
        answered = done;
        if (sending && k > 0) {
          socket.write(block.subarray(0, k * MESSAGE_BYTES));
          written += k;
        }
      };
      onStart();
      const start = performance.now();
      socket.write(block);
      await delay(ms);
      sending = false;
      const elapsedMs = performance.now() - start;
      const messages = answered;
      // Drained, so the next phase (or the close) starts from a quiet connection.
      const drained = await waitBytes(base + written * MESSAGE_BYTES, 5000);
      onBytes = () => {};
      if (!drained) throw new Error(`TCP echo on port ${port} did not answer the last ${written - answered} messages`);
      return { messages, answers: 0, lost: 0, elapsedMs };
    },
    close() {
      socket.destroy();
    },
  };
}
