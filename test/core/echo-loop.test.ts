/**
 * A peer that only sends back what the room sends it (an echo service joined to the room, an
 * `nc -u -l` reflector) is dropped after maxEchoes reflections in a row, `left (dropped: echo
 * loop)`, and kept out for a peer timeout, so what it reflects of its goodbye cannot restart it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { roomHarness, type Member, type RoomHarness } from '../helpers/room-harness.js';

const test = suite('Room: echo loops');

/** Sends back, as a reflector would, every buffer each member was sent since the last call; returns how many. */
function reflect(h: RoomHarness, members: Member[], seen: Map<Member, number>): number {
  let n = 0;
  for (const m of members) {
    const from = seen.get(m) ?? 0;
    const buffers = m.link.buffers.slice(from);
    seen.set(m, m.link.buffers.length);
    for (const b of buffers) {
      // What reaches a gone peer's address comes back too: it is a new source to the room.
      if (h.room.find(m.peer.name) === m.peer) h.room.receive(m.peer, b);
      else h.room.join(m.link);
      n += 1;
    }
  }
  return n;
}

/** Runs reflections until nothing more comes back, or `most` rounds; returns the rounds it took. */
function bounce(h: RoomHarness, members: Member[], most = 100): number {
  const seen = new Map<Member, number>(members.map((m) => [m, 0]));
  for (let round = 1; round <= most; round++) if (reflect(h, members, seen) === 0) return round;
  return most + 1;
}

test('two reflectors in one room: a line said once stops bouncing within a few hops, both dropped as echo loops', () => {
  const h = roomHarness({ limits: { messageBurst: 0 } });
  const [alice] = h.crowd('alice');
  const e1 = h.join();
  const e2 = h.join();
  alice!.link.take();
  h.send(alice!, 'hello');
  const rounds = bounce(h, [e1, e2]);
  assert.ok(rounds <= 12, `still bouncing after ${rounds} rounds`);
  assert.is(h.room.counters.drops.echoLoop, 2);
  assert.is(h.room.find(e1.peer.name), undefined);
  assert.is(h.room.find(e2.peer.name), undefined);
  const told = alice!.link.take();
  assert.ok(told.includes(`* ${e1.peer.name} left (dropped: echo loop)`), told.join('\n'));
  assert.ok(told.includes(`* ${e2.peer.name} left (dropped: echo loop)`), told.join('\n'));
  // Each reflector was heard at most maxEchoes - 1 times before it went.
  assert.ok(told.filter((l) => l.startsWith('<')).length <= 4, told.join('\n'));
  assert.ok(h.events.some((e) => e.type === 'leave' && e.detail === 'echo loop'));
});

test('a later message does not start it again: the reflectors are out, and their reflected goodbyes do not rejoin them', () => {
  const h = roomHarness({ limits: { messageBurst: 0 } });
  const [alice] = h.crowd('alice');
  const e1 = h.join();
  const e2 = h.join();
  h.send(alice!, 'one');
  bounce(h, [e1, e2]);
  const rejected = h.room.counters.rejected;
  assert.ok(h.room.counters.drops.echoRejoin >= 2, `goodbyes reflected: ${h.room.counters.drops.echoRejoin}`);
  // What the reflectors were told last (their goodbye) came back and was turned away without an answer.
  assert.match(e1.link.lines.at(-1)!, /^\* you were dropped \(dropped: echo loop\)$/);
  alice!.link.take();
  const heard = [e1.link.buffers.length, e2.link.buffers.length];
  h.send(alice!, 'two');
  assert.equal([e1.link.buffers.length, e2.link.buffers.length], heard, 'something reached the reflectors');
  assert.is(h.room.size, 1);
  assert.is(h.room.counters.rejected, rejected);
  // After a peer timeout the address may come back (a person who was taken for an echo).
  h.tick(60_000);
  h.room.sweep();
  assert.ok(h.room.join(e1.link), 'the address is let in again after the peer timeout');
});

test('one reflector among people: dropped after maxEchoes lines it only sent back', () => {
  const h = roomHarness();
  const [alice, bob] = h.crowd('alice', 'bob');
  const echo = h.join();
  const seen = new Map<Member, number>([[echo, echo.link.buffers.length]]);
  for (const line of ['hi', 'how are you', 'fine']) {
    h.send(line === 'fine' ? bob! : alice!, line);
    reflect(h, [echo], seen);
  }
  assert.is(h.room.find(echo.peer.name), undefined);
  assert.is(h.room.counters.drops.echoLoop, 1);
  assert.ok(alice!.link.lines.includes(`* ${echo.peer.name} left (dropped: echo loop)`));
});

test('a person who repeats a line now and then, or types what they were sent once, is not dropped', () => {
  const h = roomHarness();
  const [alice, bob] = h.crowd('alice', 'bob');
  h.send(alice!, 'lol');
  h.send(bob!, '<alice> lol');
  h.send(bob!, 'lol');
  h.send(alice!, 'again');
  h.send(bob!, '<alice> again');
  h.send(bob!, 'my own words');
  h.send(alice!, 'third');
  h.send(bob!, '<alice> third');
  assert.ok(h.room.find('bob'), 'bob was dropped');
  assert.is(h.room.counters.drops.echoLoop, 0);
  // Two in a row are two, not three.
  h.send(bob!, 'ok');
  h.send(alice!, 'x');
  h.send(bob!, '<alice> x');
  h.send(alice!, 'y');
  h.send(bob!, '<alice> y');
  assert.ok(h.room.find('bob'));
});

test('the line told to a peer alone counts too: a reflector in a password room is dropped, not bounced for ever', () => {
  const h = roomHarness({ password: 'pw', limits: { messageBurst: 0 } });
  const echo = h.join();
  assert.ok(bounce(h, [echo]) <= 5);
  assert.is(h.room.counters.drops.echoLoop, 1);
  assert.is(h.room.size, 0);
});

test('maxEchoes 0 turns the check off', () => {
  const h = roomHarness({ limits: { messageBurst: 0, maxEchoes: 0 } });
  const [alice] = h.crowd('alice');
  const e1 = h.join();
  const e2 = h.join();
  h.send(alice!, 'hello');
  assert.is(bounce(h, [e1, e2], 20), 21, 'the reflectors were stopped');
  assert.is(h.room.counters.drops.echoLoop, 0);
});

test('the counters still add up: the message that ends a loop is handled', () => {
  const h = roomHarness({ limits: { messageBurst: 0 } });
  const [alice] = h.crowd('alice');
  const e1 = h.join();
  const e2 = h.join();
  h.send(alice!, 'hello');
  bounce(h, [e1, e2]);
  const c = h.room.counters;
  const messagesIn = Object.values(c.traffic).reduce((n, t) => n + t.messagesIn, 0);
  assert.is(messagesIn, c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted);
});

test.run();
