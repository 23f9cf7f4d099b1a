/**
 * The `/who` flood of item 3, in a forked child so that on a 2-core machine it does not take the
 * room's CPU: `perAddress` peers on each of `addresses` loopback addresses (127.0.0.1 upwards),
 * each sending `/who` `perSecond` times a second until told to stop. It reads what comes back
 * (as peers do) and reports how much it sent.
 */
import { answerRequests } from '../harness/process.js';
import { closeAll, openMany, type CountingSocket } from './loopback.js';

export type FloodRequest =
  | { type: 'open'; addresses: number; perAddress: number }
  | { type: 'join'; port: number }
  | { type: 'flood'; port: number; perSecond: number; ms: number };

export type FloodReply = { type: 'opened' } | { type: 'joined' } | { type: 'flooded'; sent: number; received: number };

let peers: CountingSocket[] = [];

async function flood(port: number, perSecond: number, ms: number): Promise<FloodReply> {
  const started = performance.now();
  let sent = 0;
  // Every peer's /who, in slices of 10 ms: as many as are due by now, round robin.
  for (let elapsed = 0; elapsed < ms; elapsed = performance.now() - started) {
    const due = Math.floor((elapsed / 1000) * perSecond * peers.length);
    for (; sent < due; sent++) peers[sent % peers.length]!.send(port, '/who');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { type: 'flooded', sent, received: peers.reduce((n, p) => n + p.datagrams, 0) };
}

answerRequests<FloodRequest, FloodReply>(
  async (msg) => {
    if (msg.type === 'flood') return flood(msg.port, msg.perSecond, msg.ms);
    if (msg.type === 'join') {
      for (const p of peers) p.send(msg.port, '/ping');
      return { type: 'joined' };
    }
    const groups = await Promise.all(Array.from({ length: msg.addresses }, (_, i) => openMany(`127.0.0.${i + 1}`, msg.perAddress)));
    peers = groups.flat();
    return { type: 'opened' };
  },
  () => closeAll(peers),
);
