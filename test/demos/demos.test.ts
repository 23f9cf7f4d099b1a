import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { boundariesDemo, type BoundaryRun } from '../../src/demos/boundaries.js';
import { livenessDemo, type LivenessRun } from '../../src/demos/liveness.js';
import { sequenceDemo } from '../../src/demos/sequence.js';
import { loopbackMtu, sizeDemo, type SizeRun } from '../../src/demos/size.js';
import type { MessageTrace } from '../../src/demos/trace.js';

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
  // The picture's data: writes and reads tile the same bytes, in order, each read as long as it was.
  for (const run of runs) {
    assert.is(run.writes.length, 12, run.path);
    assert.is(run.readRanges.length, run.reads.length, run.path);
    for (const ranges of [run.writes, run.readRanges]) ranges.forEach((r, i) => assert.is(r.start, i === 0 ? 0 : ranges[i - 1]!.end, run.path));
    assert.equal(run.readRanges.map((r) => r.end - r.start), run.reads, run.path);
    assert.is(run.readRanges.at(-1)!.end, run.writes.at(-1)!.end, run.path);
    assert.is(run.readRanges.reduce((a, r) => a + r.messages, 0), 12, run.path);
  }
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
  // The trace: what the proxy says it dropped is what the receiver missed; TCP's resent ones waited the timeout.
  const trace = first.data['trace'] as { udp: MessageTrace[]; tcp: MessageTrace[] };
  assert.equal(trace.udp.filter((m) => m.proxy === 'lost').map((m) => m.seq), udp1.lostSeqs);
  assert.equal(trace.udp.filter((m) => m.arrivalsMs.length === 0).map((m) => m.seq), udp1.lostSeqs);
  const resent = trace.tcp.filter((m) => m.proxy === 'retransmitted');
  assert.ok(resent.length > 0);
  for (const m of resent) assert.ok(m.heldMs === 200 && m.arrivalsMs[0]! - m.sentMs >= 190, `seq ${m.seq}: ${JSON.stringify(m)}`);
  for (const m of trace.tcp) assert.is(m.arrivalsMs.length, 1, `seq ${m.seq}`);
  // In order: no TCP message arrives before the one sent ahead of it.
  trace.tcp.slice(1).forEach((m, i) => assert.ok(m.arrivalsMs[0]! >= trace.tcp[i]!.arrivalsMs[0]!, `seq ${m.seq}`));
  const blocked = trace.tcp.filter((m) => m.proxy === 'blocked');
  assert.ok(blocked.length > 0 && blocked.every((m) => m.heldMs > 0));
  assert.equal(first.data['proxy'], { flag: '--loss 0.2', reorderGapMs: 0, rtoMs: 200 });
});

test('reorder: UDP sees late numbers, TCP none', async () => {
  const result = await sequenceDemo('reorder', { seed: 42, count: 40 });
  const udp = result.data['udp'] as SeqResult;
  const tcp = result.data['tcp'] as SeqResult;
  assert.ok(udp.outOfOrder > 0);
  assert.is(udp.received, 40);
  assert.is(tcp.outOfOrder, 0);
  assert.is(tcp.received, 40);
  // Every late datagram was one the proxy held back (or one overtaken while the proxy was connecting).
  const trace = (result.data['trace'] as { udp: MessageTrace[] }).udp;
  const held = trace.filter((m) => m.proxy === 'held');
  assert.ok(held.length > 0 && held.every((m) => m.heldMs === 15));
  for (const m of held) assert.ok(m.arrivalsMs[0]! - m.sentMs >= 14, `seq ${m.seq}`);
});

test('duplicate: UDP counts repeats, TCP none', async () => {
  const result = await sequenceDemo('duplicate', { seed: 7, count: 40 });
  const udp = result.data['udp'] as SeqResult;
  const tcp = result.data['tcp'] as SeqResult;
  assert.ok(udp.duplicates > 0);
  assert.is(udp.duplicates, udp.duplicateSeqs.length);
  assert.is(udp.received, 40);
  assert.is(tcp.duplicates, 0);
  const trace = (result.data['trace'] as { udp: MessageTrace[] }).udp;
  assert.equal(trace.filter((m) => m.arrivalsMs.length === 2).map((m) => m.seq), udp.duplicateSeqs);
  assert.equal(trace.filter((m) => m.proxy === 'duplicated').map((m) => m.seq), udp.duplicateSeqs);
});

test('size: 65507 bytes arrive on loopback, 65508 fail with EMSGSIZE, a tiny buffer drops a burst', async () => {
  const result = await sizeDemo({ count: 100 });
  const sizes = result.data['sizes'] as SizeRun[];
  assert.is(sizes.find((s) => s.bytes === 65507)!.outcome, 'delivered');
  assert.is(sizes.find((s) => s.bytes === 65508)!.outcome, 'error EMSGSIZE');
  const burst = result.data['burst'] as { small: { received: number }; large: { received: number } };
  assert.ok(burst.small.received < 100, `small buffer got ${burst.small.received}`);
  assert.ok(burst.large.received > burst.small.received);
  // Measured, not assumed: the platform and loopback's MTU as this OS reports it (null where it cannot be read).
  assert.equal(result.data['os'], { platform: process.platform, loopbackMtu: loopbackMtu() });
  assert.ok(result.explanation.some((l) => l.includes(`the kernel gave ${(burst as unknown as { small: { actual: number } }).small.actual}`)));
});

test('liveness: TCP notices a closed peer at once, UDP and a silent TCP peer only after the timeout', async () => {
  const result = await livenessDemo();
  const [ended, silent, udp] = result.data['runs'] as LivenessRun[];
  assert.is(ended!.reason, 'disconnected');
  assert.ok(ended!.noticedAfterMs < 500, `${ended!.noticedAfterMs} ms`);
  assert.is(silent!.reason, 'timeout');
  assert.is(udp!.reason, 'timeout');
  assert.ok(udp!.noticedAfterMs >= 1000, `${udp!.noticedAfterMs} ms`);
  // The picture's timings: three heartbeats each, then FIN noticed at once, or silence until the timeout.
  for (const run of [ended!, silent!, udp!]) {
    assert.is(run.heartbeatsMs.length, 3, run.case);
    assert.ok(run.goneAtMs > run.heartbeatsMs.at(-1)!, run.case);
  }
  assert.is(ended!.signal, 'FIN');
  assert.ok(ended!.noticedAtMs - ended!.goneAtMs < 500);
  for (const run of [silent!, udp!]) {
    assert.is(run.signal, 'none');
    assert.ok(run.noticedAtMs - run.heartbeatsMs.at(-1)! >= 1000, `${run.case}: ${JSON.stringify(run)}`);
  }
});

test.run();
