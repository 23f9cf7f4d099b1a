import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSeq } from '../../src/client/seq-stats.js';
import { sendMessages } from '../../src/client/send.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('sendMessages with numbered datagrams');

/**
 * An echo that misbehaves by seq number, never at random: drops 3 and 7, answers 5 twice, and
 * holds 9 back until 10 has been answered.
 */
async function lossyEcho(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let held: Buffer | undefined;
  socket.on('message', (msg, rinfo) => {
    const seq = parseSeq(String(msg))?.seq;
    const answer = (bytes: Buffer) => socket.send(bytes, rinfo.port, rinfo.address);
    if (seq === 3 || seq === 7) return;
    if (seq === 9) {
      held = msg;
      return;
    }
    answer(msg);
    if (seq === 5) answer(msg);
    if (seq === 10 && held) answer(held);
  });
  return socket;
}

test('fifty numbered datagrams to an echo all come back, none lost', async () => {
  const server = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const result = await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['ping'], count: 50, seq: true, waitMs: 300 });
    assert.is(result.sent, 50);
    assert.ok(result.stats, 'no stats');
    assert.is(result.stats.expected, 50);
    assert.is(result.stats.received, 50);
    assert.is(result.stats.lost, 0);
    assert.is(result.stats.duplicates, 0);
    assert.ok(result.stats.latency && result.stats.latency.min >= 0, JSON.stringify(result.stats.latency));
    assert.equal(result.received, [], 'numbered replies are counted, not listed');
  } finally {
    await server.close();
  }
});

test('an echo that drops, repeats and delays by seq is counted exactly', async () => {
  const echo = await lossyEcho();
  try {
    const result = await sendMessages({ host: '127.0.0.1', port: echo.address().port, messages: [''], count: 12, seq: true, waitMs: 300 });
    const s = result.stats!;
    assert.equal(
      { expected: s.expected, received: s.received, lost: s.lost, duplicates: s.duplicates, outOfOrder: s.outOfOrder },
      { expected: 12, received: 10, lost: 2, duplicates: 1, outOfOrder: 1 },
    );
    assert.equal(s.lostSeqs, [3, 7]);
    assert.equal(s.duplicateSeqs, [5]);
    assert.equal(s.lateSeqs, [9]);
  } finally {
    echo.close();
  }
});

test('several messages share one numbering, each sent count times in order', async () => {
  const echo = dgram.createSocket('udp4');
  echo.bind(0, '127.0.0.1');
  await once(echo, 'listening');
  const seen: string[] = [];
  echo.on('message', (msg) => seen.push(String(msg)));
  try {
    const result = await sendMessages({ host: '127.0.0.1', port: echo.address().port, messages: ['a', 'b'], count: 2, seq: true });
    assert.is(result.sent, 4);
    assert.is(result.stats, undefined, 'no stats without a wait');
    await eventually(() => seen.length === 4, 2000, 'four datagrams');
    assert.equal(
      seen.map((line) => parseSeq(line)).map((p) => p && `${p.seq}/${p.total} ${p.text}`),
      ['1/4 a', '2/4 a', '3/4 b', '4/4 b'],
    );
  } finally {
    echo.close();
  }
});

test('a numbered run over the limit is refused before anything is sent', async () => {
  try {
    await sendMessages({ host: '127.0.0.1', port: 9, messages: ['a', 'b'], count: 600_000, seq: true });
    assert.unreachable('no error');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_BAD_ARGUMENT');
  }
});

test.run();
