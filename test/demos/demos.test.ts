import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { boundariesDemo, type BoundaryRun } from '../../src/demos/boundaries.js';
import { livenessDemo, type LivenessRun } from '../../src/demos/liveness.js';
import { sequenceDemo } from '../../src/demos/sequence.js';
import { sizeDemo, type SizeRun } from '../../src/demos/size.js';

const test = suite('the classroom demos make their claims');

test('boundaries: UDP keeps every boundary, the naive TCP parser miscounts, line framing recovers N', async () => {
  const result = await boundariesDemo({ count: 12 });
  const runs = result.data['runs'] as BoundaryRun[];
  const [udp, , merged, cut] = runs;
  assert.equal(udp!.reads.length, 12);
  assert.equal(udp!.naiveMessages, 12);
  for (const run of runs) assert.is(run.framedMessages, 12, `${run.path} framed`);
  assert.ok(merged!.naiveMessages < 12, `coalesced reads: ${merged!.reads.join(',')}`);
  assert.ok(cut!.naiveMessages > 12, `sliced reads: ${cut!.reads.join(',')}`);
});

test('loss with seed 42: the same numbers are lost on every run, match the counts, and TCP gets all later', async () => {
  const first = await sequenceDemo('loss', { seed: 42, count: 40 });
  const second = await sequenceDemo('loss', { seed: 42, count: 40 });
  const udp1 = first.data['udp'] as SeqResult;
  const udp2 = second.data['udp'] as SeqResult;
  const tcp = first.data['tcp'] as SeqResult;
  assert.ok(udp1.lostSeqs.length > 0);
  assert.equal(udp2.lostSeqs, udp1.lostSeqs);
  assert.is(udp1.lost, udp1.lostSeqs.length);
  assert.is(udp1.received, 40 - udp1.lost);
  assert.is(tcp.received, 40);
  assert.is(tcp.lost, 0);
  assert.is(tcp.outOfOrder, 0);
  assert.ok(tcp.latency!.p99 >= 150, `TCP p99 ${tcp.latency!.p99} shows the retransmission wait`);
});

test('reorder: UDP sees late numbers, TCP none', async () => {
  const result = await sequenceDemo('reorder', { seed: 42, count: 40 });
  const udp = result.data['udp'] as SeqResult;
  const tcp = result.data['tcp'] as SeqResult;
  assert.ok(udp.outOfOrder > 0);
  assert.is(udp.received, 40);
  assert.is(tcp.outOfOrder, 0);
  assert.is(tcp.received, 40);
});

test('duplicate: UDP counts repeats, TCP none', async () => {
  const result = await sequenceDemo('duplicate', { seed: 7, count: 40 });
  const udp = result.data['udp'] as SeqResult;
  const tcp = result.data['tcp'] as SeqResult;
  assert.ok(udp.duplicates > 0);
  assert.is(udp.duplicates, udp.duplicateSeqs.length);
  assert.is(udp.received, 40);
  assert.is(tcp.duplicates, 0);
});

test('size: 65507 bytes arrive on loopback, 65508 fail with EMSGSIZE, a tiny buffer drops a burst', async () => {
  const result = await sizeDemo({ count: 100 });
  const sizes = result.data['sizes'] as SizeRun[];
  assert.is(sizes.find((s) => s.bytes === 65507)!.outcome, 'delivered');
  assert.is(sizes.find((s) => s.bytes === 65508)!.outcome, 'error EMSGSIZE');
  const burst = result.data['burst'] as { small: { received: number }; large: { received: number } };
  assert.ok(burst.small.received < 100, `small buffer got ${burst.small.received}`);
  assert.ok(burst.large.received > burst.small.received);
});

test('liveness: TCP notices a closed peer at once, UDP and a silent TCP peer only after the timeout', async () => {
  const result = await livenessDemo();
  const [ended, silent, udp] = result.data['runs'] as LivenessRun[];
  assert.is(ended!.reason, 'disconnected');
  assert.ok(ended!.noticedAfterMs < 500, `${ended!.noticedAfterMs} ms`);
  assert.is(silent!.reason, 'timeout');
  assert.is(udp!.reason, 'timeout');
  assert.ok(udp!.noticedAfterMs >= 1000, `${udp!.noticedAfterMs} ms`);
});

test.run();
