import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('a chat session counting numbered lines');

test('a session with stats counts a numbered run sent through the room, and nothing else', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: 'rx', stats: true });
  try {
    session.start();
    await eventually(() => server.room.find('rx') !== undefined, 2000, 'joined');
    await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['plain chat', 'seq=1/1 is not a number without t='] });
    await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['tick'], count: 20, intervalMs: 1, seq: true });
    await eventually(() => session.stats!.result().received === 20, 2000, 'twenty numbered lines');
    const r = session.stats!.result();
    assert.equal([r.expected, r.lost, r.duplicates, r.outOfOrder, r.ignored], [20, 0, 0, 0, 0]);
    assert.ok(r.latency, 'no latency');
  } finally {
    await session.close();
    await server.close();
  }
});

test('a session without stats keeps none', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }));
  try {
    assert.is(session.stats, undefined);
  } finally {
    await session.close();
    await server.close();
  }
});

test.run();
