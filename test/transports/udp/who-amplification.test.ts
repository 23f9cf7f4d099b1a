/**
 * Item 2 on real sockets: a `/who` stream from one address gets at most 3x its own bytes back
 * (wire bytes both ways), in an open room and in a validating one. The victim's sockets are on
 * 127.0.0.5; where that address cannot be bound (macOS without an alias) the test is skipped.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loopbackAliases } from '../../../scripts/trust/loopback.js';
import { openRoomWhoFlood, validatedWhoFlood, type Amplification } from '../../../scripts/trust/who-amplification.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import { startChatServer, type ChatServer } from '../../../src/servers/chat-server.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { UdpPeer } from '../../helpers/udp-peer.js';

const test = suite('/who amplification on real sockets');

function figures(a: Amplification): string {
  return `sent ${a.sentBytes} B, got ${a.receivedBytes} B back (x${a.ratio.toFixed(2)}); outputBudget ${a.outputBudget}, whoTooSoon ${a.whoTooSoon}`;
}

test('an open room, 60 peers: 2,000 /who from 50 ports of one address get at most 3x their bytes back', async () => {
  if (!(await loopbackAliases())) return console.log('  skipped: 127.0.0.5 cannot be bound here');
  const a = await openRoomWhoFlood({ ports: 50, perPort: 40, others: 10, ms: 1500 });
  assert.ok(a.ratio <= 3, figures(a));
  assert.ok(a.whoTooSoon > 1000, figures(a));
});

test('a validating room, 60 peers: 50 /who from a validated peer\'s address get at most 3x their bytes back', async () => {
  if (!(await loopbackAliases())) return console.log('  skipped: 127.0.0.5 cannot be bound here');
  const a = await validatedWhoFlood({ others: 59, count: 50, ms: 1000 });
  assert.ok(a.ratio <= 3, figures(a));
  // One full answer (the first), one short `!` line, nothing for the rest (some of the 50 are past the message rate).
  assert.ok(a.whoTooSoon >= 30, figures(a));
});

/** Each peer sends `/who` once; returns how many got the listing's header. */
async function whoOnce(server: ChatServer, peers: UdpPeer[]): Promise<number> {
  const answered = await Promise.all(
    peers.map(async (p) => {
      p.send(server.port, '/who');
      return p.waitFor(/^\* \d+ peers? here:$/, 3000).then(
        () => true,
        () => false,
      );
    }),
  );
  return answered.filter(Boolean).length;
}

test('honest crowds from one address are answered: 40 UDP peers of a loopback room, 40 validated UDP peers, 40 TCP peers', async () => {
  // Before: the per-address budget (4 KiB a second) was the whole room's on loopback, and a class
  // behind one NAT address's: 4 of 40 got a full answer, 34 nothing at all.
  for (const open of [true, false]) {
    // Off loopback's budget per address, set as there; a loopback room has none (every peer is 127.0.0.1).
    const server = await startChatServer({ host: '127.0.0.1', port: 0, open, limits: { outputBytesPerIp: open ? 0 : DEFAULT_LIMITS.outputBytesPerIp, unvalidatedRepliesPerSecond: 0, joinsPerIpPerMinute: 0 } });
    const peers: UdpPeer[] = [];
    try {
      for (let i = 0; i < 40; i++) peers.push(await UdpPeer.open());
      for (const p of peers) p.send(server.port, '/ping hello');
      // A validating room answers with a token first: echo it back (what the clients do).
      if (!open) {
        await Promise.all(peers.map(async (p) => p.send(server.port, (await p.waitFor(/^\* to join, send: \/join /)).slice('* to join, send: '.length))));
      }
      await Promise.all(peers.map((p) => p.waitFor(/^\* welcome /, 3000)));
      assert.is(await whoOnce(server, peers), 40, open ? 'loopback room' : 'validating room');
    } finally {
      for (const p of peers) p.close();
      await server.close();
    }
  }
  await withChatRoom({ transport: 'tcp', limits: { outputBytesPerIp: DEFAULT_LIMITS.outputBytesPerIp, joinsPerIpPerMinute: 0 } }, async ({ open }) => {
    const tcp = await Promise.all(Array.from({ length: 40 }, () => open('tcp')));
    await Promise.all(tcp.map((t) => t.waitFor(/^\* welcome /)));
    await Promise.all(tcp.map((t) => t.send('/who')));
    const answered = await Promise.all(tcp.map((t) => t.waitFor(/^\* \d+ peers? here:$/, 3000).then(() => true, () => false)));
    assert.is(answered.filter(Boolean).length, 40, 'TCP peers');
  });
});

test.run();
