// The teacher panel's chart: messages a second per transport over the last minute, and the drops
// (the room's, and the datagrams the OS dropped in the server's socket) as bars, so a burst the
// kernel dropped shows as a spike rather than as a counter that changed. SVG built with DOM calls.

import { el } from './svg.js';

/** How far back the chart looks, and so how many one-second samples it keeps. */
export const CHART_MS = 60_000;
const W = 600;
const H = 170;
const LEFT = 44;
const TOP = 10;
const BOTTOM = 24;
const SERIES = ['udp', 'tcp', 'ws'];

/** A round top for the y axis: 5, 10, 20, 50, 100, ... at least `n`. */
function ceiling(n) {
  let top = 5;
  for (let f = 1; top < n; f *= 10) for (const m of [1, 2, 5]) if (top < n) top = m * 10 * f;
  return top;
}

/** Keeps a minute of samples: `{at, rates: {udp, tcp, ws}, drops}`, one a /stats poll. */
export function sampler() {
  const samples = [];
  let before = null;
  return {
    samples,
    /** One /stats answer at page time `at` (ms): per second since the last one. */
    add(counters, at) {
      const dropped = Object.values(counters.drops ?? {}).reduce((s, n) => s + (Number(n) || 0), 0);
      const kernel = typeof counters.kernelDrops === 'number' ? counters.kernelDrops : 0;
      const now = { at, traffic: counters.traffic ?? {}, dropped, kernel };
      if (before && at > before.at) {
        const seconds = (at - before.at) / 1000;
        const rate = (a, b) => Math.max(0, Math.round((a - b) / seconds));
        const rates = {};
        for (const t of SERIES) rates[t] = rate(now.traffic[t]?.messagesIn ?? 0, before.traffic[t]?.messagesIn ?? 0);
        samples.push({ at, rates, drops: rate(now.dropped, before.dropped), kernel: rate(now.kernel, before.kernel) });
        while (samples.length && samples[0].at < at - CHART_MS) samples.shift();
      }
      before = now;
    },
  };
}

/** Draws `samples` into `svg` (replacing what was there), ending at page time `now`. */
export function drawChart(svg, samples, now) {
  const top = ceiling(Math.max(1, ...samples.flatMap((s) => [...SERIES.map((t) => s.rates[t]), s.drops + s.kernel])));
  const plotW = W - LEFT - 8;
  const plotH = H - TOP - BOTTOM;
  const xOf = (at) => LEFT + plotW * (1 - (now - at) / CHART_MS);
  const yOf = (v) => TOP + plotH * (1 - v / top);
  const parts = [el('title', { id: 'chart-title' }, 'Messages a second per transport, and drops, over the last minute')];
  const last = samples[samples.length - 1];
  const says = last
    ? `Now: ${SERIES.map((t) => `${t} ${last.rates[t]}/s`).join(', ')}; dropped ${last.drops + last.kernel}/s (${last.kernel} in the server's socket).`
    : 'No samples yet.';
  parts.push(el('desc', { id: 'chart-desc' }, says));
  for (const v of [0, top / 2, top]) {
    parts.push(el('line', { class: 'grid', x1: LEFT, x2: W - 8, y1: yOf(v), y2: yOf(v) }));
    parts.push(el('text', { class: 'axis', x: LEFT - 6, y: yOf(v) + 4, 'text-anchor': 'end' }, v.toLocaleString()));
  }
  for (const [label, at, anchor] of [['60 s ago', now - CHART_MS, 'start'], ['30 s', now - CHART_MS / 2, 'middle'], ['now', now, 'end']]) {
    parts.push(el('text', { class: 'axis', x: xOf(at), y: H - 6, 'text-anchor': anchor }, label));
  }
  // Drops as bars, under the lines: a second with any drop is seen however small.
  const barW = Math.max(2, plotW / 60 - 2);
  for (const s of samples) {
    const n = s.drops + s.kernel;
    if (n > 0) parts.push(el('rect', { class: 'drops', x: xOf(s.at) - barW, y: yOf(n), width: barW, height: Math.max(2, yOf(0) - yOf(n)), 'data-drops': n }));
  }
  for (const t of SERIES) {
    if (!samples.length) break;
    const points = samples.map((s) => `${xOf(s.at).toFixed(1)},${yOf(s.rates[t]).toFixed(1)}`).join(' ');
    parts.push(el('polyline', { class: `series t-${t}`, points, 'data-transport': t, 'data-last': last.rates[t] }));
  }
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren(...parts);
}
