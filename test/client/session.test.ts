import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, payloadLines } from '../../src/client/connection.js';
import { ChatSession } from '../../src/client/session.js';
import { eventually } from '../helpers/udp-peer.js';

/** What the client does over any connection is the client contract (contract.test.ts); here, the rest. */
const test = suite('the chat client');

test('payloadLines splits lines, drops CR and escapes what a terminal would obey', () => {
  assert.equal(payloadLines(Buffer.from('a\r\nb\n')), ['a', 'b']);
  assert.equal(payloadLines(Buffer.from('no newline')), ['no newline']);
  assert.equal(payloadLines(Buffer.from('\x1b[2Jx\x07')), ['\\x1b[2Jx\\x07']);
  assert.equal(payloadLines(Buffer.from([0x41, 0xff])), ['A\ufffd']);
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

test.run();
