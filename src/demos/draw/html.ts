/**
 * `demo NAME --html`: one self-contained page a teacher can open offline: the picture inline,
 * the table and the explanation. No script, no external resource.
 */
import type { DemoResult } from '../common.js';
import { demoSvg } from './index.js';
import { esc } from './svg.js';

/**
 * The explanation's lines as paragraphs: the demos break their sentences for an 100-column
 * terminal; a line ending a sentence ends a paragraph, the others run on.
 */
export function paragraphs(lines: readonly string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    current = current ? `${current} ${line.trim()}` : line.trim();
    if (/[.:!?]$/.test(current)) {
      out.push(current);
      current = '';
    }
  }
  if (current) out.push(current);
  return out;
}

/** A standalone HTML page of a demo run. */
export function demoHtml(result: DemoResult): string {
  const head = result.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = result.rows.map((r) => `<tr>${r.map((cell, i) => (i === 0 ? `<th scope="row">${esc(cell)}</th>` : `<td>${esc(cell)}</td>`)).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>udp-chat demo ${esc(result.demo)}: ${esc(result.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 110rem; padding: 0 1rem; color: #1a1a1a; background: #fff; font-size: 1.15rem; line-height: 1.5; }
figure { margin: 0 0 1.5rem; }
figure svg { width: 100%; height: auto; border: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.7rem; text-align: right; }
th[scope="row"], thead th:first-child { text-align: left; }
</style>
</head>
<body>
<h1>udp-chat demo ${esc(result.demo)}</h1>
<p>${esc(result.title)}</p>
<figure>
${demoSvg(result)}
</figure>
<table>
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${paragraphs(result.explanation).map((p) => `<p>${esc(p)}</p>`).join('\n')}
</body>
</html>
`;
}
