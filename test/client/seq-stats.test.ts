import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSeq, MAX_SEQ_TOTAL, parseSeq, SeqStats, type SeqResult } from '../../src/client/seq-stats.js';
import { ChatError } from '../../src/core/errors.js';

const wire = suite('the seq wire format');

wire('formatSeq writes the number, the total, the send time in ms to the µs, then the text', () => {
  assert.is(formatSeq(3, 100, 1763800000123.456, 'hello there'), 'seq=3/100 t=1763800000123.456 hello there');
  assert.is(formatSeq(1, 1, 5), 'seq=1/1 t=5.000');
  assert.is(formatSeq(MAX_SEQ_TOTAL, MAX_SEQ_TOTAL, 0.0004, ''), `seq=${MAX_SEQ_TOTAL}/${MAX_SEQ_TOTAL} t=0.000`);
});

const badFormats: Array<[seq: number, total: number, at: number]> = [
  [0, 5, 1],
  [6, 5, 1],
  [1, 0, 1],
  [1.5, 5, 1],
  [1, MAX_SEQ_TOTAL + 1, 1],
  [1, 5, Number.NaN],
  [1, 5, -1],
];
for (const [seq, total, at] of badFormats) {
  wire(`formatSeq refuses seq ${seq} of ${total} sent at ${at} with ERR_BAD_ARGUMENT`, () => {
    try {
      formatSeq(seq, total, at);
      assert.unreachable('no error');
    } catch (err) {
      assert.instance(err, ChatError);
      assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
    }
  });
}

wire('parseSeq reads back what formatSeq wrote, text included or not', () => {
  for (const [seq, total, at, text] of [
    [1, 1, 1763800000123.456, ''],
    [7, 100, 0.001, 'hi'],
    [50, 50, 12, 'two words and = signs t=3'],
  ] as const) {
    assert.equal(parseSeq(formatSeq(seq, total, at, text)), { seq, total, sentAtMs: at, text });
  }
});

const found: Array<[line: string, seq: number, total: number, text: string]> = [
  ['<alice> seq=3/100 t=1763800000123.456 hi there', 3, 100, 'hi there'],
  ['<127.0.0.1:5000> seq=9/9 t=1.5', 9, 9, ''],
  ['[private] <bob> seq=2/4 t=10 psst', 2, 4, 'psst'],
  ['SEQ=3/100 T=1763800000123.456 HELLO', 3, 100, 'HELLO'],
  ['seq=1/2 t=1 seq=2/2 t=2', 1, 2, 'seq=2/2 t=2'],
  ['seq=0003/100 t=7', 3, 100, ''],
];
for (const [line, seq, total, text] of found) {
  wire(`parseSeq finds seq ${seq}/${total} in '${line}'`, () => {
    const parsed = parseSeq(line);
    assert.ok(parsed, 'not found');
    assert.is(parsed.seq, seq);
    assert.is(parsed.total, total);
    assert.is(parsed.text, text);
  });
}

const garbage = [
  '',
  'hello',
  '* alice joined',
  'seq=3',
  'seq=3/100',
  'seq=3/100 t=',
  'seq=3/100 t=12x',
  'seq=3/100  t=12',
  'xseq=1/2 t=1',
  'seq=0/5 t=1',
  'seq=6/5 t=1',
  'seq=-1/5 t=1',
  `seq=1/${MAX_SEQ_TOTAL + 1} t=1`,
  'seq=1/99999999 t=1',
];
for (const line of garbage) {
  wire(`parseSeq ignores '${line}'`, () => {
    assert.is(parseSeq(line), null);
  });
}

wire.run();

const counts = suite('SeqStats, counted as iperf3 counts datagrams');

type Counts = Pick<SeqResult, 'received' | 'lost' | 'duplicates' | 'outOfOrder' | 'lostSeqs' | 'lateSeqs' | 'duplicateSeqs'>;

function arrive(total: number, order: number[], expected?: number): SeqResult {
  const stats = new SeqStats(expected === undefined ? {} : { expected });
  for (const seq of order) stats.add({ seq, total, sentAtMs: 1000, text: '' }, 1001);
  return stats.result();
}

const none = { lostSeqs: [], lateSeqs: [], duplicateSeqs: [] };
const tables: Array<[what: string, total: number, order: number[], want: Counts]> = [
  ['in order', 5, [1, 2, 3, 4, 5], { received: 5, lost: 0, duplicates: 0, outOfOrder: 0, ...none }],
  ['a gap', 5, [1, 2, 4, 5], { received: 4, lost: 1, duplicates: 0, outOfOrder: 0, ...none, lostSeqs: [3] }],
  ['one reordered', 5, [1, 3, 2, 4, 5], { received: 5, lost: 0, duplicates: 0, outOfOrder: 1, ...none, lateSeqs: [2] }],
  ['reversed', 4, [4, 3, 2, 1], { received: 4, lost: 0, duplicates: 0, outOfOrder: 3, ...none, lateSeqs: [3, 2, 1] }],
  ['a duplicate', 5, [1, 2, 2, 3, 4, 5], { received: 5, lost: 0, duplicates: 1, outOfOrder: 0, ...none, duplicateSeqs: [2] }],
  ['one seq three times', 3, [1, 2, 2, 2, 3], { received: 3, lost: 0, duplicates: 2, outOfOrder: 0, ...none, duplicateSeqs: [2] }],
  ['a late one repeated', 3, [2, 1, 1, 3], { received: 3, lost: 0, duplicates: 1, outOfOrder: 1, lostSeqs: [], lateSeqs: [1], duplicateSeqs: [1] }],
  ['loss at the end', 5, [1, 2, 3], { received: 3, lost: 2, duplicates: 0, outOfOrder: 0, ...none, lostSeqs: [4, 5] }],
  ['loss at the start', 5, [3, 4, 5], { received: 3, lost: 2, duplicates: 0, outOfOrder: 0, ...none, lostSeqs: [1, 2] }],
  ['only the last', 5, [5], { received: 1, lost: 4, duplicates: 0, outOfOrder: 0, ...none, lostSeqs: [1, 2, 3, 4] }],
  [
    'mixed',
    10,
    [1, 3, 2, 2, 5, 9, 4, 10, 10],
    { received: 7, lost: 3, duplicates: 2, outOfOrder: 2, lostSeqs: [6, 7, 8], lateSeqs: [2, 4], duplicateSeqs: [2, 10] },
  ],
];
for (const [what, total, order, want] of tables) {
  counts(`${what}: ${order.join(',')} of ${total}`, () => {
    const r = arrive(total, order);
    assert.equal(
      { received: r.received, lost: r.lost, duplicates: r.duplicates, outOfOrder: r.outOfOrder, lostSeqs: r.lostSeqs, lateSeqs: r.lateSeqs, duplicateSeqs: r.duplicateSeqs },
      want,
    );
    assert.is(r.expected, total);
    assert.is(r.lost, r.expected - r.received, 'lost is expected − received');
    assert.is(r.lossPercent, (r.lost / total) * 100);
  });
}

counts('a sender that knows its total counts every datagram lost when no reply came', () => {
  const r = arrive(5, [], 5);
  assert.is(r.expected, 5);
  assert.is(r.lost, 5);
  assert.equal(r.lostSeqs, [1, 2, 3, 4, 5]);
  assert.is(r.lossPercent, 100);
  assert.is(r.latency, null);
});

counts('with nothing announced and nothing received, nothing is expected or lost', () => {
  const r = new SeqStats().result();
  assert.equal([r.expected, r.received, r.lost, r.lossPercent, r.latency], [0, 0, 0, 0, null]);
});

counts('lines announcing another total belong to another run and are only counted as ignored', () => {
  const stats = new SeqStats({ expected: 3 });
  assert.is(stats.add({ seq: 1, total: 3, sentAtMs: 0, text: '' }, 1), 'in-order');
  assert.is(stats.add({ seq: 2, total: 7, sentAtMs: 0, text: '' }, 1), 'ignored');
  assert.is(stats.add({ seq: 3, total: 3, sentAtMs: 0, text: '' }, 1), 'in-order');
  assert.is(stats.add({ seq: 1, total: 3, sentAtMs: 0, text: '' }, 1), 'duplicate');
  assert.is(stats.add({ seq: 2, total: 3, sentAtMs: 0, text: '' }, 1), 'late');
  const r = stats.result();
  assert.is(r.ignored, 1);
  assert.is(r.received, 3);
});

counts('a receiver takes the total from the first numbered line', () => {
  const stats = new SeqStats();
  stats.add({ seq: 2, total: 4, sentAtMs: 0, text: '' }, 1);
  assert.equal(stats.result().lostSeqs, [1, 3, 4]);
});

counts('latency percentiles are nearest-rank over the first arrival of each seq', () => {
  const stats = new SeqStats();
  for (let seq = 1; seq <= 100; seq++) stats.add({ seq, total: 100, sentAtMs: 5000, text: '' }, 5000 + seq / 10);
  stats.add({ seq: 1, total: 100, sentAtMs: 5000, text: '' }, 9999);
  assert.equal(stats.result().latency, { p50: 5, p99: 9.9, min: 0.1, max: 10 });
});

counts('a t= damaged on the way (proxy --corrupt) counts the line as arrived but leaves its time out of the latency', () => {
  const stats = new SeqStats();
  stats.add({ seq: 1, total: 3, sentAtMs: 1_000_000, text: '' }, 1_000_002);
  // One flipped bit in the digits of t: sent a thousand seconds "earlier", or in the future.
  stats.add({ seq: 2, total: 3, sentAtMs: 1_000, text: '' }, 1_000_004);
  stats.add({ seq: 3, total: 3, sentAtMs: 9_000_000, text: '' }, 1_000_006);
  const r = stats.result();
  assert.equal([r.received, r.lost], [3, 0]);
  assert.equal(r.latency, { p50: 2, p99: 2, min: 2, max: 2 });
});

counts('past the sample cap, latency keeps a bounded reservoir and the exact min and max', () => {
  let seed = 1;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const stats = new SeqStats({ maxSamples: 10, random });
  for (let seq = 1; seq <= 1000; seq++) stats.add({ seq, total: 1000, sentAtMs: 0, text: '' }, seq);
  const latency = stats.result().latency!;
  assert.is(latency.min, 1);
  assert.is(latency.max, 1000);
  assert.ok(latency.p50 >= 1 && latency.p50 <= 1000 && latency.p99 >= latency.p50, JSON.stringify(latency));
});

counts('refusals the room announced are counted apart from loss, never more than are missing', () => {
  const stats = new SeqStats({ expected: 10 });
  for (const seq of [1, 2, 3, 4, 5, 6]) stats.add({ seq, total: 10, sentAtMs: 0, text: '' }, 1);
  stats.refuse(3);
  stats.refuse(0);
  stats.refuse(-2);
  let r = stats.result();
  assert.equal([r.received, r.refused, r.lost, r.lossPercent, r.refusedPercent], [6, 3, 1, 10, 30]);
  assert.equal(r.lostSeqs, [7, 8, 9, 10], 'a refusal names no seq: the list holds every missing one');
  stats.refuse(5);
  r = stats.result();
  assert.equal([r.refused, r.lost], [4, 0]);
});

counts('an expected total out of range is a caller mistake', () => {
  for (const expected of [-1, 1.5, MAX_SEQ_TOTAL + 1]) {
    try {
      new SeqStats({ expected });
      assert.unreachable(`no error for ${expected}`);
    } catch (err) {
      assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
    }
  }
});

counts.run();

const upTo = suite('SeqStats.result(upTo): a run stopped early');

upTo('the seqs never sent are not lost', () => {
  const stats = new SeqStats({ expected: 100 });
  for (const seq of [1, 2, 4]) stats.add({ seq, total: 100, sentAtMs: 0, text: '' }, 1);
  const r = stats.result(5);
  assert.equal({ expected: r.expected, received: r.received, lost: r.lost, lostSeqs: r.lostSeqs, lossPercent: r.lossPercent }, { expected: 5, received: 3, lost: 2, lostSeqs: [3, 5], lossPercent: 40 });
  assert.is(stats.result().lost, 97);
});

upTo.run();
