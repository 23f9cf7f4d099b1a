/**
 * How `udp-chat demo` prints a result in a terminal of a given width (80 columns when stdout is
 * not a terminal): the numbered-message demos as a strip per transport, one cell per number;
 * every demo's table fitted to the width (long cells wrapped within their column); the
 * explanation wrapped. `--wide` prints the table as it is, however wide.
 */
import type { ChalkInstance } from 'chalk';
import wrapAnsi from 'wrap-ansi';
import type { DemoResult } from '../demos/common.js';
import { paragraphs } from '../demos/draw/index.js';
import type { SequenceData } from '../demos/draw/sequence.js';
import { table } from './output.js';

/** The width demo output fits when stdout is not a terminal. */
export const DEFAULT_COLUMNS = 80;

/** The width to fit: the terminal's, or DEFAULT_COLUMNS when the stream is not a terminal. */
export function terminalColumns(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
}

/** What happened to one numbered message, as its strip cell shows it. */
export type Cell = 'delivered' | 'lost' | 'late' | 'duplicate' | 'retransmit' | 'blocked';

/** Each cell's character (distinct, so the strip reads without colour too) and its legend. */
export const CELLS: Record<Cell, { char: string; label: string; paint: (c: ChalkInstance, s: string) => string }> = {
  delivered: { char: '.', label: 'delivered', paint: (c, s) => c.green(s) },
  lost: { char: 'X', label: 'lost', paint: (c, s) => c.red.bold(s) },
  late: { char: '<', label: 'late (overtaken)', paint: (c, s) => c.magenta.bold(s) },
  duplicate: { char: '2', label: 'arrived twice', paint: (c, s) => c.cyan.bold(s) },
  retransmit: { char: 'R', label: 'resent after a timeout', paint: (c, s) => c.red.bold(s) },
  blocked: { char: 'w', label: 'waited behind it', paint: (c, s) => c.yellow(s) },
};

/** The cells of one transport's run, seq 1 first. */
export function seqCells(data: SequenceData, transport: 'udp' | 'tcp'): Cell[] {
  const stats = data[transport];
  const lost = new Set(stats.lostSeqs);
  const late = new Set(stats.lateSeqs);
  const twice = new Set(stats.duplicateSeqs);
  const trace = data.trace[transport];
  return Array.from({ length: data.count }, (_, i): Cell => {
    const seq = i + 1;
    if (lost.has(seq)) return 'lost';
    if (late.has(seq)) return 'late';
    if (twice.has(seq)) return 'duplicate';
    const proxy = trace[i]?.proxy;
    if (proxy === 'retransmitted') return 'retransmit';
    if (proxy === 'blocked') return 'blocked';
    return 'delivered';
  });
}

const LABEL = 7;

/** A ruler over cells `first`..`first + n - 1`: the first number, then every tenth, where it fits. */
function ruler(first: number, n: number): string {
  const chars = Array.from({ length: n + 6 }, () => ' ');
  let free = 0;
  for (let seq = first; seq < first + n; seq++) {
    const at = seq - first;
    if ((seq === first || seq % 10 === 0) && at >= free) {
      const digits = String(seq);
      for (let k = 0; k < digits.length; k++) chars[at + k] = digits[k]!;
      free = at + digits.length + 1;
    }
  }
  return ' '.repeat(LABEL) + chars.join('').trimEnd();
}

/** The strips of a numbered-message demo: a ruler, then one row per transport, as many blocks as the width needs. */
export function seqStrips(data: SequenceData, columns: number, c: ChalkInstance): string[] {
  const per = Math.max(10, Math.floor((columns - LABEL) / 10) * 10);
  const rows = { udp: seqCells(data, 'udp'), tcp: seqCells(data, 'tcp') };
  const lines: string[] = [];
  for (let start = 0; start < data.count; start += per) {
    lines.push(c.dim(ruler(start + 1, Math.min(per, data.count - start))));
    for (const t of ['udp', 'tcp'] as const) {
      const cells = rows[t].slice(start, start + per).map((cell) => CELLS[cell].paint(c, CELLS[cell].char));
      lines.push(t.toUpperCase().padEnd(LABEL) + cells.join(''));
    }
  }
  const used = new Set<Cell>(['delivered', ...rows.udp, ...rows.tcp]);
  const legend = (Object.keys(CELLS) as Cell[]).filter((k) => used.has(k)).map((k) => `${CELLS[k].paint(c, CELLS[k].char)} ${CELLS[k].label}`);
  lines.push(...wrapAnsi(legend.join('   '), Math.max(10, columns - LABEL), { hard: true }).split('\n').map((l) => ' '.repeat(LABEL) + l));
  return lines;
}

/**
 * A table no wider than `columns`: the widest columns give up width first, down to `minimum`,
 * and their cells wrap within it. Rows that wrap are set apart by a blank line.
 */
export function fitTable(header: string[], rows: string[][], columns: number, minimum = 6): string {
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  // A long header over short cells wraps at its words first (`one read = one` / `message`).
  let widths = header.map((h, i) => Math.max(...h.split(' ').map((w) => w.length), ...rows.map((r) => (r[i] ?? '').length)));
  if (natural.reduce((a, b) => a + b, 0) + 2 * (natural.length - 1) <= columns) widths = natural;
  while (total() > columns) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i]! > minimum && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]! -= 1;
  }
  const wrapped = (cells: string[]) => cells.map((cell, i) => wrapAnsi(cell, widths[i]!, { hard: true, trim: true }).split('\n'));
  const render = (cells: string[]): string[] => {
    const parts = wrapped(cells);
    const height = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: height }, (_, k) =>
      parts
        .map((p, i) => {
          const piece = p[k] ?? '';
          return i === 0 ? piece.padEnd(widths[i]!) : piece.padStart(widths[i]!);
        })
        .join('  ')
        .trimEnd(),
    );
  };
  const body = rows.map(render);
  const spaced = body.some((r) => r.length > 1);
  const out = [...render(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  body.forEach((r, i) => out.push(...(spaced && i > 0 ? ['', ...r] : r)));
  return out.join('\n');
}

/** The lines `udp-chat demo` prints for a result: fitted to `columns`, or as one wide table. */
export function formatDemo(result: DemoResult, o: { columns: number; wide: boolean; c: ChalkInstance }): string[] {
  const { c, columns } = o;
  const cells = result.rows.map((r) => r.map(String));
  if (o.wide) return [c.bold(`${result.demo}: ${result.title}`), '', table(result.columns, cells), '', ...result.explanation.map((l) => c.dim(l)), ''];
  const wrap = (text: string) => wrapAnsi(text, columns, { hard: true }).split('\n');
  const lines = [...wrap(c.bold(`${result.demo}: ${result.title}`)), ''];
  if (['loss', 'reorder', 'duplicate'].includes(result.demo) && result.data['trace']) {
    lines.push(...seqStrips(result.data as unknown as SequenceData, columns, c), '');
  }
  lines.push(...fitTable(result.columns, cells, columns).split('\n'), '');
  for (const p of paragraphs(result.explanation)) lines.push(...wrap(p).map((l) => c.dim(l)));
  lines.push('');
  return lines;
}
