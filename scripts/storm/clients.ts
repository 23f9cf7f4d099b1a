/**
 * bench-join-storm's forked child: many UDP sockets on 127.0.0.1, one per peer, so each peer is a
 * distinct source address:port. Each sends one first datagram, paced to a rate; what comes back
 * (the room's announcements to all, the /pong to each) is counted, not kept.
 */
import type dgram from 'node:dgram';
import { answerRequests, delay } from '../harness/process.js';
import { bindUdp, closeUdp, HOST } from '../harness/sockets.js';
import type { FromClients, ToClients } from './protocol.js';

/** How often the pacer wakes; each wake sends what the rate allows by then. */
const TICK_MS = 5;

let sockets: dgram.Socket[] = [];
const got = { datagrams: 0, bytes: 0, pongs: 0 };
let answered = new Uint8Array(0);

async function closeAll(): Promise<void> {
  const open = sockets;
  sockets = [];
  await Promise.all(open.map(closeUdp));
}

async function bind(peers: number, recvBuffer: number): Promise<FromClients> {
  await closeAll();
  answered = new Uint8Array(peers);
  // In batches, so a slow bind cannot pile up thousands of pending ones.
  for (let i = 0; i < peers; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, peers - i) }, () => bindUdp({ recv: recvBuffer })));
    for (const socket of batch) {
      const index = sockets.push(socket) - 1;
      socket.on('message', (msg: Buffer) => {
        got.datagrams += 1;
        got.bytes += msg.length;
        // `/pong j\n`: this peer's own first datagram was read and answered.
        if (msg[0] === 0x2f && msg[1] === 0x70 && msg[2] === 0x6f) {
          got.pongs += 1;
          answered[index] = 1;
        }
      });
    }
  }
  return { type: 'bound', ports: new Set(sockets.map((s) => s.address().port)).size };
}

/** One datagram from each socket, in order, `rate` a second. */
async function send(port: number, rate: number, text: string): Promise<FromClients> {
  const start = performance.now();
  let sent = 0;
  let sendErrors = 0;
  const onSent = (err: Error | null): void => {
    if (err) sendErrors += 1;
  };
  // Bounded: every tick sends at least one, so this ends after at most sockets.length ticks.
  while (sent < sockets.length) {
    const due = Math.max(sent + 1, Math.min(sockets.length, Math.floor(((performance.now() - start) * rate) / 1000)));
    for (; sent < due; sent++) sockets[sent]!.send(text, port, HOST, onSent);
    await delay(TICK_MS);
  }
  return { type: 'sent', sent, sendErrors, ms: performance.now() - start };
}

answerRequests<ToClients, FromClients>(
  async (msg) => {
    if (msg.type === 'bind') return bind(msg.peers, msg.recvBuffer);
    if (msg.type === 'send') return send(msg.port, msg.rate, msg.text);
    const reply: FromClients = { type: 'collected', ...got, peersWithPong: answered.reduce((n, a) => n + a, 0) };
    await closeAll();
    return reply;
  },
  closeAll,
);
