/**
 * The boundaries picture: for each path, the sender's writes and the receiver's reads as byte
 * ranges of one stream, one above the other. UDP's reads are its writes; TCP's reads merge several
 * writes (sticky packets) or cut one into pieces, whatever the writes were.
 */
import type { BoundaryRun } from '../boundaries.js';
import type { DemoResult } from '../common.js';
import { COLOUR, el, frame, g, legend, line, text, TYPE, titleLine } from './svg.js';
import { tenth } from '../trace.js';

const WIDTH = 1600;
const LEFT = 300;
const RIGHT = 1560;
const ROW = 196;
const TOP = 120;
const BAR = 46;

const FILL = { write: '#e3eefa', one: '#eceff1', merged: '#ffe0b2', split: '#e1bee7' } as const;

/** How a read relates to the writes: exactly one, several merged, or a piece of one. */
export function readKind(read: { start: number; end: number }, writes: Array<{ start: number; end: number }>): 'one' | 'merged' | 'split' {
  const whole = writes.filter((w) => w.start >= read.start && w.end <= read.end).length;
  if (whole === 1 && writes.some((w) => w.start === read.start && w.end === read.end)) return 'one';
  return whole >= 2 ? 'merged' : 'split';
}

/** Draws the boundaries demo. */
export function boundariesSvg(result: DemoResult): string {
  const runs = result.data['runs'] as BoundaryRun[];
  const height = TOP + runs.length * ROW + 90;
  const parts: string[] = [];
  let step = 0;
  runs.forEach((run, r) => {
    const top = TOP + r * ROW;
    const transport = run.path.startsWith('UDP') ? 'udp' : 'tcp';
    const total = Math.max(1, run.writes.at(-1)?.end ?? 1);
    const x = (byte: number) => LEFT + (byte / total) * (RIGHT - LEFT);
    const ok = (n: number) => (n === run.sends ? 'ok' : 'WRONG');
    const rows: string[] = [];
    rows.push(text(40, top + 30, run.path, { size: TYPE.heading, weight: 'bold', fill: COLOUR[transport], cls: `heading ${transport}` }));
    rows.push(
      text(RIGHT, top + 30, `${run.writes.length} writes, ${run.readRanges.length} reads: one read = one message counts ${run.naiveMessages} (${ok(run.naiveMessages)}); line framing ${run.framedMessages} (${ok(run.framedMessages)})`, {
        anchor: 'end',
        size: TYPE.small,
        fill: run.naiveMessages === run.sends ? COLOUR.ink : COLOUR.lost,
        cls: 'verdict',
      }),
    );
    rows.push(text(40, top + 50 + BAR / 2 + 8, 'sender writes', { size: TYPE.body, cls: 'lane' }));
    rows.push(text(40, top + 120 + BAR / 2 + 8, 'receiver reads', { size: TYPE.body, cls: 'lane' }));
    // Where each write ends, through both strips: a read that crosses one merged it, one that stops short cut it.
    for (const w of run.writes) rows.push(line(x(w.end), top + 44, x(w.end), top + 120 + BAR + 6, { stroke: COLOUR.faint, width: 1.5, dash: '5 5', cls: 'boundary' }));
    const events: Array<{ at: number; attrs: Record<string, string | number>; body: string }> = [];
    run.writes.forEach((w, i) => {
      const body = el('rect', { x: x(w.start), y: top + 50, width: x(w.end) - x(w.start), height: BAR, fill: FILL.write, stroke: COLOUR[transport], 'stroke-width': 2, class: 'box write' }) + text((x(w.start) + x(w.end)) / 2, top + 50 + BAR / 2 + 8, `${i + 1}`, { anchor: 'middle', size: TYPE.small });
      events.push({ at: w.atMs, attrs: { class: 'event write', 'data-transport': transport, 'data-run': r, 'data-start': w.start, 'data-end': w.end }, body });
    });
    run.readRanges.forEach((read, i) => {
      const kind = readKind(read, run.writes);
      const width = x(read.end) - x(read.start);
      const bytes = read.end - read.start;
      const label = width > 150 ? `${bytes} B, ${read.messages} line${read.messages === 1 ? '' : 's'}` : width > 50 ? `${bytes} B` : `${bytes}`;
      const body =
        el('rect', { x: x(read.start), y: top + 120, width, height: BAR, fill: FILL[kind], stroke: COLOUR.ink, 'stroke-width': 2, class: `box read ${kind}` }) +
        text(x(read.start) + width / 2, top + 120 + BAR / 2 + 8, label, { anchor: 'middle', size: TYPE.small, weight: kind === 'one' ? undefined : 'bold' });
      events.push({ at: read.atMs, attrs: { class: `event read ${kind}`, 'data-transport': transport, 'data-run': r, 'data-read': i, 'data-start': read.start, 'data-end': read.end, 'data-bytes': bytes, 'data-at-ms': tenth(read.atMs) }, body });
    });
    // Each path is its own run: its events play in time order, after the path above.
    events.sort((a, b) => a.at - b.at);
    for (const e of events) rows.push(g({ 'data-step': step++, ...e.attrs }, e.body));
    parts.push(g({ class: `run ${transport}`, 'data-run': r }, rows.join('')));
  });
  const swatch = (fill: string) => el('rect', { x: 0, y: -14, width: 36, height: 28, fill, stroke: COLOUR.ink, 'stroke-width': 2 });
  const title = `${result.demo}: ${result.title}`;
  const desc = runs.map((run) => `${run.path}: reads of ${run.reads.join(', ')} bytes`).join('. ');
  const body = [
    titleLine(title, WIDTH),
    text(40, 88, 'the same bytes, left to right: the boxes on top are write() calls, those below are what each read() returned', { size: TYPE.small, fill: COLOUR.faint, cls: 'subtitle' }),
    ...parts,
    legend(40, height - 40, [
      { swatch: swatch(FILL.write), label: 'one write (a message)' },
      { swatch: swatch(FILL.one), label: 'a read of exactly one message' },
      { swatch: swatch(FILL.merged), label: 'a read that merged several' },
      { swatch: swatch(FILL.split), label: 'a read of a piece' },
    ]),
  ].join('');
  return frame({ demo: result.demo, width: WIDTH, height, title, desc }, body);
}
