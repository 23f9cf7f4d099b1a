/**
 * The multicast picture: the same line from one sender to N receivers, three ways side by side.
 * The room over UDP sends N datagrams (one arrow each), the room with a group sends ONE, which the
 * network (here the kernel) copies to every listener (thin dashed lines), and TCP writes N times.
 * Below, bars of the server's sends per line and its CPU per delivery, from the run's own figures.
 */
import type { DemoResult } from '../common.js';
import type { MulticastRun } from '../multicast.js';
import { COLOUR, defs, el, frame, g, legend, line, text, TYPE, titleLine } from './svg.js';

const WIDTH = 1600;
const LEFT = 40;
const COLUMN = (WIDTH - LEFT * 2) / 3;
// Rows: sender, server, (group), receivers, then the bars.
const SENDER_Y = 170;
const SERVER_Y = 300;
const GROUP_Y = 430;
const RECEIVER_Y = 560;
const BARS_Y = 680;
const BAR_W = COLUMN - 120;
/** Receivers drawn at most; the rest are "+ N more". */
const DRAWN = 8;

const COLOURS: Record<MulticastRun['mode'], string> = { unicast: COLOUR.udp, multicast: COLOUR.ok, tcp: COLOUR.tcp };

function box(x: number, y: number, label: string, colour: string, cls: string): string {
  const w = Math.max(120, label.length * TYPE.body * 0.6 + 30);
  return g({ class: cls }, el('rect', { x: x - w / 2, y: y - 26, width: w, height: 52, rx: 10, fill: COLOUR.background, stroke: colour, 'stroke-width': 3 }) + text(x, y + 8, label, { anchor: 'middle', size: TYPE.body, weight: 'bold' }));
}

function bar(x: number, y: number, value: number, max: number, label: string, colour: string, cls: string): string {
  const w = max > 0 && Number.isFinite(value) ? Math.max(4, (value / max) * BAR_W) : 0;
  return g({ class: cls, 'data-value': Number.isFinite(value) ? value : 'n/a' }, el('rect', { x, y, width: w, height: 30, fill: colour }) + text(x, y - 10, label, { size: TYPE.small }));
}

/** Draws the multicast demo. */
export function multicastSvg(result: DemoResult): string {
  const runs = result.data['runs'] as MulticastRun[];
  const prefix = `demo-${result.demo}`;
  const maxSends = Math.max(1, ...runs.map((r) => r.sendsPerMessage));
  const maxCpu = Math.max(1, ...runs.filter((r) => Number.isFinite(r.cpuPerDeliveryUs)).map((r) => r.cpuPerDeliveryUs));
  const parts: string[] = [defs(prefix, { unicast: COLOUR.udp, multicast: COLOUR.ok, tcp: COLOUR.tcp, sender: COLOUR.ink })];
  runs.forEach((run, i) => {
    const colour = COLOURS[run.mode];
    const x0 = LEFT + i * COLUMN;
    const mid = x0 + COLUMN / 2;
    const shown = Math.min(DRAWN, run.receivers);
    const gap = (COLUMN - 60) / Math.max(1, shown);
    const rx = (k: number) => x0 + 30 + gap * (k + 0.5);
    const heading = text(x0 + 10, 120, run.label, { size: TYPE.body, weight: 'bold', fill: colour, cls: `heading ${run.mode}` });
    const nodes = box(mid, SENDER_Y, 'sender', COLOUR.ink, 'node sender') + box(mid, SERVER_Y, run.mode === 'tcp' ? 'TCP room' : 'UDP room', colour, 'node server');
    const receivers: string[] = [];
    for (let k = 0; k < shown; k++) receivers.push(el('circle', { cx: rx(k), cy: RECEIVER_Y, r: 16, fill: COLOUR.background, stroke: colour, 'stroke-width': 3, class: 'receiver' }));
    const more = run.receivers > shown ? text(x0 + COLUMN - 20, RECEIVER_Y + 52, `+ ${run.receivers - shown} more`, { anchor: 'end', size: TYPE.small, fill: COLOUR.faint }) : '';
    receivers.push(text(x0 + 20, RECEIVER_Y + 52, `${run.receivers} receivers`, { size: TYPE.small, fill: COLOUR.faint }) + more);
    // Step 0: the sender's one line reaches the room.
    const events = [g({ class: 'event line', 'data-step': 0 }, line(mid, SENDER_Y + 26, mid, SERVER_Y - 30, { stroke: COLOUR.ink, width: 3, arrow: `${prefix}-sender` }) + text(mid + 12, (SENDER_Y + SERVER_Y) / 2 + 6, '1 line', { size: TYPE.small }))];
    if (run.mode === 'multicast') {
      // Step 1: one datagram to the group; step 2: the copies the kernel (the network) makes.
      events.push(
        g({ class: 'mark send', 'data-mode': run.mode, 'data-step': 1 }, line(mid, SERVER_Y + 26, mid, GROUP_Y - 30, { stroke: colour, width: 5, arrow: `${prefix}-multicast` }) + text(mid + 12, (SERVER_Y + GROUP_Y) / 2 + 6, '1 datagram', { size: TYPE.small, weight: 'bold', fill: colour })) +
          box(mid, GROUP_Y, 'group (kernel copies)', colour, 'node group'),
      );
      const copies = Array.from({ length: shown }, (_, k) => line(mid, GROUP_Y + 26, rx(k), RECEIVER_Y - 18, { stroke: colour, width: 1.5, dash: '6 5', cls: 'copy' }));
      events.push(g({ class: 'event copies', 'data-step': 2 }, copies.join('')));
    } else {
      const sends = Array.from({ length: shown }, (_, k) => g({ class: 'mark send', 'data-mode': run.mode, 'data-receiver': k }, line(mid, SERVER_Y + 26, rx(k), RECEIVER_Y - 20, { stroke: colour, width: 2.5, arrow: `${prefix}-${run.mode}` })));
      events.push(g({ class: 'event sends', 'data-step': 1 }, sends.join('') + text(x0 + 20, GROUP_Y, `${run.receivers} ${run.mode === 'tcp' ? 'writes' : 'datagrams'}`, { size: TYPE.small, weight: 'bold', fill: colour, halo: true })));
    }
    const bars =
      bar(x0 + 30, BARS_Y, run.sendsPerMessage, maxSends, `server sends per line: ${run.sendsPerMessage}`, colour, 'bar sends') +
      bar(x0 + 30, BARS_Y + 80, run.cpuPerDeliveryUs, maxCpu, `server CPU per delivery: ${Number.isFinite(run.cpuPerDeliveryUs) ? `${run.cpuPerDeliveryUs} µs` : 'n/a'}`, colour, 'bar cpu') +
      text(x0 + 30, BARS_Y + 150, `delivered ${run.delivered} of ${run.receivers * run.messages}`, { size: TYPE.small, fill: COLOUR.faint });
    parts.push(g({ class: `case ${run.mode}`, 'data-mode': run.mode, 'data-sends-per-message': run.sendsPerMessage }, heading + nodes + events.join('') + receivers.join('') + bars));
  });
  const height = BARS_Y + 250;
  const title = `${result.demo}: ${result.title}`;
  const desc = runs.map((r) => `${r.label}: ${r.sendsPerMessage} sends per line, ${r.cpuPerDeliveryUs} µs of server CPU per delivery`).join('. ');
  const body = [
    titleLine(title, WIDTH),
    text(40, 86, `one line from one sender to the same receivers, three ways; ${runs[0]?.messages ?? 0} lines each, measured on this machine`, { size: TYPE.small, fill: COLOUR.faint, cls: 'subtitle' }),
    ...parts,
    legend(40, height - 36, [
      { swatch: line(0, 0, 36, 0, { stroke: COLOUR.udp, width: 2.5 }), label: 'a datagram the server sends' },
      { swatch: line(0, 0, 36, 0, { stroke: COLOUR.tcp, width: 2.5 }), label: 'a TCP write' },
      { swatch: line(0, 0, 36, 0, { stroke: COLOUR.ok, width: 1.5, dash: '6 5' }), label: 'a copy the network makes' },
    ]),
  ].join('');
  return frame({ demo: result.demo, width: WIDTH, height, title, desc }, body);
}
