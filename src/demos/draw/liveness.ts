/**
 * The liveness picture: three ways a peer goes, side by side, time running down from its first
 * heartbeat. A TCP peer whose process ends sends FIN and is gone at once; a UDP peer, or a TCP
 * peer whose network vanished, just goes quiet: the server sees its heartbeats stop and waits
 * out the peer timeout.
 */
import type { DemoResult } from '../common.js';
import type { LivenessRun } from '../liveness.js';
import { COLOUR, cross, defs, el, frame, g, legend, line, stepper, text, tickStep, TYPE, titleLine } from './svg.js';
import { tenth } from '../trace.js';

const WIDTH = 1600;
const TOP = 230;
const PLOT = 620;
const LEFT = 150;

/** Draws the liveness demo. */
export function livenessSvg(result: DemoResult): string {
  const runs = result.data['runs'] as LivenessRun[];
  const timeoutMs = Number(result.data['timeoutMs'] ?? 0);
  const end = Math.max(1, ...runs.map((r) => (Number.isNaN(r.noticedAtMs) ? r.goneAtMs + timeoutMs * 2 : r.noticedAtMs))) * 1.06;
  const y = (ms: number) => TOP + (ms / end) * PLOT;
  const step = stepper(runs.flatMap((r) => [...r.heartbeatsMs, r.goneAtMs, Number.isNaN(r.noticedAtMs) ? r.goneAtMs : r.noticedAtMs]));
  const prefix = `demo-${result.demo}`;
  const column = (WIDTH - LEFT) / Math.max(1, runs.length);
  const parts: string[] = [defs(prefix, { udp: COLOUR.udp, tcp: COLOUR.tcp, fin: COLOUR.lost })];
  const tick = tickStep(end);
  const axis: string[] = [];
  for (let t = 0; t <= end; t += tick) {
    axis.push(line(LEFT - 10, y(t), LEFT, y(t), { stroke: COLOUR.lane, width: 2 }));
    axis.push(text(LEFT - 16, y(t) + 7, `${tenth(t)} ms`, { anchor: 'end', size: TYPE.small, fill: COLOUR.faint }));
  }
  parts.push(g({ class: 'axis' }, axis.join('')));
  runs.forEach((run, i) => {
    const transport = run.case.startsWith('UDP') ? 'udp' : 'tcp';
    const colour = COLOUR[transport];
    const peer = LEFT + i * column + 90;
    const server = LEFT + i * column + column - 140;
    const lanes =
      text(LEFT + i * column + 20, 136, run.case.replace(/ \(.*\)$/, ''), { size: TYPE.body, weight: 'bold', fill: colour, cls: `heading ${transport}` }) +
      text(LEFT + i * column + 20, 166, run.signal === 'FIN' ? 'its kernel sends FIN' : 'nothing is sent', { size: TYPE.small, fill: COLOUR.faint }) +
      text(peer, 206, 'peer', { anchor: 'middle', weight: 'bold' }) +
      text(server, 206, 'server', { anchor: 'middle', weight: 'bold' }) +
      line(peer, 216, peer, TOP + PLOT, { stroke: COLOUR.lane, width: 2, cls: 'lane' }) +
      line(server, 216, server, TOP + PLOT, { stroke: COLOUR.lane, width: 2, cls: 'lane' });
    const events: string[] = [];
    for (const at of run.heartbeatsMs) {
      events.push(g({ class: 'event heartbeat', 'data-step': step(at), 'data-case': i }, line(peer, y(at), server - 4, y(at) + 6, { stroke: colour, width: 2.5, arrow: `${prefix}-${transport}` }) + text((peer + server) / 2, y(at) - 6, '/ping', { anchor: 'middle', size: TYPE.small, fill: colour })));
    }
    const gone = run.signal === 'FIN' ? 'process ended' : transport === 'udp' ? 'process ended' : 'network gone';
    events.push(g({ class: 'event gone', 'data-step': step(run.goneAtMs), 'data-case': i }, cross(peer, y(run.goneAtMs), 10, COLOUR.ink) + text(peer - 16, y(run.goneAtMs) + 34, gone, { size: TYPE.small, weight: 'bold' })));
    const noticed = !Number.isNaN(run.noticedAtMs);
    if (run.signal === 'FIN') {
      events.push(g({ class: 'event fin', 'data-step': step(run.goneAtMs), 'data-case': i }, line(peer, y(run.goneAtMs), server - 4, y(noticed ? run.noticedAtMs : run.goneAtMs) + 6, { stroke: COLOUR.lost, width: 4, arrow: `${prefix}-fin` }) + text((peer + server) / 2, y(run.goneAtMs) - 8, 'FIN', { anchor: 'middle', size: TYPE.body, weight: 'bold', fill: COLOUR.lost })));
    } else {
      // The silence the server waits out: from the last heartbeat it heard to the timeout.
      const lastBeat = run.heartbeatsMs.at(-1) ?? 0;
      const until = noticed ? run.noticedAtMs : end;
      events.push(
        g(
          { class: 'event silence', 'data-step': step(run.goneAtMs), 'data-case': i },
          line(server + 10, y(lastBeat), server + 10, y(until), { stroke: COLOUR.blocked, width: 8, cls: 'wait' }) +
            text(server - 14, (y(lastBeat) + y(until)) / 2, 'silence', { anchor: 'end', size: TYPE.small, weight: 'bold' }) +
            text(server - 14, (y(lastBeat) + y(until)) / 2 + 26, `timeout ${timeoutMs} ms`, { anchor: 'end', size: TYPE.small }),
        ),
      );
    }
    if (noticed) {
      // After a FIN the server notices at once: its labels go below the peer's `process ended`, not over it.
      const below = run.signal === 'FIN' ? 70 : 36;
      events.push(
        g(
          { class: 'event noticed', 'data-step': step(run.noticedAtMs), 'data-case': i, 'data-reason': run.reason, 'data-after-ms': run.noticedAfterMs },
          el('circle', { cx: server, cy: y(run.noticedAtMs), r: 11, fill: COLOUR.lost }) +
            text(server + 20, y(run.noticedAtMs) + below, `left (${run.reason})`, { anchor: 'end', size: TYPE.small, weight: 'bold' }) +
            text(server + 20, y(run.noticedAtMs) + below + 24, `after ${run.noticedAfterMs} ms`, { anchor: 'end', size: TYPE.small, weight: 'bold', fill: COLOUR.lost }),
        ),
      );
    }
    parts.push(g({ class: `case ${transport}`, 'data-case': i }, lanes + events.join('')));
  });
  const height = TOP + PLOT + 150;
  const title = `${result.demo}: ${result.title}`;
  const desc = runs.map((r) => `${r.case}: left (${r.reason}) after ${r.noticedAfterMs} ms`).join('. ');
  const body = [
    titleLine(title, WIDTH),
    text(40, 88, 'time runs down from each peer\'s first heartbeat, to the same scale in all three', { size: TYPE.small, fill: COLOUR.faint, cls: 'subtitle' }),
    ...parts,
    legend(40, height - 40, [
      { swatch: line(0, 0, 36, 0, { stroke: COLOUR.udp, width: 3 }), label: 'heartbeat (/ping)' },
      { swatch: line(0, 0, 36, 0, { stroke: COLOUR.lost, width: 4 }), label: 'FIN' },
      { swatch: cross(18, 0, 9, COLOUR.ink), label: 'the peer goes' },
      { swatch: line(18, -12, 18, 12, { stroke: COLOUR.blocked, width: 8 }), label: 'silence the server waits out' },
      { swatch: el('circle', { cx: 18, cy: 0, r: 10, fill: COLOUR.lost }), label: 'the server logs it left' },
    ]),
  ].join('');
  return frame({ demo: result.demo, width: WIDTH, height, title, desc }, body);
}
