/**
 * The loss, reorder and duplicate pictures: numbered messages from sender through the proxy to
 * the receiver, UDP and TCP side by side on one time scale (time runs down). A lost datagram ends
 * in a cross at the proxy; a late one is drawn slanting past those that overtook it; a duplicate
 * arrives twice. On TCP a "lost" segment waits its retransmission timeout at the proxy, and every
 * message behind it waits too (head-of-line blocking) and then arrives at once.
 */
import type { SeqResult } from '../../client/seq-stats.js';
import type { DemoResult } from '../common.js';
import { tenth, type MessageTrace } from '../trace.js';
import { COLOUR, cross, defs, el, frame, g, labelPlacer, legend, line, stepper, text, tickStep, TYPE, titleLine } from './svg.js';

/** What the sequence demos put in `data`. */
export interface SequenceData {
  count: number;
  seed: number;
  udp: SeqResult;
  tcp: SeqResult;
  proxy: { flag: string; reorderGapMs: number; rtoMs: number };
  trace: { udp: MessageTrace[]; tcp: MessageTrace[] };
}

const WIDTH = 1600;
const HEIGHT = 1010;
const TOP = 215;
const PLOT = 660;
const LANES = { sender: 160, proxy: 400, receiver: 620 };

/** Messages whose first arrivals follow each other within half a millisecond, in arrival order. */
function clusters(trace: MessageTrace[]): MessageTrace[][] {
  const arrived = trace.filter((m) => m.arrivalsMs.length > 0).sort((a, b) => a.arrivalsMs[0]! - b.arrivalsMs[0]!);
  const out: MessageTrace[][] = [];
  for (const m of arrived) {
    const current = out.at(-1);
    const previous = current?.at(-1);
    if (current && previous && m.arrivalsMs[0]! - previous.arrivalsMs[0]! <= 0.5) current.push(m);
    else out.push([m]);
  }
  return out;
}

function last(trace: MessageTrace[]): number {
  return Math.max(0, ...trace.flatMap((m) => [m.sentMs + m.heldMs, ...m.arrivalsMs]));
}

/** Draws one of the sequence demos. */
export function sequenceSvg(result: DemoResult): string {
  const d = result.data as unknown as SequenceData;
  const end = Math.max(1, last(d.trace.udp), last(d.trace.tcp)) * 1.04;
  const y = (ms: number) => TOP + (ms / end) * PLOT;
  const step = stepper([...d.trace.udp, ...d.trace.tcp].flatMap((m) => [m.sentMs, ...m.arrivalsMs]));
  const prefix = `demo-${result.demo}`;
  const markers = defs(prefix, { udp: COLOUR.udp, tcp: COLOUR.tcp, lost: COLOUR.lost, late: COLOUR.late, duplicate: COLOUR.duplicate, retransmit: COLOUR.retransmit, blocked: COLOUR.blocked });
  const seen = new Set<string>();

  const panel = (transport: 'udp' | 'tcp', x0: number): string => {
    const trace = d.trace[transport];
    const stats = d[transport];
    const colour = COLOUR[transport];
    const X = { sender: x0 + LANES.sender, proxy: x0 + LANES.proxy, receiver: x0 + LANES.receiver };
    const lost = new Set(stats.lostSeqs);
    const late = new Set(stats.lateSeqs);
    const twice = new Set(stats.duplicateSeqs);
    const parts: string[] = [];
    const name = transport.toUpperCase();
    const arrived = `${stats.received} of ${stats.expected} arrived`;
    const summary =
      transport === 'udp'
        ? [arrived, stats.lost ? `${stats.lost} lost` : '', stats.outOfOrder ? `${stats.outOfOrder} late` : '', stats.duplicates ? `${stats.duplicates} twice` : ''].filter(Boolean).join(', ')
        : `${arrived}, in order${stats.latency ? `, slowest ${stats.latency.max < 10 ? stats.latency.max.toFixed(1) : Math.round(stats.latency.max)} ms` : ''}`;
    parts.push(text(x0 + 40, 132, name, { size: TYPE.heading, weight: 'bold', fill: colour, cls: `heading ${transport}` }));
    parts.push(text(x0 + 110, 132, summary, { size: TYPE.body, cls: 'summary' }));
    // Lanes and the time axis: no data-step, they stay while the steps play.
    const lanes: string[] = [];
    for (const [lane, x] of Object.entries(X)) {
      lanes.push(text(x, 180, lane, { anchor: 'middle', size: TYPE.body, weight: 'bold' }));
      lanes.push(line(x, 192, x, TOP + PLOT + 10, { stroke: COLOUR.lane, width: 2, cls: 'lane' }));
    }
    const tick = tickStep(end);
    for (let t = 0; t <= end; t += tick) {
      lanes.push(line(X.sender - 10, y(t), X.sender, y(t), { stroke: COLOUR.lane, width: 2, cls: 'tick' }));
      lanes.push(text(X.sender - 16, y(t) + 7, `${tenth(t)} ms`, { anchor: 'end', size: TYPE.small, fill: COLOUR.faint, cls: 'tick-label' }));
    }
    parts.push(g({ class: `lanes ${transport}` }, lanes.join('')));

    const lostLabel = labelPlacer(TYPE.small + 2, 48, 3);
    const lateLabel = labelPlacer(TYPE.small + 2, 150, 1);
    const resendLabel = labelPlacer(TYPE.small + 2, 0, 1);
    const marks: string[] = [];
    const labels: string[] = [];
    let resent = 0;
    for (const m of trace) {
      const ys = y(m.sentMs);
      const mark = (kind: string, body: string) => g({ class: `mark ${kind}`, 'data-transport': transport, 'data-seq': m.seq }, body);
      const send = g({ class: 'event send', 'data-step': step(m.sentMs) }, line(X.sender, ys, X.proxy - 4, ys, { stroke: colour, width: 1.5, arrow: `${prefix}-${transport}` }));
      if (lost.has(m.seq)) {
        seen.add('lost');
        const dx = lostLabel(ys);
        const label = dx === null ? '' : text(X.proxy + 16 + dx, ys + 7, `#${m.seq}`, { size: TYPE.small, fill: COLOUR.lost, weight: 'bold', halo: true });
        marks.push(mark('lost', send + g({ class: 'event drop', 'data-step': step(m.sentMs) }, cross(X.proxy, ys, 9, COLOUR.lost) + label)));
        continue;
      }
      const first = m.arrivalsMs[0];
      if (first === undefined) continue;
      const isLate = late.has(m.seq);
      const isTwice = twice.has(m.seq);
      const leaves = m.proxy === 'retransmitted' ? m.sentMs + m.heldMs : m.sentMs;
      const kind = isLate ? 'late' : 'delivered';
      const stroke = isLate ? COLOUR.late : isTwice ? COLOUR.duplicate : m.proxy === 'retransmitted' ? COLOUR.retransmit : m.proxy === 'blocked' ? COLOUR.blocked : colour;
      const arrow = isLate ? 'late' : isTwice ? 'duplicate' : m.proxy === 'retransmitted' ? 'retransmit' : m.proxy === 'blocked' ? 'blocked' : transport;
      const width = stroke === colour ? 1.5 : m.proxy === 'blocked' ? 2 : 3;
      let arrive = line(X.proxy, y(leaves), X.receiver - 4, y(first), { stroke, width, dash: isLate ? '10 5' : undefined, arrow: `${prefix}-${arrow}` });
      if (isLate) {
        seen.add('late');
        if (lateLabel(y(first)) !== null) arrive += text(X.receiver + 12, y(first) + 7, `#${m.seq} late (+${tenth(m.heldMs)} ms)`, { size: TYPE.small, fill: COLOUR.late, weight: 'bold', halo: true });
      }
      marks.push(mark(kind, send + g({ class: 'event arrive', 'data-step': step(first) }, arrive)));
      if (isTwice) {
        seen.add('duplicate');
        const copies = m.arrivalsMs.slice(1).map((a, i) => {
          const off = 7 * (i + 1);
          return g({ class: 'event arrive copy', 'data-step': step(a) }, line(X.proxy, y(leaves) + off, X.receiver - 4, y(a) + off, { stroke: COLOUR.duplicate, width: 3, arrow: `${prefix}-duplicate` }));
        });
        // The label goes with the second copy's step, so a page playing the steps does not show it early.
        if (lateLabel(y(first)) !== null) copies.push(g({ class: 'event label', 'data-step': step(m.arrivalsMs[1] ?? first) }, text(X.receiver + 12, y(first) + 7, `#${m.seq} twice`, { size: TYPE.small, fill: COLOUR.duplicate, weight: 'bold' })));
        marks.push(mark('duplicate', copies.join('')));
      }
      if (m.proxy === 'retransmitted') {
        seen.add('retransmit');
        const x = X.proxy - 8 - (resent++ % 4) * 7;
        const label = resendLabel(ys) !== null ? text(X.proxy - 40, ys + 7, `#${m.seq} +${tenth(m.heldMs)} ms`, { anchor: 'end', size: TYPE.small, fill: COLOUR.retransmit, weight: 'bold', halo: true }) : '';
        marks.push(mark('retransmit', g({ class: 'event wait', 'data-step': step(m.sentMs) }, line(x, ys, x, y(leaves), { stroke: COLOUR.retransmit, width: 5, cls: 'wait' }) + label)));
      } else if (m.proxy === 'blocked') {
        seen.add('blocked');
        marks.push(mark('blocked', g({ class: 'event wait', 'data-step': step(m.sentMs) }, line(X.proxy + 8, ys, X.proxy + 8, y(m.sentMs + m.heldMs), { stroke: COLOUR.blocked, width: 5, cls: 'wait' }))));
      }
    }
    // Several messages arriving together once a head-of-line block clears: how many, and when.
    const burstLabel = labelPlacer(TYPE.small + 2, 0, 1);
    for (const cluster of clusters(trace)) {
      if (cluster.length < 3 || !cluster.some((m) => m.proxy === 'blocked')) continue;
      const at = cluster[0]!.arrivalsMs[0]!;
      if (burstLabel(y(at)) === null) continue;
      // Shown with the cluster's last arrival, not before the arrows it counts.
      const lastAt = Math.max(...cluster.map((m) => m.arrivalsMs[0]!));
      labels.push(g({ class: 'event label', 'data-step': step(lastAt) }, text(X.receiver + 12, y(at) + 7, `${cluster.length} at ${Math.round(at)} ms`, { size: TYPE.small, fill: COLOUR.ink, weight: 'bold', cls: 'label burst' })));
    }
    parts.push(marks.join(''), labels.join(''));
    return g({ class: `panel ${transport}`, 'data-transport': transport }, parts.join(''));
  };

  const udp = panel('udp', 0);
  const tcp = panel('tcp', WIDTH / 2);
  const swatch = {
    delivered: line(0, 0, 36, 0, { stroke: COLOUR.delivered, width: 2 }),
    lost: line(0, 0, 18, 0, { stroke: COLOUR.delivered, width: 2 }) + cross(26, 0, 8, COLOUR.lost),
    late: line(0, -8, 36, 8, { stroke: COLOUR.late, width: 3, dash: '10 5' }),
    duplicate: line(0, -4, 36, -4, { stroke: COLOUR.duplicate, width: 3 }) + line(0, 4, 36, 4, { stroke: COLOUR.duplicate, width: 3 }),
    retransmit: line(18, -12, 18, 12, { stroke: COLOUR.retransmit, width: 6 }),
    blocked: line(18, -12, 18, 12, { stroke: COLOUR.blocked, width: 6 }),
  };
  const words: Record<string, string> = {
    delivered: 'delivered',
    lost: 'lost at the proxy',
    late: 'held back, overtaken (late)',
    duplicate: 'arrived twice',
    retransmit: `TCP retransmission wait (${d.proxy.rtoMs} ms)`,
    blocked: 'waiting behind it (head-of-line)',
  };
  const items = ['delivered', 'lost', 'late', 'duplicate', 'retransmit', 'blocked'].filter((k) => k === 'delivered' || seen.has(k)).map((k) => ({ swatch: swatch[k as keyof typeof swatch], label: words[k]! }));
  const title = `${result.demo}: ${result.title}`;
  const desc = `Sequence diagram, time running down. UDP: ${d.udp.received} of ${d.count} arrived; lost ${d.udp.lostSeqs.join(' ') || 'none'}; late ${d.udp.lateSeqs.join(' ') || 'none'}; twice ${d.udp.duplicateSeqs.join(' ') || 'none'}. TCP: ${d.tcp.received} of ${d.count} arrived in order.`;
  const body = [
    markers,
    titleLine(title, WIDTH),
    text(40, 88, 'time runs down, to the same scale on both sides; each line is one numbered message', { size: TYPE.small, fill: COLOUR.faint, cls: 'subtitle' }),
    line(WIDTH / 2, 110, WIDTH / 2, TOP + PLOT + 10, { stroke: COLOUR.lane, width: 1, dash: '4 6', cls: 'divider' }),
    udp,
    tcp,
    legend(40, HEIGHT - 50, items),
  ].join('');
  return frame({ demo: result.demo, width: WIDTH, height: HEIGHT, title, desc }, body);
}

