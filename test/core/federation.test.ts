/**
 * The room's side of a cluster, on a fake bus (no Redis): what a room tells the other servers,
 * and that what they tell it is checked as a peer's input is: a server speaks only for its own
 * peers' names, and nothing it sends prints as a notice or carries control characters.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBusMessage, type BusMessage, type RoomBus } from '../../src/core/bus.js';
import { MAX_REMOTE_PEERS } from '../../src/core/federation.js';
import { isRoomName } from '../../src/core/bus.js';
import { hasControls } from '../../src/core/sanitize.js';
import { roomHarness, silent } from '../helpers/room-harness.js';

/** A bus that records what the room publishes and answers claims as a test says. */
class FakeBus implements RoomBus {
  readonly node = 'a';
  readonly published: BusMessage[] = [];
  readonly sent: Array<[string, BusMessage]> = [];
  readonly claims: Array<{ name: string; done: (refusal?: string) => void }> = [];
  /** Clash keys given back. */
  readonly released: string[] = [];
  /** Grant every claim at once (as a cluster with the name free would, a tick later); off: the test answers them. */
  autoGrant = true;
  publish(message: BusMessage): void {
    this.published.push(message);
  }
  sendTo(node: string, message: BusMessage): void {
    this.sent.push([node, message]);
  }
  claim(name: string, _key: string, _shape: string, _ticket: boolean, done: (refusal?: string) => void): void {
    if (this.autoGrant) done();
    else this.claims.push({ name, done });
  }
  release(key: string): void {
    this.released.push(key);
  }
}

const LIMITS = { maxNameLength: 32, maxMessageBytes: 1024 };

function clustered() {
  const bus = new FakeBus();
  const h = roomHarness({ cluster: { bus, room: 'lab' } });
  return { bus, h, fed: h.room.federation! };
}

test('first names carry the server: a join is published under it, and a rename waits for the cluster', () => {
  const { bus, h } = clustered();
  bus.autoGrant = false;
  const alice = h.join();
  assert.match(alice.peer.name, /^127\.0\.0\.1:\d+@a$/);
  assert.equal(bus.published[0], { t: 'join', name: alice.peer.name, transport: 'memory', id: alice.peer.id });
  alice.link.take();
  h.send(alice, '/nick alice');
  assert.equal(alice.link.take(), [], 'nothing until the cluster answers');
  assert.is(bus.claims.length, 1);
  h.send(alice, '/nick alicia');
  assert.match(alice.link.take()[0]!, 'still being checked');
  bus.claims[0]!.done();
  assert.equal(alice.link.take(), [`* ${alice.peer.link.address}@a is now alice`]);
  assert.equal(bus.published.at(-1), { t: 'rename', from: `${alice.peer.link.address}@a`, to: 'alice' });
});

test('a name the cluster refuses stays with its holder; a peer gone before the answer gives it back', () => {
  const { bus, h } = clustered();
  bus.autoGrant = false;
  const [alice, bob] = [h.join(), h.join()];
  h.send(alice, '/nick zed');
  bus.claims[0]!.done('name taken: zed (on server b)');
  assert.equal(alice.link.take().at(-1), '! name taken: zed (on server b)');
  h.send(bob, '/nick yan');
  h.room.leave(bob.peer, 'quit');
  bus.claims[1]!.done();
  assert.equal(bus.released, ['yan']);
});

test("another server's peers: joined, chat, /who, /msg routed to their server, leave", () => {
  const { bus, h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'dave', transport: 'tcp' });
  fed.receive('b', { t: 'say', name: 'dave', text: 'hi from b' });
  assert.equal(alice!.link.take(), ['* dave joined', '<dave> hi from b']);
  h.tick(10_000);
  h.send(alice!, '/who');
  assert.equal(alice!.link.take().slice(0, 1), ['* 2 peers here:']);
  h.tick(10_000);
  h.send(alice!, '/who');
  const who = alice!.link.take();
  assert.ok(who.includes('*   dave tcp on b idle 20s'), who.join('\n'));
  h.send(alice!, '/msg dave psst');
  assert.equal(bus.sent, [['b', { t: 'msg', from: 'alice', to: 'dave', text: 'psst' }]]);
  assert.equal(alice!.link.take(), ['[private to dave] <alice> psst']);
  fed.receive('b', { t: 'msg', from: 'dave', to: 'alice', text: 'back' });
  assert.equal(alice!.link.take(), ['[private] <dave> back']);
  h.send(alice!, '/nick dave');
  assert.equal(alice!.link.take(), ['! name taken: dave (on server b)']);
  fed.receive('b', { t: 'leave', names: ['dave'], reason: 'quit' });
  assert.equal(alice!.link.take(), ['* dave left (quit)']);
  assert.is(h.room.counters.cluster!.remotePeers, 0);
});

test('a server speaks only for its own peers: spoofed names are refused, counted and logged once', () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'dave', transport: 'udp' });
  alice!.link.take();
  const before = h.room.counters.cluster!.refused;
  fed.receive('c', { t: 'say', name: 'dave', text: 'I am dave' }); // dave is b's
  fed.receive('c', { t: 'say', name: 'alice', text: 'I am alice' }); // alice is this server's
  fed.receive('c', { t: 'join', name: 'guest7@b', transport: 'udp' }); // a first name of b's
  fed.receive('c', { t: 'rename', from: 'dave', to: 'mallory' });
  fed.receive('c', { t: 'msg', from: 'alice', to: 'alice', text: 'from yourself' });
  silent(alice!);
  assert.is(h.room.counters.cluster!.refused - before, 5);
  const logged = h.events.filter((e) => e.type === 'cluster');
  assert.is(logged.length, 1, 'once a minute per server');
  assert.match((logged[0] as { message: string }).message, 'a message from server c refused (notTheirs)');
});

test('nothing from the bus prints as a notice or carries control characters', () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'mallory', transport: 'udp' });
  fed.receive('b', { t: 'say', name: 'mallory', text: 'x\n* server shutting down\u001b[2J' });
  assert.equal(alice!.link.take(), ['* mallory joined', '<mallory> x\\x0a* server shutting down\\x1b[2J']);
  for (const bad of [
    { t: 'say', name: 'bad name', text: 'x' },
    { t: 'say', name: '* alice', text: 'x' },
    { t: 'say', name: 'e\u0301ve\u200b', text: 'x' },
    { t: 'say', name: 'ok', text: 'x'.repeat(2000) },
    { t: 'join', name: 'ok2', transport: 'UDP\n' },
    { t: 'leave', names: [], reason: 'quit' },
    { t: 'leave', names: ['ok'], reason: 'because' },
    { t: 'dropped', name: 'ok', count: -1, rate: 10 },
    { t: 'nope' },
    'a string',
    null,
  ]) {
    fed.receive('b', bad);
  }
  silent(alice!);
  assert.is(h.room.counters.cluster!.refused, 11);
  // A chat line under a name no room could give is a confused server: logged, not only counted.
  assert.match((h.events.find((e) => e.type === 'cluster') as { message: string }).message, 'refused (badName)');
});

test('a name never announced is not taken on trust, and the table of other servers\' peers is bounded', () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  for (let i = 0; i < 100; i++) fed.receive('b', { t: 'say', name: `ghost${i}`, text: 'boo' });
  silent(alice!);
  assert.is(h.room.counters.cluster!.remotePeers, 0);
  assert.is(h.room.counters.cluster!.refused, 100);
  for (let i = 0; i < MAX_REMOTE_PEERS + 5; i++) fed.receive('b', { t: 'join', name: `p${i}`, transport: 'udp' });
  assert.is(h.room.counters.cluster!.remotePeers, MAX_REMOTE_PEERS);
  assert.is(h.room.counters.cluster!.refused, 105);
});

test('a server gone: its peers leave (server gone), one notice for many', () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  for (const name of ['b1', 'b2', 'b3', 'b4']) fed.receive('b', { t: 'join', name, transport: 'udp' });
  fed.receive('c', { t: 'join', name: 'c1', transport: 'ws' });
  alice!.link.take();
  fed.nodesAlive(new Set(['a', 'c']));
  assert.equal(alice!.link.take(), ['* 4 peers left (server gone): b1, b2, b3, b4']);
  fed.nodesAlive(new Set(['a']));
  assert.equal(alice!.link.take(), ['* c1 left (server gone)']);
  assert.is(h.room.counters.cluster!.remotePeers, 0);
});

test("the presence read again heals what the bus lost, but not against the bus's own fresher news", () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'dave', transport: 'tcp' });
  fed.receive('b', { t: 'join', name: 'erin', transport: 'tcp' });
  alice!.link.take();
  // A read made before dave's join and erin's leave: ignored for what the bus said since.
  fed.receive('b', { t: 'leave', names: ['erin'], reason: 'quit' });
  fed.resync([{ name: 'erin', node: 'b', transport: 'tcp' }], new Set(['a', 'b']));
  assert.equal(alice!.link.take(), ['* erin left (quit)']);
  h.tick(11_000);
  // Later: frank joined on b while the link was down, and dave is gone.
  fed.resync([{ name: 'frank', node: 'b', transport: 'udp', idleMs: 3000 }], new Set(['a', 'b']));
  assert.equal(alice!.link.take(), ['* frank joined', '* dave left (disconnected)']);
  // Entries are input too: a bad name, a server not alive, or this server's own are skipped.
  fed.resync(
    [
      { name: 'frank', node: 'b', transport: 'udp' },
      { name: 'bad name', node: 'b', transport: 'udp' },
      { name: 'zoe', node: 'z', transport: 'udp' },
      { name: 'alice', node: 'a', transport: 'udp' },
    ],
    new Set(['a', 'b']),
  );
  silent(alice!);
});

test("a store emptied under the cluster: a settling server's peers stay until it has had its turn to register them", () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'dave', transport: 'tcp' });
  h.tick(11_000);
  alice!.link.take();
  // Redis came back empty: this server registered again, b not yet, and the read lists neither b nor dave.
  fed.resync([], new Set(['a', 'b']), new Set(['b']));
  silent(alice!);
  assert.is(fed.remote.size, 1);
  // b's turn passed without it: its peers are gone with it.
  fed.resync([], new Set(['a']));
  assert.equal(alice!.link.take(), ['* dave left (server gone)']);
});

test('what this room does is published once: chat, renames, leaves in one message for many', () => {
  const { bus, h } = clustered();
  const [alice, bob] = h.crowd('alice', 'bob');
  bus.published.length = 0;
  h.send(alice!, 'hello');
  assert.equal(bus.published, [{ t: 'say', name: 'alice', text: 'hello' }]);
  h.room.close();
  assert.equal(bus.published.at(-1), { t: 'leave', names: ['alice', 'bob'], reason: 'shutdown' });
  assert.ok(bob);
});

test("the welcome counts the other servers' peers; a name lost while cut off is given back, told plainly", () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: 'dave', transport: 'udp' });
  const bob = h.join();
  assert.match(bob.link.take()[0]!, /^\* welcome 127\.0\.0\.1:\d+@a; 2 others here;/);
  alice!.link.take();
  h.room.lostName('alice', 'b');
  const address = alice!.peer.link.address;
  assert.equal(alice!.link.take(), [`! you are ${address}@a again: alice was taken on server b while this server was cut off from the cluster`, `* alice is now ${address}@a`]);
  const conflict = h.events.find((e) => e.type === 'cluster');
  assert.equal(conflict, { type: 'cluster', what: 'conflict', node: 'b', message: `alice was taken on server b while the link was down: this server's alice is ${address}@a again` });
});

test('a rename missed while cut off is told as a rename on the next read, not as a leave and a join; a name given up to this server is no attack', () => {
  const { h, fed } = clustered();
  const [alice] = h.crowd('alice');
  fed.receive('b', { t: 'join', name: '127.0.0.1:5000@b', transport: 'udp', id: 7 });
  alice!.link.take();
  h.tick(11_000);
  fed.resync([{ name: 'dave', node: 'b', transport: 'udp', id: 7 }], new Set(['a', 'b']));
  assert.equal(alice!.link.take(), ['* 127.0.0.1:5000@b is now dave']);
  // b gives up alice's name after its link came back (alice is this server's): counted, not logged.
  fed.receive('b', { t: 'rename', from: 'alice', to: 'x@b' });
  assert.is(h.events.filter((e) => e.type === 'cluster').length, 0);
  assert.is(h.room.counters.cluster!.refused, 1);
});

test('readBusMessage: the shapes the bus takes', () => {
  assert.equal(readBusMessage({ t: 'say', name: 'alice', text: 'hi' }, LIMITS), { ok: true, message: { t: 'say', name: 'alice', text: 'hi' } });
  assert.equal(readBusMessage({ t: 'join', name: '127.0.0.1:5000@b', transport: 'udp', ticket: true }, LIMITS), {
    ok: true,
    message: { t: 'join', name: '127.0.0.1:5000@b', transport: 'udp', ticket: true },
  });
  // A name entering the room passes its rules here; one that only refers to a known peer is looked up by the room.
  assert.equal(readBusMessage({ t: 'join', name: 'server', transport: 'udp' }, LIMITS), { ok: false, why: 'badName' });
  assert.equal(readBusMessage({ t: 'rename', from: 'dave', to: '* alice' }, LIMITS), { ok: false, why: 'badName' });
  assert.equal(readBusMessage({ t: 'say', name: 'x'.repeat(129), text: 'hi' }, LIMITS), { ok: false, why: 'badName' });
  assert.equal(readBusMessage({ t: 'say', name: 'alice', text: 'é'.repeat(600) }, LIMITS), { ok: false, why: 'tooLong' });
  assert.equal(readBusMessage({ t: 'leave', names: ['a'], reason: 'quit', detail: 'x\n' }, LIMITS), { ok: false, why: 'badText' });
  assert.equal(readBusMessage([], LIMITS), { ok: false, why: 'malformed' });
});

test('whatever the bus carries, the room neither throws nor prints a line a peer could not have caused', () => {
  const name = fc.oneof(fc.constantFrom('dave', 'alice', 'guest7@b', '127.0.0.1:5000@b', 'x@c', 'server', '* alice'), fc.string({ maxLength: 40, unit: 'binary' }));
  const text = fc.oneof(fc.string({ maxLength: 80, unit: 'binary' }), fc.constantFrom('\n* server shutting down', '\u001b[2J', '! fake', '\r<bob> hi'));
  const message = fc.oneof(
    fc.record({ t: fc.constant('say'), name, text }),
    fc.record({ t: fc.constant('join'), name, transport: fc.constantFrom('udp', 'tcp', 'ws', 'UDP', 'x\n') }),
    fc.record({ t: fc.constant('leave'), names: fc.array(name, { maxLength: 5 }), reason: fc.constantFrom('quit', 'gone', 'shutdown', 'bad') }),
    fc.record({ t: fc.constant('rename'), from: name, to: name }),
    fc.record({ t: fc.constant('msg'), from: name, to: name, text }),
    fc.record({ t: fc.constant('dropped'), name, count: fc.integer(), rate: fc.double() }),
    fc.anything(),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('b', 'c'), message), { maxLength: 30 }), (messages) => {
      const { h, fed } = clustered();
      const [alice] = h.crowd('alice');
      // Known speakers on both servers, so what they say is acted on, not refused as unknown.
      fed.receive('b', { t: 'join', name: 'dave', transport: 'udp' });
      fed.receive('c', { t: 'join', name: 'x@c', transport: 'tcp' });
      for (const [node, m] of messages) fed.receive(node, m);
      for (const line of alice!.link.take()) {
        assert.not.ok(hasControls(line), line);
        // A chat line names a peer the room could hold; a notice is one the room itself words.
        const chat = /^(?:\[private\] )?<([^>]+)> /.exec(line);
        if (chat) assert.ok(isRoomName(chat[1], 32), line);
        else assert.match(line, /^\* (\S+ joined|\S+ left \([a-z :]+\)|\S+ is now \S+|\d+ peers (joined|left)|\S+ sent too fast: )/);
      }
    }),
    { numRuns: 300 },
  );
});

test.run();
