/**
 * Join notices, coalesced (core/join-notices.ts) as the room tells them: on a fake clock with a
 * fake schedule, the first JOIN_NOTICE_BURST joins one by one, the rest gathered for the window
 * and told in one line, and nothing from a joiner ever ahead of its `joined`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { JOIN_NOTICE_BURST, JOIN_NOTICES_PER_SECOND, JOIN_WINDOW_MS } from '../../src/core/join-notices.js';
import { roomHarness, silent, type Member, type RoomHarness } from '../helpers/room-harness.js';

const test = suite('join notices');

/** A room with a fake schedule, one peer in to watch, and the join burst full again. */
function watched(): { h: RoomHarness; watcher: Member } {
  const h = roomHarness({ scheduled: true });
  const watcher = h.join();
  // The watcher's own join took a token; a second later the bucket is full.
  h.tick(1000);
  watcher.link.take();
  return { h, watcher };
}

/** Joins `n` peers at once. */
function joinMany(h: RoomHarness, n: number): Member[] {
  return Array.from({ length: n }, () => h.join());
}

const joinedLines = (members: Member[]) => members.map((m) => `* ${m.peer.name} joined`);

test('the constants are what the notices below assume', () => {
  assert.is(JOIN_NOTICE_BURST, 5);
  assert.ok(JOIN_NOTICES_PER_SECOND > 0);
  assert.ok(JOIN_WINDOW_MS > 0 && JOIN_WINDOW_MS < 1000);
});

test('the first JOIN_NOTICE_BURST joins are told one by one, at once, with nothing scheduled', () => {
  const { h, watcher } = watched();
  const first = joinMany(h, JOIN_NOTICE_BURST);
  assert.equal(watcher.link.take(), joinedLines(first));
  assert.is(h.jobs.length, 0);
});

test('later joins in the window are gathered and told as one line when the flush runs, to the joiners too', () => {
  const { h, watcher } = watched();
  const burst = joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const late = joinMany(h, 9);
  // Each is welcomed at once; nobody is told of them yet.
  for (const m of late) assert.ok(m.link.take()[0]!.startsWith('* welcome '), m.peer.name);
  silent(watcher);
  assert.is(h.jobs.length, 1, 'one flush scheduled for the whole window');
  assert.is(h.jobs[0]!.at, h.now() + JOIN_WINDOW_MS);
  h.tick(JOIN_WINDOW_MS - 1);
  silent(watcher);
  h.tick(1);
  const names = late.map((m) => m.peer.name);
  const line = `* 9 peers joined: ${names.slice(0, 6).join(', ')} and 3 more`;
  assert.equal(watcher.link.take(), [line]);
  for (const m of [...burst, ...late]) assert.equal(m.link.lines.slice(-1), [line], m.peer.name);
});

test('four gathered joins share one line without "and more"', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const late = joinMany(h, 4);
  h.tick(JOIN_WINDOW_MS);
  assert.equal(watcher.link.take(), [`* 4 peers joined: ${late.map((m) => m.peer.name).join(', ')}`]);
});

for (const n of [1, 2, 3]) {
  test(`${n} gathered join${n > 1 ? 's are' : ' is'} told one line each, each not to itself`, () => {
    const { h, watcher } = watched();
    joinMany(h, JOIN_NOTICE_BURST);
    watcher.link.take();
    const late = joinMany(h, n);
    for (const m of late) m.link.take();
    silent(watcher);
    h.tick(JOIN_WINDOW_MS);
    assert.equal(watcher.link.take(), joinedLines(late));
    for (const m of late) assert.equal(m.link.take(), joinedLines(late.filter((o) => o !== m)), m.peer.name);
  });
}

test('a chat line from a gathered joiner first tells its join, so * X joined comes before anything from X', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const [x] = joinMany(h, 1);
  h.send(x!, 'hello');
  assert.equal(watcher.link.take(), [`* ${x!.peer.name} joined`, `<${x!.peer.name}> hello`]);
  // The window's flush still runs, and finds nothing left to tell.
  h.tick(JOIN_WINDOW_MS);
  silent(watcher);
});

test('any broadcast flushes first: a departure in the window comes after the gathered joins', () => {
  const { h, watcher } = watched();
  const burst = joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const late = joinMany(h, 2);
  h.send(burst[0]!, '/quit');
  assert.equal(watcher.link.take(), [...joinedLines(late), `* ${burst[0]!.peer.name} left (quit)`]);
});

test('a sweep tells gathered joins too', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const late = joinMany(h, 2);
  h.room.sweep();
  assert.equal(watcher.link.take(), joinedLines(late));
});

test('the burst refills over time: after the window and a second, joins are told one by one again', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST + 4);
  h.tick(JOIN_WINDOW_MS);
  watcher.link.take();
  h.tick(1000);
  const again = joinMany(h, JOIN_NOTICE_BURST);
  assert.equal(watcher.link.take(), joinedLines(again));
  assert.is(h.jobs.length, 0);
});

test('without a schedule every join is told at once, however many', () => {
  const h = roomHarness();
  const watcher = h.join();
  const all = joinMany(h, 4 * JOIN_NOTICE_BURST);
  assert.equal(watcher.link.lines.slice(1), joinedLines(all));
});

// Fails today: dispatch renames the peer in the roster before broadcasting `is now`, and that
// broadcast flushes the gathered join under the new name (src/core/dispatch.ts:136-137).
test('a gathered joiner that renames is told joined under the name it joined with, then renamed', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const [x] = joinMany(h, 1);
  const address = x!.peer.name;
  h.send(x!, '/nick pat');
  assert.equal(watcher.link.take(), [`* ${address} joined`, `* ${address} is now pat`]);
});

test('a private line from a gathered joiner comes after its * X joined', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  h.send(watcher, '/nick alice');
  watcher.link.take();
  const [x] = joinMany(h, 1);
  h.send(x!, '/msg alice psst');
  assert.equal(watcher.link.take(), [`* ${x!.peer.name} joined`, `[private] <${x!.peer.name}> psst`]);
});

test('/who lists nobody the room has not been told of: gathered joins go out first', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  watcher.link.take();
  const [x] = joinMany(h, 1);
  h.send(watcher, '/who');
  const lines = watcher.link.take();
  assert.is(lines[0], `* ${x!.peer.name} joined`);
  assert.ok(lines.some((l) => l.startsWith(`*   ${x!.peer.name} `)), lines.join('\n'));
});

test('one timer at a time: joins gathered after a broadcast flushed the window wait for the armed timer', () => {
  const { h, watcher } = watched();
  joinMany(h, JOIN_NOTICE_BURST);
  const [x] = joinMany(h, 1);
  h.send(watcher, 'flushes x');
  const [y] = joinMany(h, 1);
  assert.is(h.jobs.length, 1, 'no second timer');
  watcher.link.take();
  h.tick(JOIN_WINDOW_MS);
  assert.equal(watcher.link.take(), [`* ${y!.peer.name} joined`]);
  assert.ok(x);
});

test.run();
