/**
 * Tickets for real: jose's HS256 signing and checking (servers/tickets.ts), and rooms on real
 * sockets on 127.0.0.1 that take `/join TICKET` over UDP (open and validating), TCP and WebSocket,
 * from raw peers and from the ChatSession that `udp-chat chat --ticket` runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import { ChatSession } from '../../src/client/session.js';
import { reachableOnlyHere } from '../../src/servers/chat-server.js';
import { issueTicket, readSecretFile, secretKey, ticketName, ticketVerifier } from '../../src/servers/tickets.js';
import { withChatRoom, errorCodes } from '../helpers/chat-room.js';
import { eventually } from '../helpers/udp-peer.js';

const SECRET = 'correct horse battery staple, 32+';
const OTHER = 'another teacher, another secret!!';
const NOW = Date.UTC(2025, 8, 1, 9, 0, 0);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const jwt = suite('tickets: signing and checking (jose, HS256)');

/** A verifier whose room clock reads `now` as NOW + now ms. */
const verifier = (options: { secret?: string; room?: string } = {}) => ticketVerifier({ secret: options.secret ?? SECRET, ...(options.room ? { room: options.room } : {}), epochAt: (now) => NOW + now });

jwt('a ticket signed with the secret carries its name', async () => {
  const token = await issueTicket({ name: 'alice', secret: SECRET, now: NOW });
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.is(payload.sub, 'alice');
  assert.is(payload.aud, 'udp-chat');
  assert.is(payload.iss, 'udp-chat');
  assert.is(payload.exp - payload.iat, 8 * 3600);
  assert.type(payload.jti, 'string');
  assert.equal(await verifier()(token, 0), { ok: true, name: 'alice' });
});

jwt('expiry runs on the room clock: good until its ttl, refused from then on', async () => {
  const token = await issueTicket({ name: 'alice', secret: SECRET, now: NOW, ttlMs: 60_000 });
  const verify = verifier();
  assert.equal(await verify(token, 59_000), { ok: true, name: 'alice' });
  const late = await verify(token, 60_000);
  assert.equal(late, { ok: false, code: 'ERR_TICKET_EXPIRED', message: 'the ticket has expired; ask for a new one' });
});

jwt('signed with another secret: forged', async () => {
  const token = await issueTicket({ name: 'alice', secret: OTHER, now: NOW });
  const check = await verifier()(token, 0);
  assert.is(check.ok, false);
  assert.is(!check.ok && check.code, 'ERR_TICKET_FORGED');
});

jwt('a name changed in a real ticket breaks its signature', async () => {
  const [header, payload, signature] = (await issueTicket({ name: 'alice', secret: SECRET, now: NOW })).split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const check = await verifier()(`${header}.${base64url({ ...claims, sub: 'teacher' })}.${signature}`, 0);
  assert.is(!check.ok && check.code, 'ERR_TICKET_FORGED');
});

jwt('made for another room (--room), with the same secret: for another room', async () => {
  const token = await issueTicket({ name: 'alice', secret: SECRET, now: NOW, room: 'physics-2b' });
  const check = await verifier()(token, 0);
  assert.is(!check.ok && check.code, 'ERR_TICKET_ELSEWHERE');
  assert.equal(await verifier({ room: 'physics-2b' })(token, 0), { ok: true, name: 'alice' });
});

jwt('alg none, another algorithm, no expiry, or garbage: not a valid ticket', async () => {
  const claims = { sub: 'alice', aud: 'udp-chat', iss: 'udp-chat', exp: NOW / 1000 + 3600 };
  const none = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
  const { SignJWT } = await import('jose');
  const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(SECRET));
  const forever = await new SignJWT({ sub: 'alice', aud: 'udp-chat', iss: 'udp-chat' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  for (const token of [none, hs512, forever, 'eyJ.x.y', 'eyJhbGciOiJIUzI1NiJ9.e30.AAAA']) {
    const check = await verifier()(token, 0);
    assert.is(check.ok, false, token);
    assert.is(!check.ok && check.code, token === 'eyJhbGciOiJIUzI1NiJ9.e30.AAAA' ? 'ERR_TICKET_FORGED' : 'ERR_TICKET_INVALID', token);
  }
});

jwt('a signed ticket whose sub is not a string (an array, a number) is refused with a clear reason', async () => {
  const { SignJWT } = await import('jose');
  for (const sub of [['alice', 'bob'], 42, { name: 'alice' }]) {
    const token = await new SignJWT({ sub, aud: 'udp-chat', iss: 'udp-chat', exp: NOW / 1000 + 3600 } as never).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    assert.equal(await verifier()(token, 0), { ok: false, code: 'ERR_TICKET_INVALID', message: 'the ticket carries no name (its sub is not a string)' }, JSON.stringify(sub));
  }
});

jwt('a secret under 32 bytes is refused, as RFC 7518 requires for HS256', () => {
  assert.throws(() => secretKey('hunter2'), /at least 32 bytes \(it has 7\)/);
  assert.throws(() => ticketVerifier({ secret: 'short', epochAt: (n) => n }), /at least 32 bytes/);
  assert.is(secretKey('x'.repeat(32)).length, 32);
});

jwt('names: a valid chosen name, never a guest name', async () => {
  assert.is(ticketName('Ａlice', 24), 'Ａlice');
  assert.throws(() => ticketName('guest7', 24), /guest name/);
  assert.throws(() => ticketName('a b', 24), /only letters/);
  assert.throws(() => ticketName('admin', 24), /reserved/);
  await issueTicket({ name: 'guest1', secret: SECRET }).then(
    () => assert.unreachable('a guest name was signed'),
    (err: Error) => assert.match(err.message, /guest name/),
  );
});

jwt('a secret file is read without its trailing newline; a missing one is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'udp-chat-secret-'));
  try {
    writeFileSync(join(dir, 'class.secret'), `${SECRET}\n`);
    assert.is(readSecretFile(join(dir, 'class.secret')), SECRET);
    assert.throws(() => readSecretFile(join(dir, 'missing')), /cannot read the secret file .*missing: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

jwt('a room shows addresses only when every socket of it is on loopback', () => {
  assert.ok(reachableOnlyHere('127.0.0.1'));
  assert.ok(reachableOnlyHere('::1'));
  assert.ok(reachableOnlyHere('localhost', '127.0.0.1'));
  assert.not.ok(reachableOnlyHere('0.0.0.0'));
  assert.not.ok(reachableOnlyHere('::'));
  assert.not.ok(reachableOnlyHere('192.168.1.10'));
  assert.not.ok(reachableOnlyHere('127.0.0.1', '0.0.0.0'));
});

const live = suite('tickets on real sockets');

const TICKETS = { secret: SECRET };

live('UDP, --tickets-required: a ticket joins under its name; no ticket, an expired or forged one stays out', async () => {
  await withChatRoom({ tickets: { ...TICKETS, required: true } }, async (room) => {
    const alice = await room.open('udp');
    const aliceTicket = await issueTicket({ name: 'alice', secret: SECRET });
    alice.send(`/join ${aliceTicket}`);
    await alice.waitFor(/^\* welcome alice; you are alone here;/);
    const stranger = await room.open('udp');
    stranger.send('hello');
    await stranger.waitFor('! this room needs a ticket: send /join TICKET first');
    stranger.send(`/join ${await issueTicket({ name: 'bob', secret: SECRET, now: Date.now() - 9 * 3_600_000 })}`);
    await stranger.waitFor('! ticket refused: the ticket has expired; ask for a new one');
    stranger.send(`/join ${await issueTicket({ name: 'bob', secret: OTHER })}`);
    await stranger.waitFor(/^! ticket refused: the ticket is not signed with this room's secret/);
    // A ticket copied off the wire, shown while its holder is in: refused.
    const thief = await room.open('udp');
    thief.send(`/join ${aliceTicket}`);
    await thief.waitFor(/^! ticket refused: alice is here already/);
    assert.equal(alice.lines.filter((l) => l.includes('joined')), [], 'nobody else got in');
    assert.equal(errorCodes(room.events).filter((c) => c.startsWith('ERR_TICKET')), ['ERR_TICKET_EXPIRED', 'ERR_TICKET_FORGED', 'ERR_TICKET_IN_USE']);
    assert.is(room.server.counters().drops.badTicket, 3);
  });
});

live('the room clock decides expiry: a fake clock moved past the ttl expires a ticket', async () => {
  let now = 1_000;
  await withChatRoom({ tickets: { ...TICKETS, required: true }, clock: () => now }, async (room) => {
    const ticket = await issueTicket({ name: 'alice', secret: SECRET, ttlMs: 60_000 });
    now += 61_000;
    const alice = await room.open('udp');
    alice.send(`/join ${ticket}`);
    await alice.waitFor('! ticket refused: the ticket has expired; ask for a new one');
  });
});

live('TCP and WebSocket: /join TICKET renames an admitted peer, and /who marks the signed name', async () => {
  await withChatRoom({ transport: 'both', web: { port: 0 }, tickets: TICKETS }, async (room) => {
    const tcp = await room.join('tcp');
    const ws = await room.join('ws');
    tcp.send(`/join ${await issueTicket({ name: 'alice', secret: SECRET })}`);
    await tcp.waitFor('* signed in by ticket as alice');
    await ws.waitFor(`* ${tcp.address} is now alice`);
    ws.send(`/join ${await issueTicket({ name: 'bob', secret: SECRET })}`);
    await ws.waitFor('* signed in by ticket as bob');
    ws.send('/who');
    await ws.waitFor(/^\*   bob ws \S+ idle \S+ \(ticket, you\)$/);
    await ws.waitFor(/^\*   alice tcp \S+ idle \S+ \(ticket\)$/);
  });
});

live('chat --ticket: a ChatSession joins a validating UDP room that requires tickets, under the ticket name', async () => {
  await withChatRoom({ open: false, tickets: { ...TICKETS, required: true }, limits: { unvalidatedRepliesPerSecond: 1000 } }, async (room) => {
    const ticket = await issueTicket({ name: 'carol', secret: SECRET });
    const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: room.server.port }), { ticket });
    try {
      session.start();
      await eventually(() => room.server.room.find('carol')?.admitted === true, 2000, 'carol in the room');
      assert.is(room.server.counters().drops.badTicket, 0);
    } finally {
      await session.close();
    }
  });
});

live('chat --ticket over TCP in a password room: the ticket opens it without the password', async () => {
  await withChatRoom({ transport: 'tcp', password: 'pw', tickets: TICKETS }, async (room) => {
    const ticket = await issueTicket({ name: 'dave', secret: SECRET });
    const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: room.server.port, transport: 'tcp' }), { ticket });
    try {
      session.start();
      await eventually(() => room.server.room.find('dave')?.admitted === true, 2000, 'dave in the room');
      assert.is(room.server.counters().drops.badPassword, 0);
    } finally {
      await session.close();
    }
  });
});

jwt.run();
live.run();
