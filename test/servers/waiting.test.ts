/**
 * A password room on real sockets (core/admission.ts through every transport's door): peers
 * that never give the password cannot fill it, nor stay by sending anything but `/join`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually } from '../helpers/udp-peer.js';
import { withChatRoom, knock, type ChatRoom } from '../helpers/chat-room.js';
import type { TestPeer } from '../helpers/peers.js';

const ASKED = '* this room needs a password: send /join PASSWORD';
const EVERY = { transport: 'both', web: { port: 0 }, password: 'pw' } as const;

/** Opens `n` peers of each transport that knock and are asked for the password, and never give it. */
async function lurkers(room: ChatRoom, n: number): Promise<TestPeer[]> {
  const out: TestPeer[] = [];
  for (const kind of ['udp', 'tcp', 'ws'] as const) {
    for (let i = 0; i < n; i++) {
      const peer = await room.open(kind);
      knock(peer);
      await peer.waitFor(ASKED);
      out.push(peer);
    }
  }
  return out;
}

const test = suite('a password room: peers without the password, on real sockets');

test('UDP, TCP and WebSocket peers without the password do not fill the room: one with it still gets in', async () => {
  // A cap of 5 waiting per address, as a room off loopback might set (a loopback room, every peer
  // 127.0.0.1, has none by default).
  await withChatRoom({ ...EVERY, limits: { maxPeers: 6, maxWaitingPerIp: 5 } }, async (room) => {
    await lurkers(room, 2);
    const honest = await room.open('tcp');
    honest.send('/join pw');
    await honest.waitFor(/^\* welcome /);
    assert.not.ok(honest.lines.some((l) => l.startsWith('! room full')), honest.lines.join(' | '));
    // Seven from 127.0.0.1 came, five may wait: the two oldest made room, each told and counted.
    assert.is(room.server.room.counters.drops.waitingFull, 2);
  });
});

test('a peer waiting for the password is dropped after the password timeout, whatever else it sends', async () => {
  await withChatRoom({ ...EVERY, sweepIntervalMs: 20, limits: { waitingTimeoutMs: 300 } }, async (room) => {
    const [udp, tcp, ws] = await lurkers(room, 1);
    const DROPPED = '* you were dropped (dropped: no /join within 300ms)';
    const started = performance.now();
    // Chatter until told: a UDP datagram after that would join its port again, as a new peer.
    const chatter = setInterval(() => {
      for (const peer of [udp!, tcp!, ws!]) if (!peer.lines.includes(DROPPED)) peer.send('still here');
    }, 50);
    try {
      for (const peer of [udp!, tcp!, ws!]) await peer.waitFor(DROPPED, 2000);
    } finally {
      clearInterval(chatter);
    }
    // Chatting all along, each went within its wait and a few sweeps, not at the peer timeout.
    assert.ok(performance.now() - started < 1500, `${Math.round(performance.now() - started)} ms`);
    await eventually(() => room.server.room.size === 0, 2000, 'the room empty');
    assert.ok(room.server.room.counters.drops.waitingTimeout >= 3);
    // Each transport forgot its link too: nothing of theirs is left.
    await eventually(() => Object.values(room.server.transports).every((t) => t.stats().peers === 0), 2000, 'every transport empty');
  });
});

test.run();
