/**
 * Each limit of core/limits.ts enforced by the room, on a fake clock and memory links: the burst
 * and the steady rate, the notices, the drop counters, and `0` turning each one off.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import type { MemoryLink } from '../helpers/memory-link.js';
import { roomHarness, type Member } from '../helpers/room-harness.js';

const encoder = new TextEncoder();

/** A room on a fake clock with these limits (and a password). */
function setup(limits: Partial<Limits> = {}, password?: string) {
  const h = roomHarness({ limits, ...(password ? { password } : {}) });
  return {
    ...h,
    /** The harness's crowd, then a minute later, when every bucket is full again: the renames cost the tests nothing. */
    crowd(...names: string[]): Member[] {
      const members = h.crowd(...names);
      h.tick(60_000);
      return members;
    },
  };
}

function chatFrom(link: MemoryLink, name: string): string[] {
  return link.lines.filter((l) => l.startsWith(`<${name}> `));
}

function slowDowns(link: MemoryLink): string[] {
  return link.lines.filter((l) => l.startsWith('! slow down'));
}

const rate = suite('limits: message rate');

rate('a burst of messageBurst goes through at once; the rest are dropped, counted and not relayed', () => {
  const h = setup({ messageBurst: 30, messageRate: 10 });
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 1; i <= 50; i++) h.send(a!, `line ${i}`);
  assert.is(chatFrom(b!.link, 'alice').length, 30);
  assert.is(chatFrom(b!.link, 'alice')[29], '<alice> line 30');
  assert.is(h.room.counters.drops.rateLimited, 20);
  assert.is(h.room.counters.messages, 30);
});

rate('a flood is told to slow down at most once a second', () => {
  const h = setup({ messageBurst: 5, messageRate: 5 });
  const [a] = h.crowd('alice', 'bob');
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  assert.is(slowDowns(a!.link).length, 1);
  h.tick(999);
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  assert.is(slowDowns(a!.link).length, 1, 'a second notice within the second');
  h.tick(1);
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  assert.is(slowDowns(a!.link).length, 2);
  // 5 at once, then 5 a second for a second: about 10 granted; every other one dropped and counted.
  const granted = h.room.counters.messages;
  assert.ok(granted >= 9 && granted <= 10, `${granted} granted`);
  assert.is(h.room.counters.drops.rateLimited, 300 - granted);
});

rate('after the burst, messages flow at messageRate a second', () => {
  const h = setup({ messageBurst: 10, messageRate: 10 });
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 0; i < 10; i++) h.send(a!, 'burst');
  b!.link.take();
  // One every 100 ms for 5 s: the steady rate, never refused.
  for (let i = 0; i < 50; i++) {
    h.tick(100);
    h.send(a!, `steady ${i}`);
  }
  assert.is(chatFrom(b!.link, 'alice').length, 50);
  assert.is(h.room.counters.drops.rateLimited, 0);
  // Twice the rate: every other one is dropped.
  for (let i = 0; i < 20; i++) {
    h.tick(50);
    h.send(a!, `fast ${i}`);
  }
  assert.is(h.room.counters.drops.rateLimited, 10);
});

rate('the default limits let a 30-line paste through whole', () => {
  const h = setup();
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 0; i < DEFAULT_LIMITS.messageBurst; i++) h.send(a!, `paste line ${i}`);
  assert.is(chatFrom(b!.link, 'alice').length, DEFAULT_LIMITS.messageBurst);
  assert.equal(slowDowns(a!.link), []);
});

rate('each peer has its own bucket: one flooder does not silence the others', () => {
  const h = setup({ messageBurst: 3, messageRate: 1 });
  const [a, b, c] = h.crowd('alice', 'bob', 'carol');
  for (let i = 0; i < 50; i++) h.send(a!, 'flood');
  h.send(b!, 'hello');
  assert.equal(c!.link.lines.slice(-1), ['<bob> hello']);
});

rate('a rate-limited message still counts as a sign of life and as traffic in', () => {
  const h = setup({ messageBurst: 1, messageRate: 1 });
  const [a] = h.crowd('alice', 'bob');
  const before = h.room.counters.traffic['memory']!.messagesIn;
  h.send(a!, 'one');
  h.tick(500);
  h.send(a!, 'two');
  assert.is(h.room.counters.drops.rateLimited, 1);
  assert.is(a!.peer.lastSeen, 60_500);
  assert.is(h.room.counters.traffic['memory']!.messagesIn - before, 2);
});

rate.run();

const off = suite('limits: 0 turns a limit off');

const unlimited: Array<[why: string, limits: Partial<Limits>]> = [
  ['messageBurst 0: a thousand messages at once all go through', { messageBurst: 0 }],
  ['messageRate 0: no limit either, not a burst for life', { messageBurst: 30, messageRate: 0 }],
];

for (const [why, limits] of unlimited) {
  off(why, () => {
    const h = setup(limits);
    const [a, b] = h.crowd('alice', 'bob');
    for (let i = 0; i < 1000; i++) h.send(a!, `m${i}`);
    assert.is(chatFrom(b!.link, 'alice').length, 1000);
    assert.is(h.room.counters.drops.rateLimited, 0);
  });
}

off('renameBurst 0: renames are not limited', () => {
  const h = setup({ renameBurst: 0, messageBurst: 0 });
  const [a] = h.crowd('alice');
  for (let i = 0; i < 100; i++) h.send(a!, `/nick n${i}`);
  assert.is(a!.peer.name, 'n99');
  assert.is(h.room.counters.drops.renameLimited, 0);
});

off('maxPeersPerIp 0 and joinsPerIpPerMinute 0: one address may bring any number of peers', () => {
  const h = setup({ maxPeersPerIp: 0, joinsPerIpPerMinute: 0, maxPeers: 0 });
  for (let i = 0; i < 500; i++) h.joinFrom('10.9.9.9');
  assert.is(h.room.size, 500);
  assert.is(h.room.counters.rejected, 0);
});

off('maxPasswordTries 0: a wrong password may be tried again and again', () => {
  const h = setup({ maxPasswordTries: 0 }, 'pw');
  const a = h.joinFrom('10.0.0.1');
  for (let i = 0; i < 20; i++) h.send(a, '/join nope');
  assert.is(h.room.size, 1);
  assert.is(h.room.counters.drops.badPassword, 20);
  h.send(a, '/join pw');
  assert.ok(a.peer.admitted);
});

off.run();

const rename = suite('limits: rename rate');

rename('renameBurst renames go through, the next is refused, and one more comes every renameIntervalMs', () => {
  const h = setup({ renameBurst: 3, renameIntervalMs: 10_000 });
  const [a, b] = h.crowd('alice', 'bob');
  h.send(a!, '/nick a2');
  h.send(a!, '/nick a3');
  h.send(a!, '/nick a4');
  assert.is(a!.peer.name, 'a4');
  h.send(a!, '/nick a5');
  assert.is(a!.peer.name, 'a4');
  assert.match(a!.link.lines.at(-1)!, /^! too many renames/);
  assert.is(h.room.counters.drops.renameLimited, 1);
  assert.equal(
    h.events.flatMap((e) => (e.type === 'error' ? [e.code] : [])),
    ['ERR_RATE_LIMITED'],
  );
  assert.not.ok(b!.link.lines.some((l) => l.includes('a5')), 'the refused rename was announced');
  h.tick(9_999);
  h.send(a!, '/nick a6');
  assert.is(a!.peer.name, 'a4');
  h.tick(1);
  h.send(a!, '/nick a7');
  assert.is(a!.peer.name, 'a7');
  assert.is(h.room.counters.drops.renameLimited, 2);
});

rename('a rename flood is counted but chat goes on', () => {
  const h = setup({ renameBurst: 1, renameIntervalMs: 60_000, messageBurst: 0 });
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 0; i < 100; i++) h.send(a!, `/nick x${i}`);
  h.send(a!, 'still x0');
  assert.equal(b!.link.lines.slice(-1), ['<x0> still x0']);
  assert.is(h.room.counters.drops.renameLimited, 99);
});

rename.run();

const peers = suite('limits: peers and joins');

peers('maxPeers: the next joiner is told ! room full, counted as roomFull and rejected', () => {
  const h = setup({ maxPeers: 3 });
  for (let i = 0; i < 3; i++) h.joinFrom(`10.0.0.${i + 1}`);
  const late = h.tryJoinFrom('10.0.0.9');
  assert.is(late.peer, null);
  assert.match(late.link.lines[0]!, /^! room full/);
  assert.is(h.room.counters.drops.roomFull, 1);
  assert.is(h.room.counters.rejected, 1);
  assert.is(h.room.size, 3);
});

peers('maxPeersPerIp: one address gets that many peers, then ! too many, while other addresses still join', () => {
  const h = setup({ maxPeersPerIp: 3 });
  const mine = [h.joinFrom('10.0.0.1'), h.joinFrom('10.0.0.1'), h.joinFrom('10.0.0.1')];
  const fourth = h.tryJoinFrom('10.0.0.1');
  assert.is(fourth.peer, null);
  assert.match(fourth.link.lines[0]!, /^! too many peers from 10\.0\.0\.1/);
  assert.is(h.room.counters.drops.perIpLimit, 1);
  assert.ok(h.tryJoinFrom('10.0.0.2').peer, 'another address is turned away too');
  assert.equal(
    h.events.flatMap((e) => (e.type === 'refused' ? [e.code] : [])),
    ['ERR_ROOM_FULL'],
  );
  // A leaver frees its place for its address, whatever the reason it left.
  h.room.leave(mine[0]!.peer, 'disconnected');
  assert.ok(h.tryJoinFrom('10.0.0.1').peer, 'the freed place was not given back');
  assert.is(h.tryJoinFrom('10.0.0.1').peer, null);
  h.send(mine[1]!, '/quit');
  assert.ok(h.tryJoinFrom('10.0.0.1').peer);
});

peers('maxPeersPerIp counts transports together: UDP and TCP peers from one address share it', () => {
  const h = setup({ maxPeersPerIp: 2 });
  h.joinFrom('10.0.0.1', 'udp');
  h.joinFrom('10.0.0.1', 'tcp');
  assert.is(h.tryJoinFrom('10.0.0.1', 'ws').peer, null);
});

peers('joinsPerIpPerMinute: joins past it are refused even after the joiners left, and refill over a minute', () => {
  const h = setup({ joinsPerIpPerMinute: 6, maxPeersPerIp: 0 });
  // Join and leave at once: the peer count never stops it, only the join rate can.
  const churn = () => {
    const { peer } = h.tryJoinFrom('10.0.0.1');
    if (peer) h.room.leave(peer, 'quit');
    return peer !== null;
  };
  for (let i = 0; i < 6; i++) assert.ok(churn(), `join ${i + 1}`);
  assert.not.ok(churn());
  assert.is(h.room.counters.drops.joinRate, 1);
  assert.ok(h.tryJoinFrom('10.0.0.2').peer, 'another address is not limited');
  // 6 a minute: one more every 10 s.
  h.tick(9_999);
  assert.not.ok(churn());
  h.tick(1);
  assert.ok(churn());
  assert.not.ok(churn());
  h.tick(60_000);
  for (let i = 0; i < 6; i++) assert.ok(churn(), `join ${i + 1} after a minute`);
  assert.not.ok(churn());
  assert.is(h.room.counters.drops.joinRate, 4);
});

peers('sweep forgets full join buckets but not one still refilling', () => {
  const h = setup({ joinsPerIpPerMinute: 2, maxPeersPerIp: 0 });
  h.joinFrom('10.0.0.1');
  h.joinFrom('10.0.0.1');
  h.tick(30_000);
  h.room.sweep();
  // Half a minute refilled one token: one join, not two.
  assert.ok(h.tryJoinFrom('10.0.0.1').peer);
  assert.is(h.tryJoinFrom('10.0.0.1').peer, null);
});

peers.run();

/** In a room whose password is `sesame`: a peer let in, and one just joined from another address, pending; neither has anything left to hear. */
function inAndPending(h: ReturnType<typeof setup>): [Member, Member] {
  const a = h.joinFrom('10.0.0.1');
  h.send(a, '/join sesame');
  a.link.take();
  const pending = h.joinFrom('10.0.0.2');
  pending.link.take();
  return [a, pending];
}

const password = suite('limits: a room password');

password('a peer waiting for the password hears nothing, is not listed, and is not announced', () => {
  const h = setup({}, 'sesame');
  const a = h.joinFrom('10.0.0.1');
  h.send(a, '/join sesame');
  h.send(a, '/nick alice');
  a.link.take();
  const pending = h.joinFrom('10.0.0.2');
  assert.equal(pending.link.take(), ['* this room needs a password: send /join PASSWORD']);
  assert.equal(a.link.take(), [], 'the pending peer was announced');
  h.send(a, 'secret plans');
  // Not even a private message reaches it: it is not in the room yet.
  h.send(a, `/msg ${pending.peer.name} psst`);
  assert.match(a.link.take().join('\n'), /^! no such peer/);
  assert.equal(pending.link.take(), [], 'the pending peer heard the room');
  h.send(a, '/who');
  const who = a.link.take();
  assert.is(who.length, 2, who.join('\n'));
  assert.is(who[0], '* 1 peer here:');
  assert.match(who[1]!, /^\*   alice memory 10\.0\.0\.1:\d+ idle \S+ \(you\)$/);
  assert.is(h.room.counters.joins, 1);
  assert.equal(
    h.events.map((e) => e.type),
    ['join', 'rename', 'message', 'error'],
  );
});

password('a pending peer is not heard: its chat is refused and counted as notAdmitted', () => {
  const h = setup({}, 'sesame');
  const [a, pending] = inAndPending(h);
  h.send(pending, 'let me in');
  h.send(pending, '/nick mallory');
  h.send(pending, '/who');
  assert.equal(a.link.take(), []);
  assert.is(pending.link.take().length, 3);
  assert.is(h.room.counters.drops.notAdmitted, 3);
  assert.is(h.room.counters.messages, 0);
});

password('a wrong password is counted, and after maxPasswordTries the peer is dropped without a word to the room', () => {
  const h = setup({ maxPasswordTries: 3 }, 'sesame');
  const [a, guesser] = inAndPending(h);
  h.send(guesser, '/join guess1');
  h.send(guesser, '/join guess2');
  assert.equal(guesser.link.take(), ['! wrong password; send /join PASSWORD', '! wrong password; send /join PASSWORD']);
  assert.is(h.room.size, 2);
  h.send(guesser, '/join guess3');
  assert.is(h.room.size, 1);
  assert.equal(guesser.link.closes, ['dropped']);
  assert.match(guesser.link.take().at(-1)!, /^\* you were dropped/);
  assert.is(h.room.counters.drops.badPassword, 3);
  assert.equal(a.link.take(), [], 'the room heard of a peer it never saw');
  // Its address may try again, as a new peer.
  const again = h.joinFrom('10.0.0.2');
  h.send(again, '/join sesame');
  assert.ok(again.peer.admitted);
});

password('the right password admits: welcome, announced, heard and listed', () => {
  const h = setup({}, 'sesame');
  const a = h.joinFrom('10.0.0.1');
  h.send(a, '/join sesame');
  assert.match(a.link.take().at(-1)!, /^\* welcome 10\.0\.0\.1:\d+; you are alone here/);
  const b = h.joinFrom('10.0.0.2');
  h.send(b, '/join sesame');
  assert.match(b.link.take().at(-1)!, /^\* welcome .* 1 other here/);
  assert.equal(a.link.take(), [`* ${b.peer.name} joined`]);
  h.send(b, 'hi');
  assert.equal(a.link.take(), [`<${b.peer.name}> hi`]);
  h.send(b, '/join sesame');
  assert.equal(b.link.take(), ['* you are in the room already']);
  assert.is(h.room.counters.joins, 2);
});

password('a pending peer may quit, and its leaving is no news', () => {
  const h = setup({}, 'sesame');
  const a = h.joinFrom('10.0.0.1');
  h.send(a, '/join sesame');
  a.link.take();
  const pending = h.joinFrom('10.0.0.2');
  h.send(pending, '/quit');
  assert.is(h.room.size, 1);
  assert.equal(a.link.take(), []);
  assert.not.ok(h.events.some((e) => e.type === 'leave'));
});

password('a pending peer takes no place, and goes when its own wait runs out (test/core/waiting.test.ts has the rest)', () => {
  const h = setup({ maxPeersPerIp: 1, waitingTimeoutMs: 20_000 }, 'sesame');
  h.joinFrom('10.0.0.2');
  assert.ok(h.tryJoinFrom('10.0.0.2').peer, 'a waiting peer took its address\'s one place');
  h.tick(20_000);
  assert.is(h.room.sweep(), 2);
  assert.is(h.room.size, 0);
});

password.run();

const counted = suite('limits: counters');

counted('an oversize message is counted as tooLong and as traffic in', () => {
  const h = setup({ maxMessageBytes: 20 });
  const [a, b] = h.crowd('alice', 'bob');
  h.room.receive(a!.peer, new Uint8Array(21).fill(0x41));
  h.room.receive(a!.peer, new Uint8Array(5000).fill(0x41));
  assert.is(h.room.counters.drops.tooLong, 2);
  assert.equal(b!.link.take(), []);
  // A framer that refuses a TCP line itself reports it the same way.
  h.room.tooLong(a!.peer, 70_000);
  assert.is(h.room.counters.drops.tooLong, 3);
  assert.is(h.room.counters.traffic['memory']!.messagesIn, 2 + 3);
});

counted('traffic per transport adds up to what the links sent and received', () => {
  const h = setup({ maxPeers: 4, messageBurst: 3, messageRate: 1, maxMessageBytes: 100 });
  const udp = h.joinFrom('10.0.0.1', 'udp');
  const tcp = h.joinFrom('10.0.0.2', 'tcp');
  const ws = h.joinFrom('10.0.0.3', 'ws');
  const mem = h.joinFrom('10.0.0.4', 'memory');
  const turnedAway = h.tryJoinFrom('10.0.0.5', 'udp');
  assert.is(turnedAway.peer, null);
  const sent: Record<string, { messages: number; bytes: number }> = {
    udp: { messages: 0, bytes: 0 },
    tcp: { messages: 0, bytes: 0 },
    ws: { messages: 0, bytes: 0 },
    memory: { messages: 0, bytes: 0 },
  };
  const say = (m: Member, bytes: Uint8Array) => {
    sent[m.link.transport]!.messages += 1;
    sent[m.link.transport]!.bytes += bytes.length;
    h.room.receive(m.peer, bytes);
  };
  for (const m of [udp, tcp, ws, mem]) {
    say(m, encoder.encode(`hello from ${m.link.transport}\n`));
    say(m, encoder.encode('/who'));
    say(m, new Uint8Array(200).fill(0x42));
    say(m, encoder.encode('over the rate'));
    say(m, encoder.encode('/nick bad name'));
  }
  h.room.sweep();
  h.tick(60_000);
  h.room.sweep();
  const received = (link: MemoryLink) => ({ messages: link.buffers.length, bytes: link.buffers.reduce((n, b) => n + b.length, 0) });
  for (const m of [udp, tcp, ws, mem]) {
    const t = h.room.counters.traffic[m.link.transport]!;
    const out = received(m.link);
    const extra = m === udp ? received(turnedAway.link) : { messages: 0, bytes: 0 };
    assert.equal(
      { messagesIn: t.messagesIn, bytesIn: t.bytesIn, messagesOut: t.messagesOut, bytesOut: t.bytesOut },
      { messagesIn: sent[m.link.transport]!.messages, bytesIn: sent[m.link.transport]!.bytes, messagesOut: out.messages + extra.messages, bytesOut: out.bytes + extra.bytes },
      m.link.transport,
    );
  }
});

counted('every message in is handled or dropped for a counted reason', () => {
  const h = setup({ messageBurst: 5, messageRate: 1, maxMessageBytes: 50 }, 'pw');
  const [a, b] = [h.joinFrom('10.0.0.1'), h.joinFrom('10.0.0.2')];
  h.send(a, '/join pw');
  h.send(b, 'not in yet');
  h.send(b, '/join wrong');
  for (let i = 0; i < 20; i++) h.send(a, i % 3 === 0 ? 'x'.repeat(60) : `line ${i}`);
  h.room.tooLong(a.peer, 1000);
  const c = h.room.counters;
  const messagesIn = Object.values(c.traffic).reduce((n, t) => n + t.messagesIn, 0);
  assert.is(messagesIn, 23 + 1);
  assert.is(c.drops.notAdmitted, 1);
  assert.ok(c.drops.rateLimited > 0 && c.drops.tooLong > 0, 'the test exercises every term');
  assert.is(messagesIn, c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted);
});

counted.run();
