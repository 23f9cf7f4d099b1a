/**
 * The json subprotocol on real sockets: seed 003's front end (JSON events over WebSocket, after
 * "Mastering WebSockets With Go") in the same room as a UDP peer, its bad events refused and
 * counted, and the plain WebSocket unchanged beside it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import type { ChatServer } from '../../../src/servers/chat-server.js';
import { jsonFrameLimit } from '../../../src/transports/ws/transport.js';
import { withChatRoom, type ChatRoom } from '../../helpers/chat-room.js';
import type { UdpTestPeer } from '../../helpers/peers.js';
import type { WsPeer } from '../../helpers/ws-peer.js';

const test = suite('the json subprotocol: the room as JSON events');

interface JsonEvent {
  type: string;
  payload: Record<string, unknown>;
}

/** Waits for an event of `type` whose payload has every field of `fields`; returns it. */
async function event(peer: WsPeer, type: string, fields: Record<string, unknown> = {}, ms = 2000): Promise<JsonEvent> {
  const matches = (line: string) => {
    const e = JSON.parse(line) as JsonEvent;
    return e.type === type && Object.entries(fields).every(([k, v]) => (v instanceof RegExp ? v.test(String(e.payload[k])) : e.payload[k] === v));
  };
  return JSON.parse(await peer.waitFor(matches, ms)) as JsonEvent;
}

function sendMessage(peer: WsPeer, message: string, from?: string): void {
  peer.send(JSON.stringify({ type: 'send_message', payload: from === undefined ? { message } : { message, from } }));
}

/** A json client (seed 003's front end), once the room has welcomed it. */
async function jsonPeer(room: ChatRoom): Promise<WsPeer> {
  const peer = await room.open('ws', { protocol: 'json', path: '/ws' });
  await event(peer, 'notice', { message: /^welcome / });
  return peer;
}

/** Every message counted in is handled or dropped (README, counters). */
function assertCountersAddUp(server: ChatServer): void {
  const c = server.counters();
  const inTotal = Object.values(c.traffic).reduce((n, t) => n + t.messagesIn, 0);
  assert.is(inTotal, c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted, 'Σ messagesIn = handled + drops');
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

test('a json client and a UDP peer chat both ways: send_message in, new_message out', async () => {
  await withChatRoom({ web: { port: 0 } }, async (room) => {
    const udp = (await room.join('udp', 'bob')) as UdpTestPeer;
    const percy = await jsonPeer(room);
    // The seed's front end names its sender in every event: the first one renames.
    sendMessage(percy, 'hi', 'percy');
    await udp.waitFor('<percy> hi');
    await event(percy, 'notice', { message: `${percy.address} is now percy` });
    udp.send('hello percy');
    const got = await event(percy, 'new_message', { message: 'hello percy', from: 'bob' });
    assert.match(String(got.payload['sent']), RFC3339);
    assert.ok(Math.abs(Date.parse(String(got.payload['sent'])) - Date.now()) < 60_000, 'sent is now');
    // Private lines are marked; /who goes through the same parser as any line.
    udp.send('/msg percy psst');
    await event(percy, 'new_message', { message: 'psst', from: 'bob', private: true });
    sendMessage(percy, '/msg bob back', 'percy');
    await udp.waitFor('[private] <percy> back');
    sendMessage(percy, '/who', 'percy');
    await event(percy, 'notice', { message: /^ {2}bob udp / });
    await event(percy, 'notice', { message: /^ {2}percy ws .*\(you\)$/ });
    sendMessage(percy, '/msg nobody x');
    await event(percy, 'error', { message: 'no such peer: nobody; /who lists them' });
    // Nothing but events came: every frame is one JSON object.
    for (const line of percy.lines) assert.ok((JSON.parse(line) as JsonEvent).type, line);
    assertCountersAddUp(room.server);
  });
});

test('an unknown event type is refused by name and counted; the client stays and chats', async () => {
  await withChatRoom({ web: { port: 0 } }, async (room) => {
    const udp = await room.join('udp', 'bob');
    const percy = await jsonPeer(room);
    const handled = room.server.counters().handled;
    percy.send(JSON.stringify({ type: 'change_room', payload: { name: 'general' } }));
    await event(percy, 'error', { message: 'this event type is not supported: change_room (only send_message)' });
    assert.is(room.server.counters().handled, handled + 1);
    assert.ok(room.events.some((e) => e.type === 'error' && e.code === 'ERR_UNKNOWN_EVENT'));
    sendMessage(percy, 'still here');
    await udp.waitFor(`<${percy.address}> still here`);
    assert.not.ok(udp.lines.some((l) => l.includes('change_room')), 'nothing of the refused event reached the room');
    assertCountersAddUp(room.server);
  });
});

test('bad JSON, a non-object, a missing payload: each an error event, counted; the room goes on', async () => {
  await withChatRoom({ web: { port: 0 } }, async (room) => {
    const udp = await room.join('udp', 'bob');
    const percy = await jsonPeer(room);
    const bad: Array<[string | Uint8Array, RegExp]> = [
      ['{"type":"send_message","payload":{"message":"hi"', /^not JSON/],
      ['hello', /^not JSON/],
      [new Uint8Array([0xff, 0x00, 0x7b]), /^not JSON/],
      ['[1,2,3]', /^an event is a JSON object/],
      ['{"type":"send_message"}', /^a send_message event needs a "payload" object/],
      ['{"type":"send_message","payload":{"text":"hi"}}', /^a send_message payload needs a "message" string/],
    ];
    const before = room.server.counters().handled;
    for (const [frame, message] of bad) {
      percy.send(frame);
      await event(percy, 'error', { message });
    }
    assert.is(room.server.counters().handled, before + bad.length);
    assert.is(room.events.filter((e) => e.type === 'error' && e.code === 'ERR_BAD_EVENT').length, bad.length);
    sendMessage(percy, 'after all that');
    await udp.waitFor(`<${percy.address}> after all that`);
    assert.is(udp.lines.filter((l) => l.startsWith('<')).length, 1, 'only the good message was relayed');
    assertCountersAddUp(room.server);
  });
});

test('a from the room refuses gets the room\'s error event; the message goes under the current name', async () => {
  await withChatRoom({ web: { port: 0 } }, async (room) => {
    const alice = await room.join('udp', 'alice');
    const percy = await jsonPeer(room);
    sendMessage(percy, 'am I alice?', 'alice');
    await event(percy, 'error', { message: 'name taken: alice' });
    await alice.waitFor(`<${percy.address}> am I alice?`);
    sendMessage(percy, 'no: percy', 'percy');
    await alice.waitFor(`* ${percy.address} is now percy`);
    await alice.waitFor('<percy> no: percy');
    sendMessage(percy, 'bad name', 'not a name');
    await event(percy, 'error', { message: 'a name has no spaces' });
  });
});

test('a message over the limit is an error event; a frame past the json frame limit is closed with 1009', async () => {
  await withChatRoom({ web: { port: 0 }, limits: { maxMessageBytes: 100 } }, async (room) => {
    const percy = await jsonPeer(room);
    // The envelope is not the message: a message of the limit, escaped, still fits the frame.
    sendMessage(percy, '\x01'.repeat(100));
    sendMessage(percy, 'x'.repeat(101));
    await event(percy, 'error', { message: 'message too long: 101 bytes, the limit is 100; not sent' });
    assert.is(room.server.counters().drops.tooLong, 1);
    percy.send(JSON.stringify({ type: 'send_message', payload: { message: 'x'.repeat(jsonFrameLimit(100)) } }));
    await percy.waitForEnd();
    assert.is(percy.closeCode, 1009);
    // The log names the limit the frame passed (the json frame's, not the message's 101).
    const logged = room.events.filter((e) => e.type === 'error' && e.code === 'ERR_MESSAGE_TOO_LONG').map((e) => (e as { message: string }).message);
    assert.is(logged.at(-1), `message of ${jsonFrameLimit(100) + 1} bytes refused (a WebSocket frame over ${jsonFrameLimit(100)} bytes: read no further)`);
    assertCountersAddUp(room.server);
  });
});

test('a broadcast reaches every json client as the same bytes, and plain clients as lines, as before', async () => {
  await withChatRoom({ web: { port: 0 } }, async (room) => {
    const a = await jsonPeer(room);
    const b = await jsonPeer(room);
    const plain = await room.join('ws', 'plain');
    // A client offering another subprotocol is served as today: the plain form, its protocol granted.
    const other = await room.open('ws', { protocol: 'chat' });
    await other.waitFor(/^\* welcome /);
    assert.is(other.socket.protocol, 'chat');
    assert.is(a.socket.protocol, 'json');
    assert.is(plain.socket.protocol, '');
    const udp = await room.join('udp', 'bob');
    udp.send('to everyone');
    const [ea, eb] = [await a.waitFor((l) => l.includes('to everyone')), await b.waitFor((l) => l.includes('to everyone'))];
    assert.is(ea, eb, 'one encoding, sent time included');
    await plain.waitFor('<bob> to everyone');
    await other.waitFor('<bob> to everyone');
    plain.send('plain text');
    await event(a, 'new_message', { message: 'plain text', from: 'plain' });
    assert.is(plain.socket.readyState, WebSocket.OPEN);
  });
});

test.run();
