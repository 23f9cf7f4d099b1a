/**
 * The page's live timeline on real sockets (`GET /timeline`, transports/ws/timeline-feed.ts): what
 * each transport's reads and the room's doings look like on it, its bounds, and who may read it.
 */
import os from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Peer } from '../../../src/core/peer.js';
import type { TimelineEvent } from '../../../src/core/timeline.js';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { httpStatus, UPGRADE_HEADERS } from '../../helpers/http-status.js';
import { TimelineClient } from '../../helpers/timeline-client.js';
import { eventually } from '../../helpers/udp-peer.js';
import { UpgradeRefused } from '../../helpers/ws-peer.js';

const test = suite('the live timeline on real sockets');

type Of<K extends TimelineEvent['e']> = Extract<TimelineEvent, { e: K }>;
const is =
  <K extends TimelineEvent['e']>(kind: K, fields: Partial<Of<K>> = {}) =>
  (e: TimelineEvent): e is Of<K> =>
    e.e === kind && Object.entries(fields).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v);

/** This machine's first address off loopback (to be a browser elsewhere on the LAN without leaving the machine), if any. */
function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

test('a UDP datagram is one read and one message; a TCP write of three lines is ONE read with messages 3, then three messages', async () => {
  await withChatRoom({ transport: 'both', web: { port: 0 } }, async ({ server, join }) => {
    const feed = await TimelineClient.open(server.transports.ws!.port);
    try {
      assert.is(feed.hello.type, 'hello');
      assert.is(feed.hello.maxEventsPerSecond, 300);
      assert.is(feed.hello.peerTimeoutMs, server.room.peerTimeoutMs);
      const u = await join('udp', 'u');
      const t = await join('tcp', 't');
      await feed.event(is('rename', { to: 't' }));
      u.send('hello there');
      const read = await feed.event(is('read', { peer: 'u', transport: 'udp' }));
      assert.is(read.bytes, 11);
      assert.is(read.messages, 1);
      const said = await feed.event(is('message', { peer: 'u', text: 'hello there' }));
      assert.is(said.receivers, 1);
      assert.is(said.transport, 'udp');
      t.write('one\ntwo\nthree\n');
      await feed.until(() => feed.events.filter(is('message', { peer: 't' })).length === 3, 2000, 'three TCP messages');
      const events = feed.events;
      const at = events.findIndex(is('read', { peer: 't', transport: 'tcp' }));
      assert.equal(events[at], { ...events[at]!, bytes: 14, messages: 3 } as TimelineEvent);
      assert.equal(
        events.slice(at + 1, at + 4).map((e) => (e as Of<'message'>).text),
        ['one', 'two', 'three'],
        'the read first, then the messages it held',
      );
      assert.is(events.filter(is('read', { peer: 't' })).length, 1, 'one read for the one write');
      // A partial line is a read with no message; its end, a read with one.
      t.write('par');
      await feed.event(is('read', { peer: 't', bytes: 3, messages: 0 }));
      t.write('tial\n');
      await feed.event(is('read', { peer: 't', bytes: 5, messages: 1 }));
      await feed.event(is('message', { peer: 't', text: 'partial' }));
      // A last line without its newline: the FIN's read (0 bytes) ends it.
      t.write('last words');
      await feed.event(is('read', { peer: 't', bytes: 10, messages: 0 }));
      t.socket.end();
      await feed.event(is('read', { peer: 't', bytes: 0, messages: 1 }));
      await feed.event(is('message', { peer: 't', text: 'last words' }));
      // Every `t` on the room's clock, in order.
      const ts = feed.events.map((e) => e.t);
      assert.equal(ts, [...ts].sort((a, b) => a - b));
    } finally {
      feed.close();
    }
  });
});

test('a page peer\'s frame is a read and a message; a private message has no text; commands and drops say what and why', async () => {
  // Names, not addresses (as off loopback): so no frame may hold an address at all.
  await withChatRoom({ transport: 'udp', web: { port: 0 }, limits: { maxMessageBytes: 20 }, showAddresses: false }, async ({ server, join }) => {
    const feed = await TimelineClient.open(server.transports.ws!.port);
    try {
      const u = await join('udp');
      const w = await join('ws');
      for (const [peer, name] of [[u, 'u'], [w, 'w']] as const) {
        peer.send(`/nick ${name}`);
        await peer.waitFor(new RegExp(`is now ${name}$`));
      }
      w.send('from the page');
      await feed.event(is('read', { peer: 'w', transport: 'ws', bytes: 13, messages: 1 }));
      await feed.event(is('message', { peer: 'w', transport: 'ws', text: 'from the page', receivers: 1 }));
      w.send('/msg u a secret line');
      const whisper = await feed.event(is('message', { peer: 'w', to: 'u' }));
      assert.is(whisper.receivers, 1);
      assert.not.ok('text' in whisper, 'a private message carries no text');
      await u.waitFor(/a secret line/);
      u.send('/who');
      await feed.event(is('command', { peer: 'u', command: 'who', transport: 'udp' }));
      u.send('x'.repeat(30));
      const drop = await feed.event(is('drop', { reason: 'tooLong' }));
      assert.is(drop.peer, 'u');
      assert.is(drop.transport, 'udp');
      w.send('/nick ww');
      await feed.event(is('rename', { peer: 'w', to: 'ww' }));
      w.send('/quit');
      await feed.event(is('leave', { peer: 'ww', reason: 'quit' }));
      assert.not.ok(feed.raw.some((frame) => frame.includes('secret')), 'no frame carries the private text');
      assert.not.ok(feed.raw.some((frame) => frame.includes('127.0.0.1')), 'no frame carries an address');
    } finally {
      feed.close();
    }
  });
});

test('a flood past 300 a second is aggregated: each batch keeps at most 30 events, and the counts add up', async () => {
  // No rate limit, so every datagram is a message; the peers are named, so no address is in a name.
  await withChatRoom({ transport: 'udp', web: { port: 0 }, limits: { messageBurst: 0 } }, async ({ server, join }) => {
    const feed = await TimelineClient.open(server.transports.ws!.port);
    try {
      const u = await join('udp', 'u');
      await join('udp', 'v');
      const before = server.room.counters.traffic['udp']!.messagesIn;
      const n = 1500;
      for (let i = 0; i < n; i += 50) {
        for (let j = i; j < i + 50; j++) u.send(`flood ${j}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await eventually(() => server.room.counters.traffic['udp']!.messagesIn - before === n, 5000, 'the flood read');
      const reads = () =>
        feed.batches.reduce((sum, b) => sum + b.events.filter(is('read', { peer: 'u' })).length + (b.aggregate?.reads['udp'] ?? 0), 0);
      await feed.until(() => reads() >= n, 3000, 'the flood on the feed');
      const messages = feed.batches.reduce((sum, b) => sum + b.events.filter(is('message', { peer: 'u' })).length + (b.aggregate?.messages['udp'] ?? 0), 0);
      assert.is(reads(), n, 'every datagram is a read, kept or counted');
      assert.is(messages, n, 'every message, kept or counted');
      assert.ok(feed.batches.some((b) => b.aggregate !== null), 'some were only counted');
      for (const b of feed.batches) assert.ok(b.events.length <= 30, `a batch of ${b.events.length} events`);
      for (const b of feed.batches) if (b.aggregate) assert.ok(b.aggregate.from <= b.aggregate.to);
    } finally {
      feed.close();
    }
  });
});

test('a TCP write past the peer\'s message budget is ONE read with all its messages, before the late ones reach the room', async () => {
  await withChatRoom({ transport: 'tcp', web: { port: 0 }, limits: { messageBurst: 3, messageRate: 50 } }, async ({ server, join }) => {
    const feed = await TimelineClient.open(server.transports.ws!.port);
    try {
      const t = await join('tcp', 't');
      await feed.event(is('rename', { to: 't' }));
      t.write('1\n2\n3\n4\n5\n6\n');
      await feed.until(() => feed.events.filter(is('message', { peer: 't' })).length === 6, 2000, 'six TCP messages, some late');
      const events = feed.events;
      const at = events.findIndex(is('read', { peer: 't', transport: 'tcp' }));
      assert.equal(events[at], { ...events[at]!, bytes: 12, messages: 6 } as TimelineEvent);
      assert.ok(at < events.findIndex(is('message', { peer: 't' })), 'the read first');
      assert.is(events.filter(is('read', { peer: 't' })).length, 1, 'one read for the one write');
      assert.equal(events.filter(is('message', { peer: 't' })).map((e) => e.text), ['1', '2', '3', '4', '5', '6']);
    } finally {
      feed.close();
    }
  });
});

test('a page that does not read misses batches, told in skipped, and what is queued for it stays bounded', async () => {
  await withChatRoom({ transport: 'udp', web: { port: 0 } }, async ({ server }) => {
    const feed = server.transports.ws!.feed!;
    const slow = await TimelineClient.open(server.transports.ws!.port);
    try {
      // The page stops reading: the kernel's buffers fill, then the server's queue for it.
      slow.socket.pause();
      const timeline = server.room.timeline;
      const peer = { name: 'n'.repeat(24), link: { channel: { name: 'udp' } } } as unknown as Peer;
      let largest = 0;
      let ticks = 0;
      // Batches straight from the recorder, a full one each tick, until the page is skipped.
      while (feed.skipped === 0 && ticks < 20_000) {
        for (let i = 0; i < 30; i++) timeline.message(peer, 200, 'x'.repeat(200), 1);
        feed.tick();
        ticks += 1;
        largest = Math.max(largest, feed.queued());
        if (ticks % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(feed.skipped > 0, `skipped after ${ticks} batches`);
      for (let i = 0; i < 50; i++) {
        for (let j = 0; j < 30; j++) timeline.message(peer, 200, 'x'.repeat(200), 1);
        feed.tick();
        largest = Math.max(largest, feed.queued());
      }
      // The cap and one batch (30 events of some 300 bytes) past it, at most.
      assert.ok(largest <= 256 * 1024 + 12_000, `queued ${largest} bytes for a page that does not read`);
      assert.ok(feed.skipped >= 50, 'each batch past the cap was skipped');
      slow.socket.resume();
      // Once it reads again, it hears how many it missed.
      const deadline = Date.now() + 5000;
      while (!slow.batches.some((b) => b.skipped > 0) && Date.now() < deadline) {
        timeline.message(peer, 2, 'hi', 1);
        feed.tick();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const told = slow.batches.find((b) => b.skipped > 0);
      assert.ok(told, 'a batch told the page it missed some');
      assert.ok(told!.skipped >= 50);
    } finally {
      slow.close();
    }
  });
});

test('the feed is read-only: a few bytes from the page are ignored, much closes it; the 17th page is refused', async () => {
  await withChatRoom({ transport: 'udp', web: { port: 0 } }, async ({ server, join }) => {
    const port = server.transports.ws!.port;
    const pages: TimelineClient[] = [];
    try {
      for (let i = 0; i < 16; i++) pages.push(await TimelineClient.open(port));
      const refused = await TimelineClient.open(port).then(
        (c) => (pages.push(c), 0),
        (err: unknown) => (err instanceof UpgradeRefused ? err.status : -1),
      );
      assert.is(refused, 503, 'past 16 pages');
      const talker = pages[0]!;
      talker.socket.send('hello?');
      const u = await join('udp', 'u');
      u.send('still here');
      await talker.event(is('message', { peer: 'u', text: 'still here' }));
      talker.socket.send('x'.repeat(5000));
      await talker.until(() => talker.closeCode !== undefined, 2000, 'closed');
      assert.ok(talker.closeCode === 1008 || talker.closeCode === 1009, `closed with ${talker.closeCode}`);
      // Its place is free again.
      await eventually(() => server.transports.ws!.feed!.size === 15, 2000, 'the place freed');
      pages.push(await TimelineClient.open(port));
      // All gone: the room records nothing.
      for (const p of pages) p.close();
      await eventually(() => !server.room.timeline.active, 2000, 'recording off');
    } finally {
      for (const p of pages) p.close();
    }
  });
});

test('a page that answers pings stays; one that does not is cut at the next check, freeing its place', async () => {
  await withChatRoom({ transport: 'udp', web: { port: 0 } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    const feed = server.transports.ws!.feed!;
    const live = await TimelineClient.open(port);
    // ws answers pings on its own unless told not to: this one plays a laptop whose lid was shut.
    const { WebSocket } = await import('ws');
    const hung = new WebSocket(`ws://127.0.0.1:${port}/timeline`, { autoPong: false });
    try {
      await new Promise<void>((resolve, reject) => (hung.once('open', () => resolve()), hung.once('error', reject)));
      await eventually(() => feed.size === 2, 2000, 'two pages');
      feed.checkAlive();
      await eventually(() => feed.unanswered === 1, 2000, 'the live page\'s pong');
      feed.checkAlive();
      await eventually(() => feed.size === 1, 2000, 'the hung page cut');
      assert.is(live.closeCode, undefined, 'the live page stays');
    } finally {
      live.close();
      hung.terminate();
    }
  });
});

test('who may read it: anyone in an open room; in a closed one only this machine or the teacher key; Host and Origin as for the chat', async () => {
  // A room with a password: loopback reads it.
  await withChatRoom({ transport: 'udp', password: 'pw', web: { port: 0, teacherKey: 'k'.repeat(24) } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    (await TimelineClient.open(port)).close();
    const headers = { ...UPGRADE_HEADERS, host: `127.0.0.1:${port}` };
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...headers, host: `evil.example:${port}` }), 403, 'a foreign Host');
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...headers, origin: 'http://evil.example' }), 403, 'a foreign Origin');
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...headers, origin: `http://127.0.0.1:${port}` }), 101, 'the page\'s own Origin');
    assert.is(await httpStatus('127.0.0.1', port, '/timelines', headers), 404);
  });
  const lan = lanAddress();
  if (!lan) {
    console.log('  (no address off loopback on this machine: the LAN access cases are not run)');
    return;
  }
  // Off loopback: a browser elsewhere on the LAN (this machine's own LAN address, nothing leaves it).
  const key = 'teacher_key-123456789';
  for (const closed of [{ password: 'pw' }, { tickets: { secret: 's'.repeat(32) } }]) {
    const server = await startChatServer({ host: '127.0.0.1', port: 0, ...closed, web: { port: 0, host: '0.0.0.0', teacherKey: key } });
    try {
      const port = server.transports.ws!.port;
      const headers = { ...UPGRADE_HEADERS, host: `${lan}:${port}` };
      assert.is(await httpStatus(lan, port, '/timeline', headers), 403, 'no key');
      assert.is(await httpStatus(lan, port, '/timeline?key=wrong', headers), 403, 'a wrong key');
      assert.is(await httpStatus(lan, port, `/timeline?key=${key}x`, headers), 403, 'a longer key');
      const teacher = await TimelineClient.open(port, { host: lan, query: `?key=${key}` });
      teacher.close();
    } finally {
      await server.close();
    }
  }
  const open = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0, host: '0.0.0.0' } });
  try {
    (await TimelineClient.open(open.transports.ws!.port, { host: lan })).close();
  } finally {
    await open.close();
  }
});

test('a class cannot take every place: past the students\' pages the teacher\'s still gets in (this machine\'s LAN address)', async () => {
  const lan = lanAddress();
  if (!lan) {
    console.log('  (no address off loopback on this machine: the teacher places case is not run)');
    return;
  }
  const key = 'teacher_key-123456789';
  // An open room: anyone on the LAN may read its timeline, so a student's script may open many pages.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0, host: lan, teacherKey: key } });
  const pages: TimelineClient[] = [];
  try {
    const port = server.transports.ws!.port;
    let refused = 0;
    for (let i = 0; i < 16 && refused === 0; i++) {
      refused = await TimelineClient.open(port, { host: lan }).then(
        (c) => (pages.push(c), 0),
        (err: unknown) => (err instanceof UpgradeRefused ? err.status : -1),
      );
    }
    assert.is(refused, 503, 'the students\' pages stop short of every place');
    assert.is(pages.length, 12, '16 places, 4 of them kept for the teacher');
    for (let i = 0; i < 4; i++) pages.push(await TimelineClient.open(port, { host: lan, query: `?key=${key}` }));
    const more = await TimelineClient.open(port, { host: lan, query: `?key=${key}` }).then(
      (c) => (pages.push(c), 0),
      (err: unknown) => (err instanceof UpgradeRefused ? err.status : -1),
    );
    assert.is(more, 503, 'past 16 pages in all, the teacher\'s too');
    // A student's page gone frees a student's place, not a kept one.
    pages.shift()!.close();
    await eventually(() => server.transports.ws!.feed!.size === 15, 2000, 'the place freed');
    pages.push(await TimelineClient.open(port, { host: lan }));
  } finally {
    for (const p of pages) p.close();
    await server.close();
  }
});

test('with --origin *, a site the teacher visits is not the teacher: it cannot read a closed room from the teacher\'s machine', async () => {
  await withChatRoom({ transport: 'udp', password: 'pw', web: { port: 0, origins: ['*'], teacherKey: 'k'.repeat(24) } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    const headers = { ...UPGRADE_HEADERS, host: `127.0.0.1:${port}` };
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...headers, origin: 'http://evil.example' }), 403, 'another site, from loopback');
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...headers, origin: `http://127.0.0.1:${port}` }), 101, 'the page\'s own origin');
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', headers), 101, 'no Origin: not a browser page');
    assert.is(await httpStatus('127.0.0.1', port, `/timeline?key=${'k'.repeat(24)}`, { ...headers, origin: 'http://elsewhere.example' }), 101, 'a page holding the key');
  });
  // An open room's feed is anyone's, another site's page included, as --origin * says.
  await withChatRoom({ transport: 'udp', web: { port: 0, origins: ['*'] } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    assert.is(await httpStatus('127.0.0.1', port, '/timeline', { ...UPGRADE_HEADERS, host: `127.0.0.1:${port}`, origin: 'http://evil.example' }), 101);
  });
});

test.run();
