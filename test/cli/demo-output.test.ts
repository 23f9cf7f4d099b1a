/**
 * How demo results are printed to fit a terminal: the strips (one cell a seq, a character each
 * kind, so they read without colour), tables fitted to the width, and the whole output at
 * several widths, colour codes taking no columns.
 */
import { Chalk } from 'chalk';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CELLS, DEFAULT_COLUMNS, fitTable, formatDemo, seqCells, seqStrips, terminalColumns } from '../../src/cli/demo-output.js';
import type { SeqResult } from '../../src/client/seq-stats.js';
import type { DemoResult } from '../../src/demos/common.js';
import type { SequenceData } from '../../src/demos/draw/sequence.js';
import type { MessageTrace } from '../../src/demos/trace.js';

const test = suite('demo output that fits the terminal');
const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });
// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function stats(o: Partial<SeqResult>): SeqResult {
  return { expected: 25, received: 25, lost: 0, refused: 0, duplicates: 0, outOfOrder: 0, lossPercent: 0, refusedPercent: 0, latency: null, lostSeqs: [], lateSeqs: [], duplicateSeqs: [], ignored: 0, ...o };
}

function data(count = 25): SequenceData {
  const trace = (proxy: (seq: number) => MessageTrace['proxy']) => Array.from({ length: count }, (_, i) => ({ seq: i + 1, sentMs: i, proxy: proxy(i + 1), heldMs: 0, arrivalsMs: [i + 0.1] }));
  return {
    count,
    seed: 1,
    udp: stats({ expected: count, lostSeqs: [3, 20], lateSeqs: [7], duplicateSeqs: [11] }),
    tcp: stats({ expected: count }),
    proxy: { flag: '--loss 0.2', reorderGapMs: 0, rtoMs: 200 },
    trace: { udp: trace(() => 'passed'), tcp: trace((seq) => (seq === 3 ? 'retransmitted' : seq > 3 && seq < 6 ? 'blocked' : 'passed')) },
  };
}

test('a cell per seq: lost, late, twice on UDP; resent and waiting on TCP; each its own character', () => {
  const d = data();
  const udp = seqCells(d, 'udp');
  assert.is(udp.length, 25);
  assert.equal([udp[2], udp[6], udp[10], udp[19], udp[0]], ['lost', 'late', 'duplicate', 'lost', 'delivered']);
  assert.equal(seqCells(d, 'tcp').slice(0, 6), ['delivered', 'delivered', 'retransmit', 'blocked', 'blocked', 'delivered']);
  const chars = Object.values(CELLS).map((c) => c.char);
  assert.is(new Set(chars).size, chars.length);
});

test('strips: a ruler, a row per transport, a legend of what is in them; colour adds no columns', () => {
  const lines = seqStrips(data(), 80, plain);
  assert.equal(lines.slice(0, 3), ['       1        10        20', 'UDP    ..X...<...2........X.....', 'TCP    ..Rww....................']);
  const legend = lines.slice(3).map((l) => l.trim()).join(' ');
  assert.is(legend, '. delivered   X lost   < late (overtaken)   2 arrived twice   R resent after a timeout   w waited behind it');
  assert.ok(lines.slice(3).every((l) => l.startsWith('       ') && l.length <= 80));
  assert.equal(seqStrips(data(), 80, coloured).map(strip), lines);
  assert.not.equal(seqStrips(data(), 80, coloured), lines);
});

test('strips wrap in blocks of whole tens that fit the width, each under its own ruler', () => {
  const lines = seqStrips(data(45), 30, plain);
  // 30 columns: 7 for the label, 20 cells a block.
  assert.equal(lines.filter((l) => l.startsWith('UDP')).map((l) => l.length - 7), [20, 20, 5]);
  assert.equal(lines.filter((l) => /^ +\d/.test(l)).map((l) => l.trim().split(/ +/)[0]), ['1', '21', '41']);
  for (const line of lines) assert.ok(line.length <= 30, line);
});

test('fitTable: a table that fits is the plain table; a wide one wraps its widest columns to the width', () => {
  assert.is(fitTable(['a', 'bb'], [['x', '1']], 80), 'a  bb\n-  --\nx   1');
  const wide = fitTable(['path', 'reads'], [['TCP, writes merged (proxy --coalesce 50ms)', '1'], ['UDP', '10']], 24);
  const lines = wide.split('\n');
  for (const line of lines) assert.ok(line.length <= 24, line);
  assert.ok(lines.some((l) => l.startsWith('TCP, writes')), wide);
  assert.ok(lines.includes(''), 'wrapped rows are set apart');
  // Too narrow to fit at all: columns stop shrinking at the minimum rather than vanish.
  assert.ok(fitTable(['aaaaaaaa', 'bbbbbbbb', 'cccccccc'], [['1', '2', '3']], 5).split('\n')[0]!.length > 5);
});

test('formatDemo fits every width asked, colour or not; --wide prints the table as it is', () => {
  const result: DemoResult = {
    demo: 'loss',
    title: '25 numbered messages through the proxy (--loss 0.2, --seed 1)',
    columns: ['transport', 'sent', 'received', 'lost', 'late', 'duplicated', 'p50 ms', 'p99 ms'],
    rows: [['UDP', 25, 23, 2, 1, 1, '0.1', '0.2'], ['TCP', 25, 25, 0, 0, 0, '0.1', '201.0']],
    explanation: ['UDP lost: 3 20; late: 7; twice: 11.', 'TCP: the same losses cost time instead. The lost segment is sent again after a retransmission', 'timeout (about 200ms) and every byte behind it waits.'],
    data: data() as unknown as Record<string, unknown>,
  };
  for (const columns of [60, 80, 120]) {
    for (const c of [plain, coloured]) {
      const lines = formatDemo(result, { columns, wide: false, c }).map(strip);
      for (const line of lines) assert.ok(line.length <= columns, `${columns}: ${line}`);
      assert.ok(lines.some((l) => /^UDP {4}[.X<2]+$/.test(l)), `${columns}: a strip`);
    }
  }
  const wide = formatDemo(result, { columns: 40, wide: true, c: plain }).flatMap((l) => l.split('\n'));
  assert.ok(wide.some((l) => l.length > 40));
  assert.ok(wide.includes(result.explanation[1]!), 'explanation lines as written');
  assert.not.ok(wide.some((l) => l.startsWith('UDP    .')), 'no strip');
});

test('the width is the terminal\'s, or 80 when the output is not a terminal', () => {
  assert.is(terminalColumns({ isTTY: true, columns: 132 }), 132);
  assert.is(terminalColumns({ isTTY: false, columns: 132 }), DEFAULT_COLUMNS);
  assert.is(terminalColumns({}), 80);
  assert.is(terminalColumns({ isTTY: true, columns: 0 }), 80);
});

test.run();
