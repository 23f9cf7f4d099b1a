/**
 * A class behind one NAT address joins a validating UDP room at once: the room answers 5
 * challenges a second to an address (serve --challenge-rate), so most first joins go unanswered.
 * The client sends its join again, 250 ms doubling to 2 s with jitter, until the server answers.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import { ChatSession, JOIN_RETRY_MAX_MS } from '../../src/client/session.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('the chat client retries its join until the server answers');

test('30 clients from 127.0.0.1 all join a validating room (5 challenges a second per address) within 10 s', async () => {
  // open: false makes a loopback room validate, as one bound beyond loopback does; default limits.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, open: false });
  const sessions: ChatSession[] = [];
  const welcomed = new Set<ChatSession>();
  try {
    assert.is(server.room.limits.unvalidatedRepliesPerSecond, 5, 'the challenge budget is the default');
    const started = performance.now();
    for (let i = 0; i < 30; i++) {
      const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.port }), { name: `s${i}` });
      session.on('line', (line) => {
        if (line.kind === 'notice' && line.text.startsWith('welcome ')) welcomed.add(session);
      });
      sessions.push(session);
    }
    for (const session of sessions) session.start();
    await eventually(() => welcomed.size === 30, 10_000, `all 30 welcomed (${welcomed.size} were)`);
    const seconds = (performance.now() - started) / 1000;
    const retries = sessions.reduce((n, s) => n + s.joinRetries, 0);
    console.log(`    30 clients from one address joined in ${seconds.toFixed(1)} s, ${retries} join retries, ${server.counters().challenges} challenges`);
    assert.is(server.room.size, 30);
    assert.ok(retries > 0, 'the challenge budget turned some first joins away');
    assert.ok(server.room.counters.drops.unvalidated > 30, 'the unanswered joins were counted');
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await server.close();
  }
});

test('a server that never answers gets the join again, backing off to 2 s; the first answer ends the retries', async () => {
  const fake = dgram.createSocket('udp4');
  fake.bind(0, '127.0.0.1');
  await once(fake, 'listening');
  const got: string[] = [];
  let answer = false;
  fake.on('message', (msg, rinfo) => {
    got.push(String(msg));
    if (answer) fake.send('* welcome r; peer timeout 60s: send /ping\n', rinfo.port, rinfo.address);
  });
  // No jitter: waits of exactly 250, 500, 1000 ms.
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: fake.address().port }), { name: 'r', random: () => 0.5 });
  const waits: number[] = [];
  session.on('retry', (_n, next) => waits.push(next));
  try {
    session.start();
    await eventually(() => got.length === 4, 3000, 'the join and three retries');
    assert.equal(got, ['/nick r', '/nick r', '/nick r', '/nick r']);
    assert.equal(waits, [500, 1000, JOIN_RETRY_MAX_MS]);
    assert.is(session.joinRetries, 3);
    answer = true;
    await eventually(() => got.length === 5, 3000, 'the fourth retry');
    await eventually(() => session.heartbeatMs === 20_000, 2000, 'welcomed');
    const after = got.length;
    await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MAX_MS + 200));
    assert.is(got.length, after, 'no retry after the welcome');
  } finally {
    await session.close();
    fake.close();
  }
});

test.run();
