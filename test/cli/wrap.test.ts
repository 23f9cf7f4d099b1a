/**
 * Issue 10, item 10, on the reader's side: `udp-chat chat` (and the server's log) wraps a long
 * line to the terminal with its continuation indented, and the web page does the same in CSS,
 * so no message can start a row where it would pass for a notice or a private line.
 */
import { readFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatServerLine, HANGING_INDENT, wrapForTerminal } from '../../src/cli/output.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { parseServerLine } from '../../src/core/lines.js';
import { parsed, run } from '../helpers/spawn.js';

const colour = new Chalk({ level: 1 });
// Written out here rather than taken from a library: what a terminal shows of a row.
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
const indent = ' '.repeat(HANGING_INDENT);

/** A message that lines up its fake lines with the rows of a terminal `columns` wide, with no blank at all. */
function aligned(prefix: string, columns: number): string {
  const filler = 'x'.repeat(columns - prefix.length);
  return `${prefix}${filler}* bob left (quit)${'y'.repeat(columns - 17)}[private] <bob> psst`;
}

const wrap = suite('wrapForTerminal: a hanging indent');

for (const columns of [40, 80, 132]) {
  wrap(`at ${columns} columns, a line aligned to fake a notice and a private line has every continuation indented`, () => {
    const line = aligned('<eve> ', columns);
    const out = wrapForTerminal(line, columns).split('\n');
    assert.ok(out.length >= 3, JSON.stringify(out));
    for (const row of out.slice(1)) {
      assert.ok(row.startsWith(indent), JSON.stringify(row));
      assert.not.match(row, /^(\* |! |\[private)/);
    }
    for (const row of out) assert.ok(row.length <= columns, `${row.length} > ${columns}`);
    assert.is(out.map((row, i) => (i === 0 ? row : row.slice(HANGING_INDENT))).join(''), line);
  });
}

wrap('the same line unwrapped, as a plain terminal shows it, starts rows with the fakes', () => {
  // Why the indent is needed: without it, text alone can line up with the terminal's rows.
  const line = aligned('<eve> ', 80);
  assert.ok(line.slice(80).startsWith('* bob left (quit)'));
  assert.ok(line.slice(160).startsWith('[private] <bob> psst'));
});

wrap('colour codes take no columns, and a coloured chat line wraps as its text does', () => {
  const line = formatServerLine(parseServerLine(aligned('<eve> ', 80)), colour);
  assert.ok(line.includes('\x1b['));
  const out = wrapForTerminal(line, 80).split('\n');
  for (const row of out) assert.ok(stripAnsi(row).length <= 80, stripAnsi(row));
  for (const row of out.slice(1)) assert.ok(stripAnsi(row).startsWith(indent), JSON.stringify(row));
});

wrap('wide characters count two columns', () => {
  const out = wrapForTerminal('<eve> ' + '李'.repeat(60), 40).split('\n');
  for (const row of out) assert.ok([...row].reduce((n, ch) => n + (ch === ' ' || ch < '\u1100' ? 1 : 2), 0) <= 40, row);
  for (const row of out.slice(1)) assert.ok(row.startsWith(indent));
});

wrap('a line that fits is the same string; no terminal width, or too narrow a one, leaves it alone', () => {
  const short = '<eve> hello';
  assert.is(wrapForTerminal(short, 80), short);
  const long = 'x'.repeat(200);
  assert.is(wrapForTerminal(long, undefined), long);
  assert.is(wrapForTerminal(long, 3), long);
});

wrap.run();

const page = suite('the web page: a hanging indent in CSS');

page('a .line wraps with its continuation indented (negative text-indent, as much padding)', () => {
  const css = readFileSync(new URL('../../src/web/style.css', import.meta.url), 'utf8');
  const rule = /\.line \{([^}]*)\}/.exec(css)?.[1] ?? '';
  assert.match(rule, /white-space: pre-wrap/);
  const indentBy = /text-indent: -([\d.]+)em/.exec(rule)?.[1];
  assert.ok(indentBy, rule);
  assert.match(rule, new RegExp(`padding: [^;]* ${indentBy!.replace('.', '\\.')}em;`));
});

page.run();

const flag = suite('serve --max-blank-run');

flag('defaults to the limit, and a bad value is a usage error', async () => {
  const [, argv] = await parsed(['serve']);
  assert.is(argv['max-blank-run'], String(DEFAULT_LIMITS.maxBlankRun));
  const r = await run(['serve', '--port', '0', '--max-blank-run', 'x']);
  assert.is(r.code, 2, JSON.stringify(r));
  assert.match(r.stderr, /--max-blank-run takes a whole number from 0/);
});

flag.run();
