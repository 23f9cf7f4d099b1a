/**
 * Limits never pass for network loss (issue 10, item 13), on real loopback sockets: a default
 * loopback room lets the README's numbered run and the seed's sticky-packet client through whole,
 * and where a room's rate limit drops messages, sender and receiver count them as refused, not
 * lost, exactly as the room counted them.
 */
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import { startChatServer, type ChatServer, type ServerEvent } from '../../src/servers/chat-server.js';
import { eventually, UdpPeer } from '../helpers/udp-peer.js';

const test = suite('limits are visible, never loss');

/** A receiver counting numbered lines (chat --stats), joined as `rx`. */
async function receiver(server: ChatServer): Promise<ChatSession> {
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'rx', stats: true });
  session.start();
  await eventually(() => server.room.find('rx') !== undefined, 2000, 'rx joined');
  return session;
}

test("the README's run, 1,000 at 1 ms through a default loopback room, arrives whole", async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const rx = await receiver(server);
  try {
    const sent = await sendMessages({ host: '127.0.0.1', port: server.port, messages: [''], count: 1000, intervalMs: 1, seq: true });
    assert.is(sent.sent, 1000);
    await eventually(() => rx.stats!.result().received === 1000, 3000, `1000 received (${rx.stats!.result().received} so far, ${server.counters().drops.rateLimited} rate-limited)`);
    assert.is(server.counters().drops.rateLimited, 0);
    assert.equal([rx.stats!.result().lost, rx.stats!.result().refused], [0, 0]);
  } finally {
    await rx.close();
    await server.close();
  }
});

test("the seed's sticky-packet client, 30 writes then one more line, is relayed whole by a TCP loopback room", async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both' });
  const rx = await UdpPeer.open();
  const client = net.connect(server.port, '127.0.0.1');
  try {
    await once(client, 'connect');
    rx.send(server.port, '/nick rx');
    await rx.waitFor(/is now rx/);
    client.setNoDelay(true);
    for (let i = 0; i < 30; i++) client.write('Hello world, hello regy!\n');
    client.write('one more line\n');
    await rx.waitFor(/> one more line$/);
    assert.is(rx.lines.filter((l) => l.endsWith('> Hello world, hello regy!')).length, 30);
    assert.is(server.counters().drops.rateLimited, 0);
  } finally {
    client.destroy();
    rx.close();
    await server.close();
  }
});

test('through a rate-limited room, the sender and a receiver count the refusals exactly, apart from loss', async () => {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, echoSelf: true, limits: { messageBurst: 30, messageRate: 10 }, onEvent: (e) => events.push(e) });
  const rx = await receiver(server);
  try {
    const shown: string[] = [];
    const r = await sendMessages({ host: '127.0.0.1', port: server.port, messages: [''], count: 100, intervalMs: 1, waitMs: 200, seq: true, onLine: (l) => shown.push(l) });
    const drops = server.counters().drops.rateLimited;
    assert.ok(drops >= 50, `${drops} dropped`);
    const s = r.stats!;
    assert.equal({ received: s.received, refused: s.refused, lost: s.lost }, { received: 100 - drops, refused: drops, lost: 0 }, shown.join('\n'));
    // The receiver heard the same numbers from the room, by the sender's name.
    await eventually(() => rx.stats!.result().received + rx.stats!.result().refused === 100, 2000, 'the receiver counted the run');
    assert.equal([rx.stats!.result().refused, rx.stats!.result().lost], [drops, 0]);
    // The server said why, once for this peer.
    const logged = events.filter((e) => e.type === 'error' && e.code === 'ERR_RATE_LIMITED');
    assert.is(logged.length, 1);
  } finally {
    await rx.close();
    await server.close();
  }
});

test.run();
