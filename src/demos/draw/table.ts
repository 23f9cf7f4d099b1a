/** A demo without a picture of its own: its table, drawn as text. */
import type { DemoResult } from '../common.js';
import { frame, g, text, titleLine, TYPE } from './svg.js';

/** Draws a result's table, one step a row. */
export function tableSvg(result: DemoResult): string {
  const title = `${result.demo}: ${result.title}`;
  const width = 1600;
  const height = 160 + (result.rows.length + 1) * 40;
  const cols = result.columns.length;
  const x = (i: number) => 40 + (i * (width - 80)) / cols;
  const header = g({ class: 'header' }, result.columns.map((c, i) => text(x(i), 130, c, { size: TYPE.body, weight: 'bold' })).join(''));
  const rows = result.rows.map((row, r) => g({ class: 'event row', 'data-step': r }, row.map((cell, i) => text(x(i), 170 + r * 40, String(cell), { size: TYPE.body })).join('')));
  const body = titleLine(title, width) + header + rows.join('');
  return frame({ demo: result.demo, width, height, title, desc: result.explanation.join(' ') }, body);
}
