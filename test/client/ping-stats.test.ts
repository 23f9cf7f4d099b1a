import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import { formatProbe, PingTally } from '../../src/client/ping-stats.js';

const test = suite("ping's bookkeeping, without sockets");

test('a probe reads `Ping SEQ TIME` with Unix seconds, as the lab writes time.time(); -s pads it', () => {
  assert.is(formatProbe(1, 1763800000.1234567), 'Ping 1 1763800000.123457');
  assert.is(formatProbe(10, 1763800000.5, 30), 'Ping 10 1763800000.500000 xxxx');
  assert.is(formatProbe(10, 1763800000.5, 30).length, 30);
  assert.is(formatProbe(3, 1763800000.5, 25), 'Ping 3 1763800000.500000 ');
  // A size under the header sends the header whole.
  assert.is(formatProbe(3, 1763800000.5, 5), 'Ping 3 1763800000.500000');
});

test('replies are matched by their number, in any case; rtt min/avg/max/mdev as ping(8) computes them', () => {
  const tally = new PingTally();
  for (let seq = 1; seq <= 4; seq++) tally.sent(seq, 24, 1000 * seq);
  // RTTs 1, 2, 3, 4 ms, arriving out of order, upper-cased as the book's server sends them.
  assert.equal(tally.reply('PING 3 1763800000.123456', 24, 3003), { kind: 'reply', seq: 3, bytes: 24, rttMs: 3 });
  assert.equal(tally.reply('ping 1 1763800000.123456', 24, 1001), { kind: 'reply', seq: 1, bytes: 24, rttMs: 1 });
  tally.reply('Ping 4 x', 24, 4004);
  tally.reply('Ping 2', 24, 2002);
  const s = tally.summary();
  assert.is(s.received, 4);
  assert.is(s.lossPercent, 0);
  assert.is(s.rtt!.min, 1);
  assert.is(s.rtt!.max, 4);
  assert.is(s.rtt!.avg, 2.5);
  // Population standard deviation: sqrt(((1.5² + 0.5²) × 2) / 4) = sqrt(1.25).
  assert.ok(Math.abs(s.rtt!.mdev - Math.sqrt(1.25)) < 1e-9, String(s.rtt!.mdev));
  assert.is(tally.outstanding, 0);
});

test('a reply after its timeout is late, a second reply a duplicate, neither counted as received', () => {
  const tally = new PingTally();
  tally.sent(1, 24, 0);
  tally.sent(2, 24, 10);
  assert.ok(tally.timeout(1));
  assert.is(tally.reply('Ping 1 t', 24, 1500).kind, 'late');
  assert.is(tally.reply('Ping 1 t', 24, 1600).kind, 'duplicate');
  assert.is(tally.reply('Ping 2 t', 24, 12).kind, 'reply');
  assert.is(tally.reply('Ping 2 t', 24, 13).kind, 'duplicate');
  // Its time up after the reply came: not a timeout.
  assert.not.ok(tally.timeout(2));
  const s = tally.summary();
  assert.equal([s.transmitted, s.received, s.late, s.duplicates, s.timeouts], [2, 1, 1, 2, 1]);
  assert.is(s.lossPercent, 50);
  assert.equal(s.rtt, { min: 2, avg: 2, max: 2, mdev: 0 });
  assert.equal(tally.list(), [
    { seq: 1, bytes: 24, status: 'late', rttMs: 1500 },
    { seq: 2, bytes: 24, status: 'replied', rttMs: 2 },
  ]);
});

test('anything but a reply to a probe we sent is unexpected and counts for nothing else', () => {
  const tally = new PingTally();
  tally.sent(1, 24, 0);
  for (const text of ['* welcome to the room, guest1', 'Ping 2 t', 'Ping 0 t', 'Ping 1x t', 'Pingo 1', ' Ping 1 t', 'Ping']) {
    assert.is(tally.reply(text, text.length, 5).kind, 'unexpected', text);
  }
  const s = tally.summary();
  assert.equal([s.received, s.unexpected, s.duplicates, s.late], [0, 7, 0, 0]);
  assert.is(tally.outstanding, 1);
  assert.equal(tally.list(), [{ seq: 1, bytes: 24, status: 'pending', rttMs: null }]);
  assert.is(s.rtt, null);
});

test('a port unreachable answers the newest probe still waiting', () => {
  const tally = new PingTally();
  tally.sent(1, 24, 0);
  tally.sent(2, 24, 1);
  tally.sent(3, 24, 2);
  tally.reply('Ping 3 t', 24, 3);
  assert.is(tally.refused(), 2);
  assert.is(tally.refused(), 1);
  assert.is(tally.refused(), null);
  assert.equal(tally.summary().unreachable, 2);
  assert.equal(tally.waitingSeqs(), []);
});

test('probes are numbered 1, 2, ...; past the most remembered the oldest are forgotten, the counts kept', () => {
  const tally = new PingTally(3);
  try {
    tally.sent(2, 24, 0);
    assert.unreachable('a gap in the numbers was taken');
  } catch (err) {
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
  }
  for (let seq = 1; seq <= 5; seq++) tally.sent(seq, 24, seq);
  assert.equal(tally.list().map((p) => p.seq), [3, 4, 5]);
  assert.is(tally.outstanding, 3);
  assert.is(tally.reply('Ping 1 t', 24, 9).kind, 'unexpected');
  assert.equal(tally.waitingSeqs(), [3, 4, 5]);
  assert.is(tally.summary().transmitted, 5);
  assert.is(tally.summary().lossPercent, 100);
});

test.run();
