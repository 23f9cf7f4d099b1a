/**
 * Signed names in the room, on a fake clock with a fake verifier (the real one, jose's, is tested
 * in test/servers/tickets.test.ts): guest names off loopback, `/who` without addresses, and
 * `/join TICKET` in rooms where tickets are optional or required.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { guestName, HELD_WHILE_CHECKING, isGuestKey, looksLikeTicket, ticketIn, type TicketCheck, type TicketOptions } from '../../src/core/tickets.js';
import type { RoomOptions } from '../../src/core/room.js';
import { roomHarness, silent } from '../helpers/room-harness.js';

/** Lets the verifier's promises settle (they answer on a later tick, as jose's do). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

// Tickets the fake verifier knows: the shape of a JWT, and what checking each one finds.
const T = {
  alice: 'eyJhbGci.YWxpY2U.sig1',
  alice2: 'eyJhbGci.YWxpY2Uy.sig2',
  bob: 'eyJhbGci.Ym9i.sig3',
  expired: 'eyJhbGci.ZXhwaXJlZA.sig4',
  forged: 'eyJhbGci.Zm9yZ2Vk.sig5',
  elsewhere: 'eyJhbGci.ZWxzZXdoZXJl.sig6',
  guest: 'eyJhbGci.Z3Vlc3Q.sig7',
};
const CHECKS: Record<string, TicketCheck> = {
  [T.alice]: { ok: true, name: 'alice' },
  [T.alice2]: { ok: true, name: 'Alice' },
  [T.bob]: { ok: true, name: 'bob' },
  [T.expired]: { ok: false, code: 'ERR_TICKET_EXPIRED', message: 'the ticket has expired; ask for a new one' },
  [T.forged]: { ok: false, code: 'ERR_TICKET_FORGED', message: "the ticket is not signed with this room's secret" },
  [T.elsewhere]: { ok: false, code: 'ERR_TICKET_ELSEWHERE', message: 'the ticket is for another room' },
  [T.guest]: { ok: true, name: 'guest3' },
};

/** A room with tickets checked by the table above; `asked` records each (token, room time) checked. */
function setup(options: RoomOptions & { required?: boolean } = {}) {
  const asked: [string, number][] = [];
  const tickets: TicketOptions = {
    required: options.required ?? false,
    verify: async (token, now) => {
      asked.push([token, now]);
      return CHECKS[token] ?? { ok: false, code: 'ERR_TICKET_INVALID', message: 'not a valid ticket' };
    },
  };
  const { required: _, ...rest } = options;
  return { h: roomHarness({ tickets, ...rest }), asked };
}

const exposed = suite('a room exposed beyond loopback');

exposed('peers are guestN, not ip:port, in the welcome, the join notice and chat lines', () => {
  const h = roomHarness({ showAddresses: false });
  const a = h.join('udp', '192.168.1.20:6000');
  const b = h.join('udp', '192.168.1.21:6001');
  assert.is(a.peer.name, 'guest1');
  assert.is(b.peer.name, 'guest2');
  assert.ok(b.link.take()[0]!.startsWith('* welcome guest2; 1 other here;'));
  assert.equal(a.link.take().slice(-1), ['* guest2 joined']);
  h.send(b, 'hi');
  assert.equal(a.link.take(), ['<guest2> hi']);
});

exposed('/who lists names, transports and idle times, and no ip:port', () => {
  const h = roomHarness({ showAddresses: false });
  const a = h.join('udp', '192.168.1.20:6000');
  const b = h.join('tcp', '192.168.1.21:6001');
  h.send(b, '/nick bob');
  a.link.take();
  h.send(a, '/who');
  const told = a.link.take();
  assert.equal(told, ['* 2 peers here:', '*   guest1 udp idle 0ms (you)', '*   bob tcp idle 0ms']);
  assert.not.ok(told.join('\n').includes('192.168.1.'), 'no address');
  assert.not.ok(/:\d{2,5}\b/.test(told.join('\n')), 'no port');
});

exposed('the events (the log, --json) keep every address', () => {
  const h = roomHarness({ showAddresses: false });
  h.join('udp', '192.168.1.20:6000');
  const join = h.events.find((e) => e.type === 'join');
  assert.equal(join && join.type === 'join' ? join.peer : undefined, { name: 'guest1', address: '192.168.1.20:6000', transport: 'udp' });
});

exposed('on loopback (the default) a peer is still named ip:port and /who shows addresses', () => {
  const h = roomHarness();
  const a = h.join('udp', '127.0.0.1:6000');
  a.link.take();
  h.send(a, '/who');
  assert.equal(a.link.take(), ['* 1 peer here:', '*   127.0.0.1:6000 udp 127.0.0.1:6000 idle 0ms (you)']);
});

exposed('nobody can choose a guest name, so guest7 is always the room peer number 7', () => {
  for (const showAddresses of [false, true]) {
    const h = roomHarness({ showAddresses });
    const a = h.join('udp', '192.168.1.20:6000');
    const b = h.join('udp', '192.168.1.21:6001');
    a.link.take();
    b.link.take();
    for (const taken of ['guest3', 'GUEST12', 'ｇｕｅｓｔ７']) {
      h.send(a, `/nick ${taken}`);
      const told = a.link.take();
      assert.is(told.length, 1, JSON.stringify(told));
      assert.match(told[0]!, /^! guest names \(guestN\) are given by the room/);
    }
    silent(b);
    // Words that only start like one are names like any other.
    h.send(b, '/nick guesthouse');
    assert.is(b.peer.name, 'guesthouse');
  }
});

exposed('guest keys: guest and digits only, after NFKC and case folding', () => {
  assert.is(guestName(7), 'guest7');
  assert.ok(isGuestKey('guest7'));
  assert.ok(isGuestKey('guest1234'));
  assert.not.ok(isGuestKey('guest'));
  assert.not.ok(isGuestKey('guest7a'));
  assert.not.ok(isGuestKey('myguest7'));
});

const shape = suite('ticketIn');

shape('a JWT-shaped first word is a ticket; a password is not', () => {
  assert.is(ticketIn(T.alice), T.alice);
  assert.is(ticketIn(`${T.alice} hunter2`), T.alice);
  for (const password of ['hunter2', 'eyJ', 'a.b.c', 'eyJ..', 'eyJa.b', 'eyJa.b.c!', 'correct horse battery staple']) assert.is(ticketIn(password), undefined, password);
});

const optional = suite('tickets in an open room');

optional('/join TICKET renames the peer to the signed name and marks it in /who', async () => {
  const { h } = setup();
  const a = h.join('udp', '127.0.0.1:6000');
  const b = h.join('udp', '127.0.0.1:6001');
  a.link.take();
  b.link.take();
  h.send(a, `/join ${T.alice}`);
  assert.equal(a.link.take(), [], 'answered on a later tick');
  await settle();
  assert.equal(a.link.take(), ['* signed in by ticket as alice', '* 127.0.0.1:6000 is now alice']);
  assert.equal(b.link.take(), ['* 127.0.0.1:6000 is now alice']);
  h.send(b, '/who');
  assert.equal(b.link.take().slice(1), ['*   alice udp 127.0.0.1:6000 idle 0ms (ticket)', '*   127.0.0.1:6001 udp 127.0.0.1:6001 idle 0ms (you)']);
  const rename = h.events.find((e) => e.type === 'rename');
  assert.ok(rename && rename.type === 'rename' && rename.peer.ticket === true, 'the log marks the signed name');
});

optional('nobody else can take a signed name: not while its holder is here, nor after it left', async () => {
  const { h } = setup();
  const a = h.join();
  const b = h.join();
  h.send(a, `/join ${T.alice}`);
  await settle();
  b.link.take();
  h.send(b, '/nick alice');
  assert.equal(b.link.take(), ['! name taken: alice']);
  h.send(b, '/nick ALICE');
  assert.equal(b.link.take(), ['! name taken: ALICE']);
  h.send(a, '/quit');
  b.link.take();
  h.send(b, '/nick alice');
  assert.equal(b.link.take(), ['! that name belongs to a ticket holder; choose another']);
  assert.is(h.room.find('alice'), undefined);
});

optional('a ticket takes its name back from a peer without one, who gets its first name again', async () => {
  const { h } = setup({ showAddresses: false });
  const squatter = h.join();
  const a = h.join();
  h.send(squatter, '/nick alice');
  squatter.link.take();
  a.link.take();
  h.send(a, `/join ${T.alice}`);
  await settle();
  assert.equal(squatter.link.take(), ['! you are guest1 again: alice signs in with a ticket', '* alice is now guest1', '* guest2 is now alice']);
  assert.is(h.room.find('alice'), a.peer);
  assert.is(squatter.peer.name, 'guest1');
});

optional('a second ticket for a name in use is refused, with a clear ! line', async () => {
  const { h } = setup();
  const a = h.join();
  const b = h.join();
  h.send(a, `/join ${T.alice}`);
  await settle();
  b.link.take();
  h.send(b, `/join ${T.alice}`);
  await settle();
  assert.equal(b.link.take(), ['! ticket refused: alice is here already, signed in with a ticket; a name has one holder at a time']);
  // The same name under another case is the same name.
  h.send(b, `/join ${T.alice2}`);
  await settle();
  assert.match(b.link.take()[0]!, /^! ticket refused: Alice is here already/);
  assert.is(h.room.counters.drops.badTicket, 2);
  assert.not.ok(b.peer.ticket);
});

optional('expired, forged, for another room, or not a ticket at all: each gets its own ! line, counted', async () => {
  const { h } = setup();
  const a = h.join();
  a.link.take();
  const lines: string[] = [];
  for (const token of [T.expired, T.forged, T.elsewhere, 'eyJx.y.z']) {
    h.send(a, `/join ${token}`);
    await settle();
    lines.push(...a.link.take());
  }
  assert.equal(lines, [
    '! ticket refused: the ticket has expired; ask for a new one',
    "! ticket refused: the ticket is not signed with this room's secret",
    '! ticket refused: the ticket is for another room',
    '! ticket refused: not a valid ticket',
  ]);
  assert.is(h.room.counters.drops.badTicket, 4);
  const codes = h.events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
  assert.equal(codes, ['ERR_TICKET_EXPIRED', 'ERR_TICKET_FORGED', 'ERR_TICKET_ELSEWHERE', 'ERR_TICKET_INVALID']);
});

optional('a ticket for a guest name is refused', async () => {
  const { h } = setup();
  const a = h.join();
  a.link.take();
  h.send(a, `/join ${T.guest}`);
  await settle();
  assert.equal(a.link.take(), ['! ticket refused: the ticket\'s name guest3 is a guest name, given by the room']);
});

optional('a signed name stays: no /nick, no second ticket', async () => {
  const { h } = setup();
  const a = h.join();
  h.send(a, `/join ${T.alice}`);
  await settle();
  a.link.take();
  h.send(a, '/nick mallory');
  assert.equal(a.link.take(), ['! your name alice is signed by your ticket; it stays']);
  h.send(a, `/join ${T.alice}`);
  await settle();
  assert.equal(a.link.take(), ['* you are signed in as alice already']);
  h.send(a, `/join ${T.bob}`);
  await settle();
  assert.equal(a.link.take(), ['! ticket refused: you are signed in as alice already; one ticket per peer']);
});

optional('the verifier is asked with the time on the room clock', async () => {
  const { h, asked } = setup();
  const a = h.join();
  h.tick(12_345);
  h.send(a, `/join ${T.alice}`);
  await settle();
  assert.equal(asked, [[T.alice, 12_345]]);
});

optional('what a peer says while its ticket is checked is held, then handled in order', async () => {
  const { h } = setup();
  const a = h.join();
  const b = h.join();
  a.link.take();
  b.link.take();
  h.send(a, `/join ${T.alice}`);
  h.send(a, 'hello');
  h.send(a, 'again');
  assert.equal(b.link.take(), []);
  await settle();
  assert.equal(b.link.take(), ['* 127.0.0.1:5001 is now alice', '<alice> hello', '<alice> again']);
});

optional('tickets sent one after another are each checked, in order, each with its answer', async () => {
  const { h, asked } = setup();
  const a = h.join();
  a.link.take();
  for (const token of [T.expired, T.forged, T.bob, T.alice]) h.send(a, `/join ${token}`);
  for (let i = 0; i < 4; i++) await settle();
  assert.equal(asked.map(([token]) => token), [T.expired, T.forged, T.bob, T.alice]);
  assert.equal(a.link.take(), [
    '! ticket refused: the ticket has expired; ask for a new one',
    "! ticket refused: the ticket is not signed with this room's secret",
    '* signed in by ticket as bob',
    '* 127.0.0.1:5001 is now bob',
    '! ticket refused: you are signed in as bob already; one ticket per peer',
  ]);
});

optional('past the few messages held during a check, a peer is answered at once', async () => {
  const { h } = setup();
  const a = h.join();
  a.link.take();
  h.send(a, `/join ${T.alice}`);
  for (let i = 0; i < HELD_WHILE_CHECKING; i++) h.send(a, `/ping held-${i}`);
  h.send(a, `/join ${T.bob}`);
  assert.equal(a.link.take(), ['! your ticket is being checked; wait for the answer']);
  await settle();
  const told = a.link.take();
  assert.equal(told.slice(0, 2), ['* signed in by ticket as alice', '* 127.0.0.1:5001 is now alice']);
  assert.equal(told.slice(2), Array.from({ length: HELD_WHILE_CHECKING }, (_, i) => `/pong held-${i}`));
});

optional('a peer that leaves while its ticket is checked is not signed in, and the counters still add up', async () => {
  const { h } = setup();
  const a = h.join();
  const b = h.join();
  h.send(a, `/join ${T.alice}`);
  h.send(a, 'said while checked');
  h.room.leave(a.peer, 'disconnected');
  await settle();
  const c = h.room.counters;
  assert.is(c.traffic['memory']!.messagesIn, c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted);
  assert.is(c.drops.notAdmitted, 1);
  b.link.take();
  h.send(b, `/join ${T.alice}`);
  await settle();
  assert.equal(b.link.take(), ['* signed in by ticket as alice', '* 127.0.0.1:5002 is now alice']);
});

optional('a verifier that throws or rejects is a refusal, never a crash', async () => {
  for (const verify of [() => Promise.reject(new Error('boom')), () => { throw new Error('boom'); }]) {
    const h = roomHarness({ tickets: { verify: verify as TicketOptions['verify'] } });
    const a = h.join();
    a.link.take();
    h.send(a, `/join ${T.alice}`);
    await settle();
    assert.equal(a.link.take(), ['! ticket refused: the ticket could not be checked']);
  }
});

optional('a room without tickets says so, and a password is still a password', () => {
  const h = roomHarness({ password: 'hunter2' });
  const a = h.join();
  a.link.take();
  h.send(a, `/join ${T.alice}`);
  assert.equal(a.link.take(), ['! ticket refused: this room takes no tickets']);
  h.send(a, '/join hunter2');
  assert.ok(a.link.take()[0]!.startsWith('* welcome '));
  assert.is(h.room.counters.drops.badTicket, 1);
});

// Red-team: a cut-off ticket (no dots) from a peer already in got "you are in the room already",
// and x.y.z at a tickets-only door "this room takes tickets only": neither says the ticket is bad.
const CUT_OFF = 'eyJhbGciOi' + 'A'.repeat(50);

shape('a cut-off or garbled ticket looks like one: eyJ..., or three dotted base64url parts', () => {
  for (const attempt of [CUT_OFF, 'eyJ', 'x.y.z', 'a.b.c', '..', 'eyJa.b.c!']) assert.ok(looksLikeTicket(attempt), attempt);
  for (const password of ['hunter2', 'a.b', 'a.b.c.d', 'my pass.word.x', 'correct horse battery staple']) assert.not.ok(looksLikeTicket(password), password);
});

optional('a cut-off ticket from a peer already in is refused as a ticket, counted', async () => {
  const { h, asked } = setup();
  const a = h.join();
  a.link.take();
  h.send(a, `/join ${CUT_OFF}`);
  await settle();
  assert.equal(a.link.take(), ['! ticket refused: not a valid ticket']);
  assert.is(h.room.counters.drops.badTicket, 1);
  assert.equal(asked, [], 'nothing to verify');
});

optional("a room's own password shaped like a.b.c stays a password", () => {
  const { h } = setup({ password: 'my.pass.word' });
  const { link, peer } = h.tryJoin();
  link.take();
  h.room.receive(peer!, new TextEncoder().encode('/join my.pass.word\n'));
  assert.ok(link.take()[0]!.startsWith('* welcome '));
});

const required = suite('--tickets-required');

required('at a tickets-only door, x.y.z or a cut-off ticket is "not a valid ticket", and spends a try', () => {
  const { h } = setup({ required: true });
  const { link, peer } = h.tryJoin();
  link.take();
  for (const attempt of ['x.y.z', CUT_OFF]) {
    h.room.receive(peer!, new TextEncoder().encode(`/join ${attempt}\n`));
    assert.equal(link.take(), ['! ticket refused: not a valid ticket'], attempt);
  }
  assert.is(peer!.passwordTries, 2);
  assert.not.ok(peer!.admitted);
});

required('a peer waits at the door until it shows a ticket, then joins under its name', async () => {
  const { h } = setup({ required: true });
  const inside = h.join();
  inside.link.take();
  const { link, peer } = h.tryJoin();
  assert.ok(peer);
  assert.equal(link.take(), ['* this room needs a ticket: send /join TICKET']);
  assert.equal(inside.link.take(), [], 'not announced');
  h.room.receive(peer!, new TextEncoder().encode('hello\n'));
  assert.equal(link.take(), ['! this room needs a ticket: send /join TICKET first']);
  h.room.receive(peer!, new TextEncoder().encode(`/join ${T.bob}\n`));
  await settle();
  assert.ok(link.take()[0]!.startsWith('* welcome bob;'));
  assert.equal(inside.link.take(), []);
  assert.is(peer!.name, 'bob');
});

required('no password opens a room that requires tickets, with or without a --password', async () => {
  for (const password of ['hunter2', undefined]) {
    const { h } = setup({ required: true, ...(password ? { password } : {}) });
    const { link, peer } = h.tryJoin();
    assert.equal(link.take(), ['* this room needs a ticket: send /join TICKET']);
    for (const given of ['hunter2', 'anything']) {
      h.room.receive(peer!, new TextEncoder().encode(`/join ${given}\n`));
      assert.equal(link.take(), ['! this room takes tickets only: send /join TICKET']);
    }
    assert.not.ok(peer!.admitted);
  }
});

required('with a password, tickets optional: the door asks for either, and a ticket opens it', async () => {
  const { h } = setup({ password: 'hunter2' });
  const { link, peer } = h.tryJoin();
  assert.equal(link.take(), ['* this room needs a password: send /join PASSWORD (or /join TICKET)']);
  h.room.receive(peer!, new TextEncoder().encode(`/join ${T.alice}\n`));
  await settle();
  assert.ok(link.take()[0]!.startsWith('* welcome alice;'));
});

required('peers waiting for a ticket take no place: one with a ticket still gets in; a full room turns it away', async () => {
  const { h } = setup({ required: true, limits: { maxPeers: 1 } });
  const waiting = Array.from({ length: 5 }, () => h.tryJoinFrom('10.0.0.9'));
  assert.ok(waiting.every((w) => w.peer !== null));
  const { link, peer } = h.tryJoinFrom('10.0.0.1');
  h.room.receive(peer!, new TextEncoder().encode(`/join ${T.alice}\n`));
  await settle();
  assert.ok(link.take().some((l) => l.startsWith('* welcome alice;')));
  const late = h.tryJoinFrom('10.0.0.2');
  late.link.take();
  h.room.receive(late.peer!, new TextEncoder().encode(`/join ${T.bob}\n`));
  await settle();
  assert.equal(late.link.take(), ['! room full (1 peer); try again later']);
  assert.is(h.room.find('bob'), undefined);
});

required('bad tickets spend the door tries: the third drops the peer', async () => {
  const { h } = setup({ required: true });
  const { link, peer } = h.tryJoin();
  link.take();
  for (let i = 0; i < 3; i++) {
    h.room.receive(peer!, new TextEncoder().encode(`/join ${T.forged}\n`));
    await settle();
  }
  const told = link.take();
  assert.is(told.filter((l) => l.startsWith('! ticket refused')).length, 3);
  assert.equal(told.slice(-1), ['* you were dropped (dropped: bad ticket)']);
  assert.is(h.room.size, 0);
  assert.is(h.room.counters.drops.badTicket, 3);
});

exposed.run();
shape.run();
optional.run();
required.run();
