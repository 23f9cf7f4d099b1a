/** The log of refusals: each address and reason once a minute, in bounded memory. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RoomEvent } from '../../src/core/events.js';
import { startChatServer, type ServerEvent } from '../../src/servers/chat-server.js';
import { RefusalLog } from '../../src/servers/refusal-log.js';
import { eventually, UdpPeer } from '../helpers/udp-peer.js';

type Refused = Extract<RoomEvent, { type: 'refused' }>;

const refused = (address: string, reason: Refused['reason'] = 'roomFull', code = 'ERR_ROOM_FULL'): Refused => ({
  type: 'refused',
  peer: { address, transport: 'udp' },
  reason,
  code,
  message: 'room full (1 peer); try again later',
});

const test = suite('RefusalLog, on a fake clock');

test('an address is said once a minute, whatever its port; the ones left out are counted on its next line', () => {
  let now = 0;
  const log = new RefusalLog(() => now);
  assert.equal(log.note(refused('10.0.0.1:4000')), refused('10.0.0.1:4000'));
  assert.is(log.note(refused('10.0.0.1:4001')), null, 'a new port is the same address');
  now = 30_000;
  assert.is(log.note(refused('10.0.0.1:4002')), null);
  assert.ok(log.note(refused('10.0.0.2:4000')), 'another address has its own minute');
  assert.ok(log.note(refused('10.0.0.1:4000', 'badPassword', 'ERR_BAD_PASSWORD')), 'another reason is another story');
  now = 60_000;
  assert.equal(log.note(refused('10.0.0.1:4003')), { ...refused('10.0.0.1:4003'), repeats: 2 });
  now = 200_000;
  assert.equal(log.note(refused('10.0.0.1:4004')), refused('10.0.0.1:4004'), 'nothing was left out in the minute before');
});

test('a flood of addresses: memory stays at the bound, and the log says once a minute that it stopped naming them', () => {
  let now = 0;
  const log = new RefusalLog(() => now, 60_000, 100);
  const said: unknown[] = [];
  for (let i = 0; i < 10_000; i++) {
    const line = log.note(refused(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:5000`));
    if (line) said.push(line);
    now += 1;
  }
  assert.is(log.size, 100);
  assert.is(said.length, 101);
  assert.equal(said.at(-1), { type: 'error', code: 'ERR_REFUSALS_UNLOGGED', message: 'more than 100 addresses turned away this minute: the others are not logged one by one (drops.* counts them all)' });
  now += 60_000;
  assert.ok(log.note(refused('10.9.9.9:5000')), 'a minute later the table has room again');
  assert.is(log.size, 1);
});

test.run();

const live = suite('refusals on real sockets');

live('--deny, a full room and a wrong password: each address turned away is said once, with why; the counters count every one', async () => {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'udp', deny: ['127.0.0.9'], limits: { maxPeers: 1 }, onEvent: (e) => events.push(e) });
  const denied = await UdpPeer.open('127.0.0.9');
  const first = await UdpPeer.open();
  const late = await UdpPeer.open('127.0.0.2');
  try {
    first.send(server.port, '/nick first');
    await eventually(() => server.room.size === 1, 2000, 'the first peer in');
    for (let i = 0; i < 3; i++) denied.send(server.port, `let me in ${i}`);
    for (let i = 0; i < 3; i++) late.send(server.port, `me too ${i}`);
    await eventually(() => server.room.counters.drops.denied === 3 && server.room.counters.drops.roomFull === 3, 2000, 'every datagram turned away');
    const said = events.filter((e): e is Refused => e.type === 'refused').map((e) => [e.peer.address, e.peer.transport, e.reason, e.code]);
    assert.equal(said, [
      [`127.0.0.9:${denied.port}`, 'udp', 'denied', 'ERR_DENIED'],
      [`127.0.0.2:${late.port}`, 'udp', 'roomFull', 'ERR_ROOM_FULL'],
    ]);
    await late.waitFor(/^! room full/);
    assert.is(denied.lines.length, 0, 'a denied address hears nothing');
  } finally {
    for (const p of [denied, first, late]) p.close();
    await server.close();
  }
});

live.run();
