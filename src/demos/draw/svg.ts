/**
 * Small helpers for hand-written SVG: escaping, elements with presentation attributes (the page's
 * CSP forbids <style> and style="..."), the palette and the frame every demo picture shares.
 */
import { tenth } from '../trace.js';

/** Fonts that every projector laptop has one of. */
export const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

/** Type sizes, in user units of a 1600-wide picture: readable at the back of a classroom. */
export const TYPE = { title: 32, heading: 26, body: 22, small: 19 } as const;

/** One colour per meaning; shapes and dashes say the same, for colour-blind readers and print. */
export const COLOUR = {
  ink: '#1a1a1a',
  faint: '#8a8a8a',
  lane: '#9e9e9e',
  udp: '#1565c0',
  tcp: '#a84300',
  delivered: '#546e7a',
  lost: '#c62828',
  late: '#6a1b9a',
  duplicate: '#00796b',
  retransmit: '#c62828',
  blocked: '#e69500',
  ok: '#2e7d32',
  background: '#ffffff',
} as const;

/** Escapes text for SVG content and attribute values. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  // Numbers at most to a tenth, as every time in a trace.
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(typeof v === 'number' ? tenth(v) : v!)}"`)
    .join('');
}

/** An element; `children` undefined makes it self-closing. */
export function el(name: string, a: Attrs, children?: string): string {
  return children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`;
}

/** A line of text. */
export function text(x: number, y: number, content: string | number, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; fill?: string; weight?: 'bold'; cls?: string; halo?: boolean } = {}): string {
  // A halo (a white outline painted under the letters) keeps a label readable where it crosses lines.
  const halo = o.halo ? { stroke: COLOUR.background, 'stroke-width': 5, 'paint-order': 'stroke', 'stroke-linejoin': 'round' } : {};
  return el('text', { x, y, class: o.cls ?? 'label', 'font-family': FONT, 'font-size': o.size ?? TYPE.body, 'text-anchor': o.anchor, 'font-weight': o.weight, fill: o.fill ?? COLOUR.ink, ...halo }, esc(content));
}

/** The picture's title, its type made smaller when a long title would not fit `width`. */
export function titleLine(content: string, width: number): string {
  const size = Math.min(TYPE.title, Math.floor((width - 80) / (content.length * 0.6)));
  return text(40, 52, content, { size, weight: 'bold', cls: 'title' });
}

/** A straight line; `arrow` ends it in the marker of that colour (see defs()). */
export function line(x1: number, y1: number, x2: number, y2: number, o: { stroke: string; width?: number; dash?: string; arrow?: string; cls?: string }): string {
  return el('line', { x1, y1, x2, y2, class: o.cls, stroke: o.stroke, 'stroke-width': o.width ?? 2, 'stroke-dasharray': o.dash, 'marker-end': o.arrow ? `url(#${o.arrow})` : undefined, 'stroke-linecap': 'round' });
}

/** A cross centred on (x, y): where a lost datagram ends. */
export function cross(x: number, y: number, r: number, stroke: string, cls = 'cross'): string {
  return el('path', { d: `M${tenth(x - r)} ${tenth(y - r)}L${tenth(x + r)} ${tenth(y + r)}M${tenth(x - r)} ${tenth(y + r)}L${tenth(x + r)} ${tenth(y - r)}`, stroke, 'stroke-width': 4, 'stroke-linecap': 'round', fill: 'none', class: cls });
}

/** A `<g>`. */
export function g(a: Attrs, children: string): string {
  return el('g', a, children);
}

/** Arrowhead markers, one per colour, with ids prefixed by the demo so pictures can share a page. */
export function defs(prefix: string, colours: Record<string, string>): string {
  const markers = Object.entries(colours).map(([name, colour]) =>
    el('marker', { id: `${prefix}-${name}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 13, markerHeight: 13, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, el('path', { d: 'M0 0L10 5L0 10z', fill: colour })),
  );
  return el('defs', {}, markers.join(''));
}

/** The whole picture: viewBox, role, title and desc, a white ground, then the body. */
export function frame(o: { demo: string; width: number; height: number; title: string; desc: string }, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" role="img" aria-labelledby="${o.demo}-title ${o.demo}-desc" class="demo-diagram demo-${o.demo}" font-family="${FONT}">` +
    el('title', { id: `${o.demo}-title` }, esc(o.title)) +
    el('desc', { id: `${o.demo}-desc` }, esc(o.desc)) +
    el('rect', { class: 'background', x: 0, y: 0, width: o.width, height: o.height, fill: COLOUR.background }) +
    body +
    '</svg>'
  );
}

/**
 * Step numbers for events in time order: the page reveals them one by one. Events at the same
 * time (to a tenth of a ms) share a step.
 */
export function stepper(times: number[]): (t: number) => number {
  const unique = [...new Set(times.map(tenth))].sort((a, b) => a - b);
  const index = new Map(unique.map((t, i) => [t, i]));
  return (t) => index.get(tenth(t)) ?? 0;
}

/** A tick step near `span / 7` from 1, 2, 2.5, 5 times a power of ten. */
export function tickStep(span: number): number {
  const raw = span / 7;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/**
 * Places labels down the picture without overlap: a label too close to the last one in a column
 * moves to the next column. Returns the x offset (column × `step`) to use, or null when every
 * column is taken there (the label is left out; the legend and the table still carry it).
 */
export function labelPlacer(gap: number, step: number, columns: number): (y: number) => number | null {
  const last: number[] = Array.from({ length: columns }, () => -Infinity);
  return (y) => {
    for (let c = 0; c < columns; c++) {
      if (Math.abs(y - last[c]!) >= gap) {
        last[c] = y;
        return c * step;
      }
    }
    return null;
  };
}

/** A legend row: swatches with their words, left to right from (x, y). */
export function legend(x: number, y: number, items: Array<{ swatch: string; label: string }>, spacing = 24): string {
  let at = x;
  const parts: string[] = [];
  for (const item of items) {
    parts.push(g({ transform: `translate(${tenth(at)} ${tenth(y)})` }, item.swatch + text(44, 7, item.label, { size: TYPE.small })));
    at += 44 + item.label.length * TYPE.small * 0.56 + spacing;
  }
  return g({ class: 'legend' }, parts.join(''));
}
