/**
 * A limit must never pass for network loss (issue 10, item 13): the room tells a sender how many
 * of its messages its rate limit dropped (exactly, at most once a second), tells the others the
 * same, logs the first drop of each minute per peer, and a room only this machine reaches has a
 * rate that lets a 1,000-message run through. On a fake clock with memory links.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, defaultLimits, DROP_LOG_INTERVAL_MS, LOOPBACK_LIMITS, type Limits } from '../../src/core/limits.js';
import { droppedNotice, readRefusal, slowDownLine } from '../../src/core/lines.js';
import { reachableOnlyHere } from '../../src/servers/chat-server.js';
import type { MemoryLink } from '../helpers/memory-link.js';
import { roomHarness, type Member } from '../helpers/room-harness.js';

/** A room on a fake clock with these limits, a schedule unless told otherwise, and peers whose buckets are full. */
function setup(limits: Partial<Limits>, options: { scheduled?: boolean; password?: string } = {}) {
  const h = roomHarness({ limits, scheduled: options.scheduled ?? true, ...(options.password ? { password: options.password } : {}) });
  return {
    ...h,
    crowd(...names: string[]): Member[] {
      const members = h.crowd(...names);
      h.tick(60_000);
      for (const m of members) m.link.take();
      h.events.length = 0;
      return members;
    },
  };
}

/** The messages the `! slow down: N dropped` lines a sender was told add up to. */
function toldSender(link: MemoryLink): number {
  return link.lines.reduce((n, line) => {
    const r = line.startsWith('! slow down') ? readRefusal(line) : null;
    return n + (r?.kind === 'self' ? r.count : 0);
  }, 0);
}

/** The messages the `* NAME sent too fast: N messages dropped` notices about `name` add up to. */
function toldOthers(link: MemoryLink, name: string): number {
  return link.lines.reduce((n, line) => {
    const r = readRefusal(line);
    return n + (r?.kind === 'peer' && r.name === name ? r.count : 0);
  }, 0);
}

const told = suite('refusals: the room says how many it dropped');

told('a flood is told its drops exactly: the first at once, the rest in a tally a second later', () => {
  const h = setup({ messageBurst: 30, messageRate: 10 });
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 1; i <= 1000; i++) h.send(a!, `seq=${i}/1000`);
  const drops = h.room.counters.drops.rateLimited;
  assert.is(drops, 970);
  assert.equal(
    a!.link.lines.filter((l) => l.startsWith('!')),
    ['! slow down: 1 dropped; at most 10 messages a second (bursts of 30)'],
  );
  h.tick(999);
  assert.is(toldSender(a!.link), 1, 'a tally before the second was over');
  h.tick(1);
  assert.is(toldSender(a!.link), drops, 'the sender counts every drop');
  assert.is(toldOthers(b!.link, 'alice'), drops, 'the others count every drop');
  assert.is(a!.link.lines.filter((l) => l.startsWith('! slow down')).length, 2);
  assert.equal(h.jobs, [], 'a tally with nothing to tell was scheduled');
});

told('a tally timer that fires late, after an accepted message told the drops, tells nothing until a second has passed', () => {
  const h = setup({ messageBurst: 1, messageRate: 1 });
  const [a] = h.crowd('alice', 'bob');
  const notices = () => a!.link.lines.filter((l) => l.startsWith('! slow down')).length;
  h.send(a!, 'one'); // accepted: the bucket is empty now
  h.tick(10);
  h.send(a!, 'two'); // dropped: told at once (t=10)
  h.tick(10);
  h.send(a!, 'three'); // dropped: a tally is scheduled for t=1010
  assert.is(notices(), 1);
  h.lag(995); // the timer's time passes unrun (t=1015)
  h.send(a!, 'four'); // accepted (a token came at t=1000): the drop is told now, with it
  assert.is(notices(), 2);
  h.send(a!, 'five'); // dropped within the second just begun
  h.tick(1); // the late timer runs: not a second since the last notice, so nothing yet
  assert.is(notices(), 2, 'two notices within 1 ms');
  h.tick(1000);
  assert.is(notices(), 3);
  assert.is(toldSender(a!.link), h.room.counters.drops.rateLimited);
});

told('under a steady flood, at most one notice a second, and every drop is in one of them', () => {
  const h = setup({ messageBurst: 5, messageRate: 5 });
  const [a, b] = h.crowd('alice', 'bob');
  // 100 a second for 10 seconds, then silence.
  for (let ms = 0; ms < 10_000; ms += 10) {
    h.send(a!, 'flood');
    h.tick(10);
  }
  h.tick(2000);
  const notices = a!.link.lines.filter((l) => l.startsWith('! slow down'));
  assert.ok(notices.length >= 10 && notices.length <= 12, `${notices.length} notices in 12 s`);
  assert.is(toldSender(a!.link), h.room.counters.drops.rateLimited);
  assert.is(toldOthers(b!.link, 'alice'), h.room.counters.drops.rateLimited);
  assert.ok(h.room.counters.drops.rateLimited > 900);
});

told('without a schedule, the tally comes with the next message past the second', () => {
  const h = setup({ messageBurst: 2, messageRate: 1 }, { scheduled: false });
  const [a] = h.crowd('alice', 'bob');
  for (let i = 0; i < 10; i++) h.send(a!, 'x');
  assert.is(toldSender(a!.link), 1);
  h.tick(1500);
  h.send(a!, 'y');
  assert.is(toldSender(a!.link), 8);
  assert.is(h.room.counters.drops.rateLimited, 8);
});

told('the drops of a peer still waiting for the password are told to it, never to the room', () => {
  const h = setup({ messageBurst: 2, messageRate: 1 }, { password: 'pw' });
  const a = h.joinFrom('10.0.0.1');
  h.send(a, '/join pw');
  a.link.take();
  const pending = h.joinFrom('10.0.0.2');
  for (let i = 0; i < 10; i++) h.send(pending, 'let me in');
  h.tick(1000);
  assert.is(toldSender(pending.link), h.room.counters.drops.rateLimited);
  assert.equal(a.link.take(), []);
});

told('a peer that leaves before its tally is not told, and nothing is sent for it', () => {
  const h = setup({ messageBurst: 1, messageRate: 1 });
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 0; i < 5; i++) h.send(a!, 'x');
  h.room.leave(a!.peer, 'quit');
  b!.link.take();
  h.tick(1000);
  assert.equal(b!.link.take(), []);
});

told.run();

const logged = suite('refusals: the server logs why, once a minute per peer');

logged('the first drop of each minute per peer is an ERR_RATE_LIMITED event that says why', () => {
  const h = setup({ messageBurst: 3, messageRate: 1 });
  const [a, b] = h.crowd('alice', 'bob');
  const limited = () => h.events.filter((e) => e.type === 'error' && e.code === 'ERR_RATE_LIMITED');
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  for (let i = 0; i < 100; i++) h.send(b!, 'flood');
  assert.is(limited().length, 2, 'one event per peer');
  const first = limited()[0]!;
  assert.ok(first.type === 'error' && first.peer?.name === 'alice');
  assert.match(first.type === 'error' ? first.message : '', /too fast.*1 a second \(bursts of 3/);
  h.tick(DROP_LOG_INTERVAL_MS - 1);
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  assert.is(limited().length, 2, 'logged again within the minute');
  h.tick(1);
  for (let i = 0; i < 100; i++) h.send(a!, 'flood');
  assert.is(limited().length, 3);
});

logged.run();

const lines = suite('refusals: the lines and how they are read');

lines('a slow-down counts its number, any other ! line one, the notice its number for its peer', () => {
  assert.equal(readRefusal(slowDownLine(12, 10, 30)), { kind: 'self', count: 12 });
  assert.equal(readRefusal('! message too long: 2000 bytes, the limit is 1200; not sent'), { kind: 'self', count: 1 });
  assert.equal(readRefusal(droppedNotice('alice', 1, 10)), { kind: 'peer', name: 'alice', count: 1 });
  assert.equal(readRefusal(droppedNotice('127.0.0.1:5000', 957, 10)), { kind: 'peer', name: '127.0.0.1:5000', count: 957 });
  assert.is(readRefusal('<alice> * bob sent too fast: 5 messages dropped'), null);
  assert.is(readRefusal('* bob joined'), null);
});

lines.run();

const loopback = suite('refusals: a room only this machine reaches');

loopback('off loopback the defaults stay protective; on loopback a 1,000-message burst goes through whole', () => {
  assert.equal(defaultLimits(false), DEFAULT_LIMITS);
  const l = defaultLimits(true);
  const loopbackOnly = { messageBurst: l.messageBurst, messageRate: l.messageRate, outputBytesPerIp: l.outputBytesPerIp, maxWaitingPerIp: l.maxWaitingPerIp };
  assert.equal({ ...l, messageBurst: DEFAULT_LIMITS.messageBurst, messageRate: DEFAULT_LIMITS.messageRate, outputBytesPerIp: DEFAULT_LIMITS.outputBytesPerIp, maxWaitingPerIp: DEFAULT_LIMITS.maxWaitingPerIp }, { ...DEFAULT_LIMITS });
  assert.ok(l.messageBurst >= 1000 && l.messageRate >= 1000);
  // Every peer is 127.0.0.1 there: no cap per address.
  assert.is(l.outputBytesPerIp, 0);
  assert.is(l.maxWaitingPerIp, 0);
  assert.equal(LOOPBACK_LIMITS, loopbackOnly);
  const h = setup(l);
  const [a, b] = h.crowd('alice', 'bob');
  for (let i = 1; i <= 1000; i++) h.send(a!, `seq=${i}/1000`);
  assert.is(b!.link.lines.filter((x) => x.startsWith('<alice> seq=')).length, 1000);
  assert.is(h.room.counters.drops.rateLimited, 0);
  // The seed's sticky-packet client: 30 writes, then one more line.
  for (let i = 0; i < 31; i++) h.send(b!, 'Hello world, hello regy!');
  assert.is(a!.link.lines.filter((x) => x === '<bob> Hello world, hello regy!').length, 31);
});

loopback('loopback means the room and its page: a page on the LAN makes the room reachable', () => {
  assert.ok(reachableOnlyHere('127.0.0.1'));
  assert.ok(reachableOnlyHere('::1'));
  assert.ok(reachableOnlyHere('localhost', '127.0.0.1'));
  assert.not.ok(reachableOnlyHere('127.0.0.1', '0.0.0.0'));
  assert.not.ok(reachableOnlyHere('0.0.0.0'));
  assert.not.ok(reachableOnlyHere('192.168.1.10'));
});

loopback.run();
