import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Room } from '../../../src/core/room.js';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { UdpTransport } from '../../../src/transports/udp/transport.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { UdpPeer, eventually } from '../../helpers/udp-peer.js';

/**
 * What only UDP has: a peer is a source address, one datagram is one message of up to 65507
 * bytes, answers to addresses not yet proven are rate-limited, and the server caps what it sends
 * a second. The room's behaviour common to every transport is in ../contract.ts; address
 * validation in validation.test.ts.
 */
const test = suite('the UDP transport on real sockets');

/** `count` sockets that each send one first datagram to the room, counting the welcomes they get. */
async function join(port: number, count: number) {
  const sockets: dgram.Socket[] = [];
  const joiners = {
    welcomes: 0,
    close: () => sockets.forEach((s) => s.close()),
  };
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    sockets.push(s);
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    s.on('message', (msg) => {
      if (String(msg).startsWith('* welcome')) joiners.welcomes += 1;
    });
    s.send('hi', port, '127.0.0.1');
  }
  return joiners;
}

test('welcomes and refusals to joining addresses are rate-limited per source address, joins still happen', async () => {
  // limitOpenAnswers is what a room bound to 0.0.0.0 with --open gets; tests stay on 127.0.0.1.
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 3, maxPeersPerIp: 0, joinsPerIpPerMinute: 0 } });
  const udp = await UdpTransport.listen(room.contextFor(), { host: '127.0.0.1', port: 0, limitOpenAnswers: true });
  let joiners: Awaited<ReturnType<typeof join>> | undefined;
  try {
    joiners = await join(udp.address().port, 10);
    await eventually(() => room.size === 10, 2000, 'ten joins');
    // Every welcome not dropped arrives (loopback); which sockets read first is up to the poller.
    await eventually(() => joiners!.welcomes === 10 - room.counters.drops.unvalidated, 2000, 'welcomes sent = welcomes heard');
    assert.ok(joiners!.welcomes <= 3, `${joiners!.welcomes} welcomes went out`);
    assert.ok(joiners!.welcomes >= 1);
  } finally {
    joiners?.close();
    await udp.close();
  }
});

test('on loopback an open room answers every joining address', async () => {
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 1 } });
  const udp = await UdpTransport.listen(room.contextFor(), { host: '127.0.0.1', port: 0 });
  let joiners: Awaited<ReturnType<typeof join>> | undefined;
  try {
    joiners = await join(udp.address().port, 4);
    await eventually(() => joiners!.welcomes === 4, 2000, 'four welcomes');
    assert.is(room.counters.drops.unvalidated, 0);
  } finally {
    joiners?.close();
    await udp.close();
  }
});

test('the largest datagram, an empty one and any bytes at all leave the room serving', async () => {
  await withChatRoom({}, async ({ join }) => {
    const [evil, a, b] = [await join('udp'), await join('udp'), await join('udp')];
    evil.send(new Uint8Array(0));
    evil.send(Buffer.alloc(65507, 0x41));
    await evil.waitFor('! message too long: 65507 bytes, the limit is 1200; not sent');
    const random = Buffer.alloc(512);
    let x = 42;
    for (let i = 0; i < random.length; i++) random[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    evil.send(random);
    evil.send('done');
    await a.waitFor(`<${evil.address}> done`);
    a.send('still here');
    await b.waitFor(`<${a.address}> still here`);
    assert.not.ok(b.lines.some((l) => l.includes('AAAA')), 'the oversize datagram was relayed');
  });
});

test('a busy port is reported as EADDRINUSE, not thrown later', async () => {
  const first = await startChatServer({ host: '127.0.0.1', port: 0 });
  try {
    const err = await startChatServer({ host: '127.0.0.1', port: first.port }).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    assert.is(err?.code, 'EADDRINUSE');
  } finally {
    await first.close();
  }
});

test.run();

const cap = suite('the global send cap on real sockets');

cap('a broadcast to more peers than maxSendDatagramsPerSecond delivers at most that many, and counts the rest as sendCap', async () => {
  // The cap is a token bucket on the room's clock: a fake clock makes every count exact.
  let now = 0;
  const server = await startChatServer({ host: '127.0.0.1', port: 0, clock: () => now, limits: { maxSendDatagramsPerSecond: 5 } });
  const peers = await Promise.all(Array.from({ length: 9 }, () => UdpPeer.open()));
  try {
    for (const p of peers) p.send(server.port, '');
    await eventually(() => server.room.size === 9, 2000, 'nine peers in');
    const [sender, ...receivers] = peers as [UdpPeer, ...UdpPeer[]];
    let round = 0;
    /** Sends one chat line to the 8 others; returns how many copies went out and how many were counted as dropped. */
    const broadcast = async () => {
      const text = `to everyone ${++round}`;
      const before = server.room.counters.drops.sendCap;
      const messages = server.room.counters.messages;
      sender.send(server.port, text);
      await eventually(() => server.room.counters.messages === messages + 1, 2000, 'the line relayed');
      const dropped = server.room.counters.drops.sendCap - before;
      const heard = () => receivers.filter((r) => r.lines.includes(`<${sender.address}> ${text}`)).length;
      await eventually(() => heard() === Math.max(0, receivers.length - dropped), 2000, 'every copy sent arrives');
      return { heard: heard(), dropped };
    };
    // The nine welcomes spent the second's five datagrams: nothing of the first broadcast goes out.
    const first = await broadcast();
    assert.is(first.heard, 0);
    assert.ok(first.dropped >= receivers.length);
    // A second later the bucket is full again: five copies go out, the other three are counted.
    now += 1000;
    assert.equal(await broadcast(), { heard: 5, dropped: 3 });
    // 400 ms refill two datagrams.
    now += 400;
    assert.equal(await broadcast(), { heard: 2, dropped: 6 });
  } finally {
    for (const p of peers) p.close();
    await server.close();
  }
});

cap.run();
