/**
 * The size picture: each datagram size tried, on a log scale, against the limits (one Ethernet
 * frame's payload, IPv4's largest UDP payload), with what happened to it; then the burst into a
 * small receive buffer and into a large one, as the share that arrived.
 */
import type { DemoResult } from '../common.js';
import type { SizeRun } from '../size.js';
import { COLOUR, cross, el, frame, g, legend, line, text, TYPE, titleLine } from './svg.js';

interface Burst {
  asked: number;
  actual: number;
  received: number;
}

const WIDTH = 1600;
const LEFT = 330;
const RIGHT = 1300;
const LOW = 400;
const HIGH = 80_000;

/** Draws the size demo. */
export function sizeSvg(result: DemoResult): string {
  const sizes = result.data['sizes'] as SizeRun[];
  const burst = result.data['burst'] as { count: number; size: number; small: Burst; large: Burst };
  const os = (result.data['os'] ?? { platform: 'unknown', loopbackMtu: null }) as { platform: string; loopbackMtu: number | null };
  const x = (bytes: number) => LEFT + ((Math.log10(Math.max(bytes, LOW)) - Math.log10(LOW)) / (Math.log10(HIGH) - Math.log10(LOW))) * (RIGHT - LEFT);
  const parts: string[] = [];
  let step = 0;
  const top = 150;
  const rowH = 74;
  parts.push(text(40, 124, 'one datagram of each size, sender to receiver on loopback (log scale)', { size: TYPE.heading, weight: 'bold' }));
  const axisBottom = top + sizes.length * rowH;
  const limits: Array<[number, string]> = [
    [1472, '1472: one Ethernet frame'],
    [65507, '65507: IPv4 UDP maximum'],
  ];
  for (const [bytes, label] of limits) {
    parts.push(g({ class: 'limit' }, line(x(bytes), top - 6, x(bytes), axisBottom, { stroke: COLOUR.faint, width: 2, dash: '8 6' }) + text(x(bytes) + 8, axisBottom + 26, label, { size: TYPE.small, fill: COLOUR.faint })));
  }
  sizes.forEach((s, i) => {
    const y = top + i * rowH + 24;
    const delivered = s.outcome === 'delivered';
    const colour = delivered ? COLOUR.ok : COLOUR.lost;
    const body =
      text(LEFT - 20, y + 8, `${s.bytes} B`, { anchor: 'end', size: TYPE.body, weight: 'bold' }) +
      el('rect', { x: LEFT, y: y - 14, width: x(s.bytes) - LEFT, height: 28, fill: delivered ? '#c8e6c9' : '#ffcdd2', stroke: colour, 'stroke-width': 2, class: 'box size' }) +
      (delivered ? '' : cross(x(s.bytes), y, 12, COLOUR.lost)) +
      text(x(s.bytes) + 20, y + 8, delivered ? 'delivered' : `${s.outcome.replace('error ', 'send failed: ')}`, { size: TYPE.body, fill: colour, weight: 'bold', cls: `outcome ${delivered ? 'delivered' : 'failed'}` }) +
      text(LEFT, y + 40, s.note, { size: TYPE.small, fill: COLOUR.faint });
    parts.push(g({ class: `event size ${delivered ? 'delivered' : 'failed'}`, 'data-step': step++, 'data-bytes': s.bytes, 'data-outcome': s.outcome }, body));
  });
  const bTop = axisBottom + 90;
  parts.push(text(40, bTop, `a burst of ${burst.count} x ${burst.size} B sent at once, into a small and a large receive buffer`, { size: TYPE.heading, weight: 'bold' }));
  const bars: Array<[string, Burst]> = [
    ['small', burst.small],
    ['large', burst.large],
  ];
  bars.forEach(([which, b], i) => {
    const y = bTop + 50 + i * 86;
    const share = burst.count > 0 ? b.received / burst.count : 0;
    const w = RIGHT + 200 - LEFT;
    const body =
      text(LEFT - 20, y + 8, `${b.actual} B`, { anchor: 'end', size: TYPE.body, weight: 'bold' }) +
      el('rect', { x: LEFT, y: y - 16, width: w * share, height: 32, fill: COLOUR.ok, class: 'box received' }) +
      el('rect', { x: LEFT + w * share, y: y - 16, width: w * (1 - share), height: 32, fill: '#ffcdd2', stroke: COLOUR.lost, 'stroke-width': 2, 'stroke-dasharray': '6 4', class: 'box dropped' }) +
      text(LEFT, y + 46, `asked for ${b.asked} B, the kernel gave ${b.actual} B: ${b.received} of ${burst.count} arrived, ${burst.count - b.received} dropped without a word`, { size: TYPE.small, fill: b.received < burst.count ? COLOUR.lost : COLOUR.ink });
    parts.push(g({ class: `event burst ${which}`, 'data-step': step++, 'data-received': b.received, 'data-count': burst.count, 'data-buffer': b.actual }, body));
  });
  const height = bTop + 50 + 2 * 86 + 80;
  const title = `${result.demo}: ${result.title}`;
  const desc = `${sizes.map((s) => `${s.bytes} bytes: ${s.outcome}`).join('; ')}. Burst of ${burst.count}: ${burst.small.received} arrived with a ${burst.small.actual}-byte buffer, ${burst.large.received} with ${burst.large.actual} bytes.`;
  const mtu = os.loopbackMtu === null ? `loopback MTU not read on ${os.platform}` : `loopback MTU ${os.loopbackMtu} B, read from ${os.platform}`;
  const body = [
    titleLine(title, WIDTH),
    text(40, 88, `measured on this machine: ${mtu}`, { size: TYPE.small, fill: COLOUR.faint, cls: 'subtitle' }),
    ...parts,
    legend(40, height - 36, [
      { swatch: el('rect', { x: 0, y: -14, width: 36, height: 28, fill: '#c8e6c9', stroke: COLOUR.ok, 'stroke-width': 2 }), label: 'arrived' },
      { swatch: el('rect', { x: 0, y: -14, width: 30, height: 28, fill: '#ffcdd2', stroke: COLOUR.lost, 'stroke-width': 2 }) + cross(30, 0, 7, COLOUR.lost), label: 'not sent, or dropped' },
    ]),
  ].join('');
  return frame({ demo: result.demo, width: WIDTH, height, title, desc }, body);
}
