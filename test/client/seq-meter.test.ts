import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SeqMeter } from '../../src/client/seq-meter.js';
import { SeqStats } from '../../src/client/seq-stats.js';

const test = suite('SeqMeter: a numbered run measured per interval');

/** A meter on a clock the test moves, fed through a SeqStats as send.ts feeds it. */
function rig(total: number) {
  let now = 1000;
  const meter = new SeqMeter(total, () => now);
  const stats = new SeqStats({ expected: total });
  const arrive = (seq: number, latency = 1) => meter.arrive(seq, stats.add({ seq, total, sentAtMs: 0, text: '' }, latency), latency);
  return { meter, stats, arrive, advance: (ms: number) => (now += ms) };
}

test('each interval counts its own sends, arrivals, gaps and latency, and the next starts where it ended', () => {
  const { meter, arrive, advance } = rig(10);
  for (let i = 0; i < 5; i++) meter.sent();
  arrive(1, 2);
  arrive(2, 4);
  arrive(4, 3); // 3 skipped
  advance(200);
  assert.equal(meter.interval(), {
    startMs: 0,
    endMs: 200,
    sent: 5,
    received: 3,
    lost: 1,
    lossPercent: 25,
    duplicates: 0,
    outOfOrder: 0,
    refused: 0,
    latencyMs: { avg: 3, min: 2, max: 4 },
  });
  arrive(3); // late: takes the loss back, as iperf3 does
  arrive(3); // and again: a duplicate
  meter.refuse(2);
  advance(100);
  const second = meter.interval();
  assert.equal(
    { startMs: second.startMs, endMs: second.endMs, sent: second.sent, received: second.received, lost: second.lost, duplicates: second.duplicates, outOfOrder: second.outOfOrder, refused: second.refused },
    { startMs: 200, endMs: 300, sent: 0, received: 1, lost: -1, duplicates: 1, outOfOrder: 1, refused: 2 },
  );
  assert.equal(meter.progress(), { sent: 5, total: 10, received: 4, lost: 0, refused: 2 });
});

test('an empty interval has no latency and no loss figure, and says it is idle', () => {
  const { meter, advance } = rig(3);
  advance(50);
  assert.ok(meter.idle);
  const r = meter.interval();
  assert.is(r.latencyMs, null);
  assert.is(r.lossPercent, 0);
});

test('a damaged send time counts the arrival but not its latency', () => {
  const { meter, arrive } = rig(2);
  arrive(1, 3_600_000);
  const r = meter.interval();
  assert.is(r.received, 1);
  assert.is(r.latencyMs, null);
});

test.run();
