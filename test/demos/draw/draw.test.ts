/**
 * The demo pictures from hand-made results: each keeps the contract (XML, no style, steps), and
 * draws what the data says: marks per seq and transport, a cross per lost datagram, one box per
 * read, one row per size, FIN vs silence.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../../src/client/seq-stats.js';
import type { BoundaryRun } from '../../../src/demos/boundaries.js';
import type { DemoResult } from '../../../src/demos/common.js';
import { demoHtml, demoSvg, paragraphs } from '../../../src/demos/draw/index.js';
import { readKind } from '../../../src/demos/draw/boundaries.js';
import { esc, labelPlacer, stepper, tickStep } from '../../../src/demos/draw/svg.js';
import type { LivenessRun } from '../../../src/demos/liveness.js';
import type { MessageTrace } from '../../../src/demos/trace.js';
import type { Element } from '@xmldom/xmldom';
import { all, contractProblems, groups, markSeqs, parseXml } from '../../helpers/svg.js';

const test = suite('the demo pictures');

function stats(o: Partial<SeqResult>): SeqResult {
  return { expected: 6, received: 6, lost: 0, refused: 0, duplicates: 0, outOfOrder: 0, lossPercent: 0, refusedPercent: 0, latency: { p50: 1, p99: 2, min: 0.5, max: 2 }, lostSeqs: [], lateSeqs: [], duplicateSeqs: [], ignored: 0, ...o };
}

/** A run of `demo` whose table and words the picture does not draw: only its data matters. */
function result(demo: string, data: DemoResult['data']): DemoResult {
  return { demo, title: demo, columns: ['x'], rows: [['x']], explanation: ['x.'], data };
}

function msg(seq: number, sentMs: number, proxy: MessageTrace['proxy'], heldMs: number, arrivalsMs: number[]): MessageTrace {
  return { seq, sentMs, proxy, heldMs, arrivalsMs };
}

/** Six messages: UDP loses 2, holds back 4 (overtaken by 5) and doubles 6; TCP resends 2 and 3-6 wait behind it. */
function sequence(demo = 'loss'): DemoResult {
  return {
    demo,
    title: '6 numbered messages <through> the proxy',
    columns: ['transport', 'sent'],
    rows: [['UDP', 6], ['TCP', 6]],
    explanation: ['UDP lost: 2.'],
    data: {
      count: 6,
      seed: 1,
      udp: stats({ received: 5, lost: 1, lostSeqs: [2], outOfOrder: 1, lateSeqs: [4], duplicates: 1, duplicateSeqs: [6] }),
      tcp: stats({}),
      proxy: { flag: '--loss 0.2', reorderGapMs: 15, rtoMs: 200 },
      trace: {
        udp: [msg(1, 0, 'passed', 0, [0.2]), msg(2, 2, 'lost', 0, []), msg(3, 4, 'passed', 0, [4.2]), msg(4, 6, 'held', 15, [21.1]), msg(5, 8, 'passed', 0, [8.1]), msg(6, 10, 'duplicated', 0, [10.1, 10.2])],
        tcp: [msg(1, 0, 'passed', 0, [0.1]), msg(2, 2, 'retransmitted', 200, [202.3]), msg(3, 4, 'blocked', 198, [202.4]), msg(4, 6, 'blocked', 196, [202.4]), msg(5, 8, 'blocked', 194, [202.4]), msg(6, 10, 'blocked', 192, [202.5])],
      },
    },
  };
}

test('a sequence picture keeps the contract and marks each seq as the data does, per transport', () => {
  const svg = demoSvg(sequence());
  assert.equal(contractProblems(svg), []);
  const doc = parseXml(svg);
  assert.equal(markSeqs(doc, 'lost', 'udp'), [2]);
  assert.equal(markSeqs(doc, 'late', 'udp'), [4]);
  assert.equal(markSeqs(doc, 'duplicate', 'udp'), [6]);
  assert.equal(markSeqs(doc, 'delivered', 'udp'), [1, 3, 5, 6]);
  assert.equal(markSeqs(doc, 'delivered', 'tcp'), [1, 2, 3, 4, 5, 6]);
  assert.equal(markSeqs(doc, 'retransmit', 'tcp'), [2]);
  assert.equal(markSeqs(doc, 'blocked', 'tcp'), [3, 4, 5, 6]);
  assert.equal(markSeqs(doc, 'lost', 'tcp'), []);
  // The lost datagram ends in a cross, with its number beside it.
  const lost = groups(doc, 'mark', 'lost')[0]!;
  assert.is(all(lost, 'path').filter((p) => p.getAttribute('class') === 'cross').length, 1);
  assert.ok(all(lost, 'text').some((t) => t.textContent === '#2'));
  // The duplicate arrives twice: its own copy line besides the first arrival.
  assert.is(all(groups(doc, 'mark', 'duplicate')[0]!, 'line').length, 1);
  // Title and text are escaped, the run's numbers are in the picture.
  assert.match(svg, /6 numbered messages &lt;through&gt; the proxy/);
  assert.match(svg, />#2 \+200 ms</);
  assert.match(svg, /#4 late \(\+15 ms\)/);
  assert.match(svg, /5 at 202 ms/);
});

test('a late datagram is drawn overtaken: its line ends below the line of the one sent after it', () => {
  const doc = parseXml(demoSvg(sequence('reorder')));
  const arrivalY = (seq: number) => {
    const mark = groups(doc, 'mark').find((g) => g.getAttribute('data-transport') === 'udp' && g.getAttribute('data-seq') === String(seq) && !g.getAttribute('class')!.includes('duplicate'))!;
    const arrive = all(mark, 'g').find((g) => g.getAttribute('class')!.includes('arrive'))!;
    return Number(all(arrive, 'line')[0]!.getAttribute('y2'));
  };
  const sendY = (seq: number) => Number(all(groups(doc, 'mark').find((g) => g.getAttribute('data-transport') === 'udp' && g.getAttribute('data-seq') === String(seq))!, 'line')[0]!.getAttribute('y1'));
  assert.ok(sendY(4) < sendY(5), 'sent before 5');
  assert.ok(arrivalY(4) > arrivalY(5), 'arrives after 5');
});

test('steps follow time: each send comes before its arrival, and the legend has no step', () => {
  const doc = parseXml(demoSvg(sequence()));
  for (const mark of groups(doc, 'mark', 'delivered')) {
    const [send, arrive] = all(mark, 'g').map((g) => Number(g.getAttribute('data-step')));
    assert.ok(send! <= arrive!, `seq ${mark.getAttribute('data-seq')}`);
  }
  assert.is(groups(doc, 'legend').length, 1);
});

test('played step by step, a label comes with what it tells: "#6 twice" with the second copy, "5 at 202 ms" with the last of the five', () => {
  const doc = parseXml(demoSvg(sequence()));
  const stepOf = (pattern: RegExp) => {
    const label = all(doc, 'text').find((t) => pattern.test(t.textContent ?? ''));
    assert.ok(label, String(pattern));
    let node = label!.parentNode as Element | null;
    while (node && !(node.nodeName === 'g' && node.getAttribute('data-step') !== null)) node = node.parentNode as Element | null;
    assert.ok(node, `${pattern} is in no step: a page that plays the steps shows it from the first`);
    return Number(node!.getAttribute('data-step'));
  };
  const arrivals = (kind: string, transport: string, seq: number) =>
    groups(doc, 'mark', kind)
      .filter((g) => g.getAttribute('data-transport') === transport && g.getAttribute('data-seq') === String(seq))
      .flatMap((g) => all(g, 'g').filter((e) => (e.getAttribute('class') ?? '').split(/\s+/).includes('arrive')))
      .map((g) => Number(g.getAttribute('data-step')));
  assert.is(stepOf(/^#6 twice$/), Math.max(...arrivals('duplicate', 'udp', 6)));
  assert.is(stepOf(/^5 at 202 ms$/), Math.max(...[2, 3, 4, 5, 6].flatMap((seq) => arrivals('delivered', 'tcp', seq))));
});

function boundaries(): DemoResult {
  const run = (path: string, reads: number[], messages: number[]): BoundaryRun => {
    const writes = [0, 10, 20].map((start, i) => ({ start, end: start + 10, atMs: i * 0.1 }));
    let at = 0;
    const readRanges = reads.map((n, i) => {
      const r = { start: at, end: at + n, atMs: 1 + i, messages: messages[i]! };
      at += n;
      return r;
    });
    return { path, sends: 3, reads, naiveMessages: reads.length, framedMessages: 3, writes, readRanges };
  };
  return result('boundaries', { count: 3, runs: [run('UDP, loopback', [10, 10, 10], [1, 1, 1]), run('TCP, loopback', [30], [3]), run('TCP, writes cut', [7, 7, 7, 7, 2], [0, 1, 0, 1, 1])] });
}

test('the boundaries picture has one box per read with its byte range, merged and cut reads told apart', () => {
  const svg = demoSvg(boundaries());
  assert.equal(contractProblems(svg), []);
  const doc = parseXml(svg);
  const reads = (run: number) => groups(doc, 'event', 'read').filter((g) => g.getAttribute('data-run') === String(run));
  assert.equal(reads(0).map((g) => g.getAttribute('data-bytes')), ['10', '10', '10']);
  assert.equal(reads(1).map((g) => [g.getAttribute('data-start'), g.getAttribute('data-end')]), [['0', '30']]);
  assert.equal(reads(2).map((g) => g.getAttribute('data-bytes')), ['7', '7', '7', '7', '2']);
  assert.ok(reads(0).every((g) => g.getAttribute('class')!.includes('one')));
  assert.ok(reads(1)[0]!.getAttribute('class')!.includes('merged'));
  assert.ok(reads(2).every((g) => g.getAttribute('class')!.includes('split')));
  assert.is(groups(doc, 'event', 'write').length, 9);
  assert.match(svg, /one read = one message counts 1 \(WRONG\)/);
});

test('readKind: a read is one write, several merged, or a piece', () => {
  const writes = [{ start: 0, end: 10 }, { start: 10, end: 20 }, { start: 20, end: 30 }];
  assert.is(readKind({ start: 10, end: 20 }, writes), 'one');
  assert.is(readKind({ start: 0, end: 30 }, writes), 'merged');
  assert.is(readKind({ start: 0, end: 7 }, writes), 'split');
  assert.is(readKind({ start: 7, end: 14 }, writes), 'split');
  assert.is(readKind({ start: 5, end: 30 }, writes), 'merged');
});

test('the size picture has a row per size, the failed one crossed, and the bursts with the buffer the kernel gave', () => {
  const svg = demoSvg(
    result('size', {
      sizes: [{ bytes: 1200, note: 'small', outcome: 'delivered' }, { bytes: 65508, note: 'one byte more', outcome: 'error EMSGSIZE' }],
      burst: { count: 100, size: 1000, small: { asked: 4096, actual: 8192, received: 7 }, large: { asked: 2097152, actual: 4194304, received: 100 } },
      os: { platform: 'linux', loopbackMtu: 65536 },
    }),
  );
  assert.equal(contractProblems(svg), []);
  const doc = parseXml(svg);
  assert.equal(groups(doc, 'event', 'size').map((g) => [g.getAttribute('data-bytes'), g.getAttribute('data-outcome')]), [['1200', 'delivered'], ['65508', 'error EMSGSIZE']]);
  assert.is(all(groups(doc, 'event', 'failed')[0]!, 'path').length, 1, 'a cross on the failed size');
  assert.equal(groups(doc, 'event', 'burst').map((g) => g.getAttribute('data-received')), ['7', '100']);
  assert.match(svg, /asked for 4096 B, the kernel gave 8192 B: 7 of 100 arrived/);
  assert.match(svg, /loopback MTU 65536 B, read from linux/);
});

test('the liveness picture draws FIN for the ended TCP peer and a timed silence for the others', () => {
  const run = (c: string, signal: 'FIN' | 'none', reason: LivenessRun['reason'], goneAtMs: number, noticedAtMs: number): LivenessRun => ({ case: c, reason, signal, heartbeatsMs: [0, 200, 400], goneAtMs, noticedAtMs, noticedAfterMs: noticedAtMs - (signal === 'FIN' ? goneAtMs : 400) });
  const svg = demoSvg(result('liveness', { timeoutMs: 1000, heartbeatMs: 200, runs: [run('TCP peer, process ended (FIN)', 'FIN', 'disconnected', 600, 602), run('TCP peer, network gone (no FIN)', 'none', 'timeout', 600, 1420), run('UDP peer, process ended', 'none', 'timeout', 600, 1415)] }));
  assert.equal(contractProblems(svg), []);
  const doc = parseXml(svg);
  assert.is(groups(doc, 'event', 'heartbeat').length, 9);
  assert.equal(groups(doc, 'event', 'fin').map((g) => g.getAttribute('data-case')), ['0']);
  assert.equal(groups(doc, 'event', 'silence').map((g) => g.getAttribute('data-case')), ['1', '2']);
  assert.equal(groups(doc, 'event', 'noticed').map((g) => [g.getAttribute('data-reason'), g.getAttribute('data-after-ms')]), [['disconnected', '2'], ['timeout', '1020'], ['timeout', '1015']]);
  assert.match(svg, /timeout 1000 ms/);
});

test('a demo without a picture of its own is drawn as its table', () => {
  const svg = demoSvg({ demo: 'other', title: 't', columns: ['a', 'b'], rows: [['x', 1], ['y', 2]], explanation: ['e.'], data: {} });
  assert.equal(contractProblems(svg), []);
  assert.is(groups(parseXml(svg), 'event', 'row').length, 2);
});

test('the HTML page holds the picture inline, the table and the explanation, and nothing to fetch', () => {
  const html = demoHtml(sequence());
  assert.match(html, /^<!doctype html>/);
  assert.ok(html.includes(demoSvg(sequence())));
  assert.match(html, /<th scope="row">UDP<\/th><td>6<\/td>/);
  assert.match(html, /<p>UDP lost: 2\.<\/p>/);
  assert.not.match(html, /<script|<link|src=|href=|url\(http|@import/i);
});

test('helpers: escaping, steps shared by equal times, ticks, labels that would overlap left out', () => {
  assert.is(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const step = stepper([5, 1, 1.01, 3, 5]);
  assert.equal([1, 1.01, 3, 5].map(step), [0, 0, 1, 2]);
  assert.equal([10, 70, 285, 1600].map(tickStep), [2, 10, 50, 250]);
  const place = labelPlacer(20, 50, 2);
  assert.equal([0, 5, 10, 30].map(place), [0, 50, null, 0]);
  assert.equal(paragraphs(['One line', 'goes on.', 'Another.', 'tail']), ['One line goes on.', 'Another.', 'tail']);
});

test.run();
