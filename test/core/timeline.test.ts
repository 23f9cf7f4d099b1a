/** The room's timeline recorder (core/timeline.ts): what it keeps, what it only counts, and what it never carries. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TIMELINE_LIMITS } from '../../src/core/limits.js';
import type { Peer } from '../../src/core/peer.js';
import { feedText, Timeline, type TimelineEvent } from '../../src/core/timeline.js';

const test = suite('the timeline recorder');

/** A peer as the recorder reads it: its name and its link's channel name. */
function peer(name: string, transport: string): Peer {
  return { name, link: { channel: { name: transport } } } as unknown as Peer;
}

const alice = peer('alice', 'udp');
const bob = peer('bob', 'tcp');

function recorder(now = { t: 0 }): Timeline {
  const timeline = new Timeline(() => now.t);
  timeline.active = true;
  return timeline;
}

test('with no page subscribed it records nothing, and take() has nothing', () => {
  const timeline = new Timeline(() => 0);
  assert.not.ok(timeline.active);
  timeline.read(alice, 5, 1);
  timeline.message(alice, 5, 'hi', 3);
  timeline.drop('rateLimited', 1, alice);
  timeline.roomEvent({ type: 'join', peer: { name: 'alice', address: '127.0.0.1:1', transport: 'udp' } });
  assert.is(timeline.take(), null);
});

test('each kind of event comes out as the contract writes it, in order, at the clock', () => {
  const now = { t: 12.34 };
  const timeline = recorder(now);
  timeline.roomEvent({ type: 'join', peer: { name: 'bob', address: '127.0.0.1:2', transport: 'tcp' } });
  timeline.read(bob, 6, 3);
  timeline.message(bob, 1, 'a', 2);
  timeline.privateMessage(bob, 9, 'alice');
  timeline.command(bob, 'who');
  timeline.drop('tooLong', 1, bob);
  timeline.drop('denied', 1, undefined, 'udp');
  timeline.drop('afterLeave', 4, bob);
  timeline.roomEvent({ type: 'rename', peer: { name: 'bobby', address: '127.0.0.1:2', transport: 'tcp' }, from: 'bob' });
  timeline.roomEvent({ type: 'leave', peer: { name: 'bobby', address: '127.0.0.1:2', transport: 'tcp' }, reason: 'quit' });
  timeline.roomEvent({ type: 'message', peer: { name: 'bobby', address: '127.0.0.1:2', transport: 'tcp' }, text: 'not from here' });
  now.t = 20;
  const batch = timeline.take()!;
  const t = 12.3;
  const expected: TimelineEvent[] = [
    { e: 'join', t, peer: 'bob', transport: 'tcp' },
    { e: 'read', t, peer: 'bob', transport: 'tcp', bytes: 6, messages: 3 },
    { e: 'message', t, peer: 'bob', transport: 'tcp', bytes: 1, text: 'a', receivers: 2 },
    { e: 'message', t, peer: 'bob', transport: 'tcp', bytes: 9, to: 'alice', receivers: 1 },
    { e: 'command', t, peer: 'bob', transport: 'tcp', command: 'who' },
    { e: 'drop', t, peer: 'bob', transport: 'tcp', reason: 'tooLong' },
    { e: 'drop', t, peer: null, transport: 'udp', reason: 'denied' },
    { e: 'drop', t, peer: 'bob', transport: 'tcp', reason: 'afterLeave', count: 4 },
    { e: 'rename', t, peer: 'bob', to: 'bobby' },
    { e: 'leave', t, peer: 'bobby', reason: 'quit' },
  ];
  assert.equal(batch.events, expected);
  assert.is(batch.now, 20);
  assert.is(batch.aggregate, null);
  assert.is(batch.lanesChanged, false);
  assert.is(timeline.take(), null, 'a take empties it');
});

test('a private message never carries its text, and a long text is cut', () => {
  const timeline = recorder();
  timeline.privateMessage(alice, 6, 'bob');
  const long = 'x'.repeat(TIMELINE_LIMITS.maxTextChars + 50);
  timeline.message(alice, long.length, long, 1);
  const [priv, pub] = timeline.take()!.events;
  assert.not.ok('text' in priv!);
  assert.is((pub as { text: string }).text.length, TIMELINE_LIMITS.maxTextChars);
  assert.is(feedText('short'), 'short');
});

test('past a batch share of 300 a second, events are only counted, and the counts add up', () => {
  const now = { t: 100 };
  const timeline = recorder(now);
  assert.is(timeline.perBatch, 30);
  const reads = 50;
  for (let i = 0; i < reads; i++) {
    now.t = 100 + i;
    timeline.read(i % 2 ? alice : bob, 10, 1);
    timeline.message(i % 2 ? alice : bob, 8, `m${i}`, 1);
  }
  timeline.drop('rateLimited', 3, alice);
  timeline.command(alice, 'who');
  timeline.privateMessage(alice, 4, 'bob');
  timeline.roomEvent({ type: 'join', peer: { name: 'carol', address: '127.0.0.1:3', transport: 'ws' } });
  timeline.roomEvent({ type: 'leave', peer: { name: 'carol', address: '127.0.0.1:3', transport: 'ws' }, reason: 'timeout' });
  timeline.roomEvent({ type: 'rename', peer: { name: 'al', address: '127.0.0.1:1', transport: 'udp' }, from: 'alice' });
  now.t = 160;
  const batch = timeline.take()!;
  assert.is(batch.events.length, 30);
  const a = batch.aggregate!;
  const kept = (e: string) => batch.events.filter((x) => x.e === e).length;
  const sum = (r: Record<string, number | undefined>) => Object.values(r).reduce<number>((n, v) => n + (v ?? 0), 0);
  assert.is(kept('read') + sum(a.reads), reads);
  assert.is(kept('message') + sum(a.messages), reads + 1);
  assert.is(sum(a.bytes), sum(a.reads) * 10, 'the bytes are the reads\'');
  assert.equal(a.drops, { rateLimited: 3 });
  assert.is(a.commands, 1);
  assert.equal([a.joins, a.leaves, a.renames], [1, 1, 1]);
  // 50 reads, 51 messages, a drop, a command, a join, a leave, a rename: all but the 30 kept.
  assert.is(a.events, 106 - 30);
  assert.is(a.from, 115, 'the first event past the budget');
  assert.is(a.to, 160, 'the batch\'s time: every counted event was before it');
  assert.ok(batch.lanesChanged, 'a join only counted: the page must be told the lanes');
  // The next batch starts a new share.
  timeline.read(alice, 1, 1);
  const next = timeline.take()!;
  assert.is(next.events.length, 1);
  assert.is(next.aggregate, null);
  assert.is(next.lanesChanged, false);
});

test('turned off, it lets go of what it held', () => {
  const timeline = recorder();
  for (let i = 0; i < 40; i++) timeline.read(alice, 1, 1);
  timeline.active = false;
  timeline.active = true;
  assert.is(timeline.take(), null);
});

test('the budget follows the rate and the batch length it is given', () => {
  assert.is(new Timeline(() => 0, 1000, 100).perBatch, 100);
  assert.is(new Timeline(() => 0, 5, 100).perBatch, 1, 'at least one event a batch');
});

test.run();
