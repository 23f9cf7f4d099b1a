/**
 * Peers waiting for the room's password (core/admission.ts, roster.ts, room.ts): they take no
 * place in the room, wait under their own short timeout that only a `/join` attempt restarts,
 * are bounded per address and in all, and cannot keep out a peer who has the password.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import { roomHarness, type Member, type RoomHarness } from '../helpers/room-harness.js';

/** A password room (`sesame`) on a fake clock; the limits are the defaults unless given. */
function setup(limits: Partial<Limits> = {}): RoomHarness {
  return roomHarness({ limits, password: 'sesame' });
}

/** `per` peers from each of `addresses` addresses (10.9.0.1, ...) that never send the password. */
function strangers(h: RoomHarness, addresses: number, per: number): Member[] {
  const out: Member[] = [];
  for (let a = 1; a <= addresses; a++) {
    for (let i = 0; i < per; i++) {
      const { link, peer } = h.tryJoinFrom(`10.9.0.${a}`);
      if (peer) out.push({ link, peer });
    }
  }
  return out;
}

const test = suite('a room password: peers waiting for it');

test('a thousand peers without the password (20 addresses x 50) do not keep out a peer who has it', () => {
  const h = setup();
  strangers(h, 20, 50);
  const honest = h.tryJoinFrom('10.8.0.1');
  assert.ok(honest.peer, `turned away: ${honest.link.lines.join(' | ')}`);
  h.send({ link: honest.link, peer: honest.peer! }, '/join sesame');
  assert.ok(honest.peer!.admitted, honest.link.lines.join(' | '));
  assert.match(honest.link.lines.at(-1)!, /^\* welcome /);
  assert.not.ok(honest.link.lines.some((l) => l.startsWith('! room full')));
});

test('peers waiting for the password take no place: a full room of admitted peers still admits nobody more', () => {
  const h = setup({ maxPeers: 2, maxPeersPerIp: 0 });
  for (const ip of ['10.0.0.1', '10.0.0.2']) h.send(h.joinFrom(ip), '/join sesame');
  // A third may wait (it takes no place), but the password does not seat it in a full room.
  const third = h.joinFrom('10.0.0.3');
  h.send(third, '/join sesame');
  assert.not.ok(third.peer.admitted);
  assert.match(third.link.lines.join('\n'), /! room full \(2 peers\)/);
  assert.equal(third.link.closes, ['dropped']);
  assert.is(h.room.counters.drops.roomFull, 1);
  assert.is(h.room.counters.rejected, 1);
  assert.is(h.room.size, 2);
});

test('waiting peers do not count against the per-address cap of admitted peers', () => {
  const h = setup({ maxPeersPerIp: 1 });
  const waiting = h.joinFrom('10.0.0.1');
  const other = h.joinFrom('10.0.0.1');
  h.send(other, '/join sesame');
  assert.ok(other.peer.admitted, other.link.lines.join(' | '));
  // The address now has its one place: the waiting peer's right password is refused.
  h.send(waiting, '/join sesame');
  assert.not.ok(waiting.peer.admitted);
  assert.is(h.room.counters.drops.perIpLimit, 1);
});

test('any datagram does not keep a waiting peer in: it goes after the waiting timeout', () => {
  const h = setup({ waitingTimeoutMs: 10_000 });
  const lurker = h.joinFrom('10.0.0.1');
  for (let t = 0; t < 5; t++) {
    h.tick(2_000);
    h.send(lurker, 'still here');
    h.room.sweep();
  }
  // 10 s since it came, chatting all along: dropped, told why, counted.
  assert.is(h.room.size, 0);
  assert.equal(lurker.link.closes, ['dropped']);
  assert.match(lurker.link.lines.at(-1)!, /^\* you were dropped \(dropped: no \/join within 10s\)$/);
  assert.is(h.room.counters.drops.waitingTimeout, 1);
  // Never announced, never counted as a peer that expired.
  assert.is(h.room.counters.expired, 0);
  assert.not.ok(h.events.some((e) => e.type === 'leave'));
});

test('a /join attempt restarts the waiting timeout; after the last one it runs out', () => {
  const h = setup({ waitingTimeoutMs: 10_000, maxPasswordTries: 0 });
  const typist = h.joinFrom('10.0.0.1');
  h.tick(9_000);
  h.send(typist, '/join sesam');
  h.tick(9_000);
  h.room.sweep();
  assert.is(h.room.size, 1, 'a /join attempt did not restart the wait');
  h.send(typist, '/join sesame');
  assert.ok(typist.peer.admitted);
  // Admitted, it lives by the peer timeout now.
  h.tick(30_000);
  h.room.sweep();
  assert.is(h.room.size, 1);
});

test('waiting peers are bounded per address: the oldest one of that address makes room, counted', () => {
  const h = setup({ maxWaitingPerIp: 3 });
  const first = strangers(h, 1, 3);
  assert.is(h.room.size, 3);
  const fourth = h.joinFrom('10.9.0.1');
  assert.is(h.room.size, 3);
  assert.equal(first[0]!.link.closes, ['dropped']);
  assert.match(first[0]!.link.lines.at(-1)!, /^\* you were dropped \(dropped: too many waiting for the password\)$/);
  assert.equal(first[1]!.link.closes, []);
  assert.is(h.room.counters.drops.waitingFull, 1);
  // The newcomer may still show the password.
  h.send(fourth, '/join sesame');
  assert.ok(fourth.peer.admitted);
});

test('waiting peers are bounded in all: past maxWaiting the oldest waiting peer makes room, counted', () => {
  const h = setup({ maxWaiting: 10, maxWaitingPerIp: 5 });
  const crowd = strangers(h, 4, 5);
  assert.is(h.room.size, 10);
  assert.is(h.room.counters.drops.waitingFull, 10);
  // The ten that went are the oldest ten.
  assert.ok(crowd.slice(0, 10).every((m) => m.link.closes.length === 1));
  assert.ok(crowd.slice(10).every((m) => m.link.closes.length === 0));
  const honest = h.joinFrom('10.8.0.1');
  h.send(honest, '/join sesame');
  assert.ok(honest.peer.admitted);
  assert.is(h.room.size, 10);
});

test('a /join attempt makes a waiting peer the newest: the oldest silent ones go first', () => {
  const h = setup({ maxWaiting: 2, maxWaitingPerIp: 0, maxPasswordTries: 0 });
  const a = h.joinFrom('10.0.0.1');
  const b = h.joinFrom('10.0.0.2');
  h.send(a, '/join wrong');
  h.joinFrom('10.0.0.3');
  assert.equal(b.link.closes, ['dropped']);
  assert.equal(a.link.closes, []);
});

test('the defaults: waiting peers have their own limits, shorter than the peer timeout', () => {
  assert.ok(DEFAULT_LIMITS.waitingTimeoutMs > 0 && DEFAULT_LIMITS.waitingTimeoutMs < 60_000);
  assert.ok(DEFAULT_LIMITS.maxWaitingPerIp > 0 && DEFAULT_LIMITS.maxWaitingPerIp <= DEFAULT_LIMITS.maxPeersPerIp);
  assert.ok(DEFAULT_LIMITS.maxWaiting > 0 && DEFAULT_LIMITS.maxWaiting < DEFAULT_LIMITS.maxPeers);
});

test('0 turns the waiting limits off: any number wait, and only the peer timeout drops them', () => {
  const h = setup({ maxWaiting: 0, maxWaitingPerIp: 0, waitingTimeoutMs: 0, maxPeersPerIp: 0, joinsPerIpPerMinute: 0 });
  strangers(h, 1, 300);
  assert.is(h.room.size, 300);
  h.tick(59_000);
  h.room.sweep();
  assert.is(h.room.size, 300);
  h.tick(1_000);
  h.room.sweep();
  assert.is(h.room.size, 0);
  assert.is(h.room.counters.drops.waitingFull + h.room.counters.drops.waitingTimeout, 0);
});

test('in a room without a password nobody waits: the waiting limits change nothing', () => {
  const h = roomHarness({ limits: { maxWaiting: 1, maxWaitingPerIp: 1, waitingTimeoutMs: 1000 } });
  const a = h.joinFrom('10.0.0.1');
  const b = h.joinFrom('10.0.0.1');
  h.tick(5_000);
  h.room.sweep();
  assert.ok(a.peer.admitted && b.peer.admitted);
  assert.is(h.room.size, 2);
});

test.run();
