/**
 * UDP address validation (transports/udp/transport.ts, with udp/cookie.ts): a server that does not know an address
 * answers it with a small, rate-limited challenge and keeps no state until the address echoes its
 * join token.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../../src/client/connection.js';
import { ChatSession } from '../../../src/client/session.js';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../../../src/servers/chat-server.js';
import { UdpPeer, eventually } from '../../helpers/udp-peer.js';

const CHALLENGE = /^\* to join, send: \/join ([A-Za-z0-9_-]{12})$/;

/** A validating room on 127.0.0.1 (where it would be open by default) and the peers a test opens. */
async function withValidating(options: Partial<ChatServerOptions>, body: (server: ChatServer, open: () => Promise<UdpPeer>) => Promise<void>): Promise<void> {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, open: false, ...options });
  const peers: UdpPeer[] = [];
  const open = async () => {
    const peer = await UdpPeer.open();
    peers.push(peer);
    return peer;
  };
  try {
    await body(server, open);
  } finally {
    for (const peer of peers) peer.close();
    await server.close();
  }
}

/** Sends anything, reads the challenge, answers it; returns the token. */
async function validate(server: ChatServer, peer: UdpPeer, extra = ''): Promise<string> {
  const seen = peer.lines.length;
  peer.send(server.port, '/ping hello');
  const line = await peer.waitFor((l) => CHALLENGE.test(l) && peer.lines.indexOf(l) >= seen);
  const token = CHALLENGE.exec(line)![1]!;
  peer.send(server.port, `/join ${token}${extra}\n`);
  return token;
}

// Tests that are not about the answer rate must not run into it: every peer is on 127.0.0.x.
const PLENTY = { limits: { unvalidatedRepliesPerSecond: 1000 } };

const test = suite('UDP address validation on real sockets');

test('a new address is answered with a challenge under 64 bytes, and the server keeps no state for it', async () => {
  await withValidating({}, async (server, open) => {
    const stranger = await open();
    stranger.send(server.port, 'hello, anyone?');
    const line = await stranger.waitFor(CHALLENGE);
    assert.ok(Buffer.byteLength(line + '\n') < 64, `${Buffer.byteLength(line)} bytes`);
    assert.is(server.room.size, 0);
    assert.is(server.transports.udp!.size, 0);
    assert.is(server.room.counters.drops.unvalidated, 1);
    assert.is(server.counters().challenges, 1);
    assert.ok(server.transports.udp!.validating);
  });
});

test('challenges are rate-limited per source address: 50 datagrams from new ports of one address get at most a burst of answers', async () => {
  await withValidating({}, async (server, open) => {
    const started = performance.now();
    const probe = await open();
    await validate(server, probe);
    await probe.waitFor(/^\* welcome /);
    const strangers = await Promise.all(Array.from({ length: 10 }, () => open()));
    for (let round = 0; round < 5; round++) for (const s of strangers) s.send(server.port, `let me in ${round}`);
    await eventually(() => server.counters().challenges === 1 + 50, 2000, 'the server reading all 50 datagrams');
    // Anything the server sent the strangers left before this answer to the probe.
    probe.send(server.port, '/ping sync');
    await probe.waitFor('/pong sync');
    const elapsedS = (performance.now() - started) / 1000;
    const answered = strangers.reduce((n, s) => n + s.lines.filter((l) => CHALLENGE.test(l)).length, 0);
    // The probe's own challenge took one token of 127.0.0.1's burst of 5; the bucket refills at 5/s.
    const most = 5 - 1 + Math.ceil(elapsedS * 5);
    assert.ok(answered >= 1, 'nobody was answered at all');
    assert.ok(answered <= most, `${answered} challenges sent, at most ${most} allowed`);
    assert.is(server.room.counters.drops.unvalidated, 1 + 50);
    assert.is(server.room.size, 1);
  });
});

test('a wrong token, or the token of another address, is refused with a challenge of its own', async () => {
  await withValidating(PLENTY, async (server, open) => {
    const [a, b] = [await open(), await open()];
    a.send(server.port, 'hi');
    const tokenOfA = CHALLENGE.exec(await a.waitFor(CHALLENGE))![1]!;
    b.send(server.port, '/join AAAAAAAAAAAA');
    const first = await b.waitFor(CHALLENGE);
    b.send(server.port, `/join ${tokenOfA}`);
    // The same challenge again (a new one if the minute turned): the token of A is no token for B.
    await b.waitFor(() => b.lines.filter((l) => CHALLENGE.test(l)).length === 2);
    assert.ok(CHALLENGE.test(first));
    assert.not.ok(b.lines.some((l) => l.startsWith('* welcome')), 'b joined with a token that is not its own');
    assert.is(server.room.size, 0);
    assert.is(server.room.counters.drops.unvalidated, 3);
    // A token with something stuck to it is no token either.
    a.send(server.port, `/join ${tokenOfA}x`);
    await eventually(() => server.room.counters.drops.unvalidated === 4, 2000, 'the server reading the bad token');
    assert.is(server.room.size, 0);
  });
});

test('the right token joins: the peer is welcomed, and then chat works both ways', async () => {
  await withValidating(PLENTY, async (server, open) => {
    const [a, b] = [await open(), await open()];
    await validate(server, a);
    await a.waitFor(/^\* welcome 127\.0\.0\.1:\d+; you are alone here/);
    await validate(server, b, '\r');
    await b.waitFor(/^\* welcome .* 1 other here/);
    await a.waitFor(`* ${b.address} joined`);
    a.send(server.port, 'hello b');
    await b.waitFor(`<${a.address}> hello b`);
    b.send(server.port, '/nick bee');
    await a.waitFor(`* ${b.address} is now bee`);
    assert.is(server.room.size, 2);
    assert.is(server.transports.udp!.size, 2);
  });
});

test('/join TOKEN PASSWORD admits to a password room in one datagram', async () => {
  await withValidating({ ...PLENTY, password: 'sesame' }, async (server, open) => {
    const [a, wrong] = [await open(), await open()];
    await validate(server, a, ' sesame');
    await a.waitFor(/^\* welcome /);
    assert.ok(server.room.find(a.address)?.admitted);
    await validate(server, wrong, ' guess');
    await wrong.waitFor(/^! wrong password/);
    assert.not.ok(server.room.find(wrong.address)?.admitted, 'a wrong password admitted');
    assert.is(server.room.counters.drops.badPassword, 1);
  });
});

test('a chat line never goes to an unvalidated address, and /who lists only validated peers', async () => {
  await withValidating(PLENTY, async (server, open) => {
    const [a, b, stranger] = [await open(), await open(), await open()];
    await validate(server, a);
    await a.waitFor(/^\* welcome /);
    await validate(server, b);
    await b.waitFor(/^\* welcome /);
    stranger.send(server.port, '/nick lurker');
    await stranger.waitFor(CHALLENGE);
    a.send(server.port, 'for the room only');
    await b.waitFor(`<${a.address}> for the room only`);
    a.send(server.port, '/who');
    await a.waitFor('* 2 peers here:');
    await a.waitFor(new RegExp(`^\\*   ${b.address.replace(/\./g, '\\.')} udp `));
    stranger.send(server.port, '/who');
    await eventually(() => server.counters().challenges >= 4, 2000, 'the stranger\'s /who read');
    b.send(server.port, '/ping sync');
    await b.waitFor('/pong sync');
    assert.ok(stranger.lines.every((l) => CHALLENGE.test(l)), `the stranger heard: ${JSON.stringify(stranger.lines)}`);
    assert.not.ok(a.lines.some((l) => l.includes(stranger.address)), '/who or a notice named the stranger');
  });
});

test('a ChatSession answers the challenge by itself and joins under its name', async () => {
  await withValidating(PLENTY, async (server) => {
    const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'ann' });
    try {
      session.start();
      await eventually(() => server.room.find('ann')?.admitted === true, 2000, 'ann in the room');
    } finally {
      await session.close();
    }
  });
});

test('a ChatSession with a password joins a validating password room by itself', async () => {
  await withValidating({ ...PLENTY, password: 'pw' }, async (server) => {
    const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'bo', password: 'pw' });
    try {
      session.start();
      await eventually(() => server.room.find('bo')?.admitted === true, 2000, 'bo admitted');
      assert.is(server.room.counters.drops.badPassword, 0);
    } finally {
      await session.close();
    }
  });
});

test.run();
