import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, payloadLines } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import type { ServerLine } from '../../src/core/lines.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';

const test = suite('the chat client');

test('payloadLines splits lines, drops CR and escapes what a terminal would obey', () => {
  assert.equal(payloadLines(Buffer.from('a\r\nb\n')), ['a', 'b']);
  assert.equal(payloadLines(Buffer.from('no newline')), ['no newline']);
  assert.equal(payloadLines(Buffer.from('\x1b[2Jx\x07')), ['\\x1b[2Jx\\x07']);
  assert.equal(payloadLines(Buffer.from([0x41, 0xff])), ['A\ufffd']);
});

test('a session joins with its name and learns the heartbeat from the welcome', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, peerTimeoutMs: 900 });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'ann' });
  const lines: ServerLine[] = [];
  session.on('line', (l) => lines.push(l));
  try {
    session.start();
    await eventually(() => lines.some((l) => l.kind === 'notice' && l.text.endsWith('is now ann')), 2000, 'rename notice');
    assert.is(session.heartbeatMs, 300);
    assert.ok(server.room.find('ann'));
  } finally {
    await session.close();
    await server.close();
  }
});

test('an idle session is kept by its heartbeats while a silent nc-like peer expires', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, peerTimeoutMs: 300, sweepIntervalMs: 20 });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'idle' });
  const silent = await UdpPeer.open();
  try {
    session.start();
    await eventually(() => server.room.find('idle') !== undefined, 2000, 'session joined');
    silent.send(server.port, '/nick silent');
    await silent.waitFor(/is now silent/);
    // The silent peer's expiry is the clock: by then the idle session has been as quiet as it was.
    await silent.waitFor(/^\* you were dropped/, 3000);
    silent.send(server.port, '/nick silent2');
    await silent.waitFor(/is now silent2/);
    await silent.waitFor(/^\* you were dropped/, 3000);
    assert.ok(server.room.find('idle'), 'the heartbeating session was expired');
  } finally {
    silent.close();
    await session.close();
    await server.close();
  }
});

test('a session warns when the server stops answering, and says when it answers again', async () => {
  // A fake server that welcomes with a 150ms timeout, then answers only when told to.
  const fake = dgram.createSocket('udp4');
  fake.bind(0, '127.0.0.1');
  await once(fake, 'listening');
  let answering = true;
  fake.on('message', (msg, rinfo) => {
    const text = String(msg);
    if (!answering) return;
    if (text.startsWith('/nick')) fake.send('* welcome x; peer timeout 150ms: send /ping\n', rinfo.port, rinfo.address);
    else if (text.startsWith('/ping ')) fake.send(`/pong ${text.slice(6)}\n`, rinfo.port, rinfo.address);
  });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: fake.address().port }), { name: 'w' });
  let unresponsive = 0;
  let responsive = 0;
  session.on('unresponsive', () => unresponsive++);
  session.on('responsive', () => responsive++);
  try {
    session.start();
    await eventually(() => session.heartbeatMs === 50, 2000, 'heartbeat from welcome');
    answering = false;
    await eventually(() => unresponsive === 1, 3000, 'unresponsive warning');
    answering = true;
    await eventually(() => responsive === 1, 3000, 'responsive again');
    assert.is(unresponsive, 1);
  } finally {
    await session.close();
    fake.close();
  }
});

test('quit through the session leaves the room at once', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'q' });
  const closed = once(session, 'closed', { signal: AbortSignal.timeout(2000) });
  try {
    session.start();
    await eventually(() => server.room.find('q') !== undefined, 2000, 'joined');
    session.say('/quit');
    await closed;
    await eventually(() => server.room.size === 0, 2000, 'left');
  } finally {
    await session.close();
    await server.close();
  }
});

test('sendMessages returns what came back within the wait', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  try {
    const result = await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['/ping a', '/ping b'], waitMs: 200 });
    assert.is(result.sent, 2);
    assert.ok(result.received.includes('/pong a') && result.received.includes('/pong b'), JSON.stringify(result.received));
  } finally {
    await server.close();
  }
});

test.run();
