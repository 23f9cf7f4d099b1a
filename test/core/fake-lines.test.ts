/**
 * Issue 10, item 10: lines that fake other lines. `ok` + 72 spaces + `* bob left (quit)` + 63
 * spaces + `[private] <bob> psst` was relayed whole, and a terminal 80 columns wide showed a
 * notice and a private line that nobody sent. Runs of blanks are now capped, and invisible
 * characters are shown as escapes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { capBlanks, escapeControls, hasControls, messageText } from '../../src/core/sanitize.js';
import { roomHarness as setup } from '../helpers/room-harness.js';

const encoder = new TextEncoder();
const MAX = DEFAULT_LIMITS.maxBlankRun;

/** The line of the issue. */
const FAKE = 'ok' + ' '.repeat(72) + '* bob left (quit)' + ' '.repeat(63) + '[private] <bob> psst';

/** The rows a terminal `columns` wide shows a line as (every character here is one column wide). */
function rows(line: string, columns: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += columns) out.push(line.slice(i, i + columns));
  return out;
}

/** The widest run of blanks in a line, in characters. */
function widestBlank(line: string): number {
  return Math.max(0, ...(line.match(/[\s\u2800]+/gu) ?? []).map((run) => [...run].length));
}

const relay = suite('item 10: a relayed line cannot push words to the start of the next terminal line');

relay('the line of the issue reaches the others with its runs of spaces cut to 8, on one row of 80 columns', () => {
  const h = setup();
  const [bob, eve, carol] = h.crowd('bob', 'eve', 'carol');
  h.send(eve!, FAKE);
  const heard = carol!.link.take();
  assert.equal(heard, [`<eve> ok${' '.repeat(MAX)}* bob left (quit)${' '.repeat(MAX)}[private] <bob> psst`]);
  assert.equal(bob!.link.take(), heard);
  assert.equal(rows(heard[0]!, 80).length, 1);
  assert.is(widestBlank(heard[0]!), MAX);
});

relay('without the cap, the same line at 80 columns shows a notice and a private line nobody sent', () => {
  // What every room relayed before: the issue, reproduced, so the check above can be trusted.
  const h = setup({ limits: { maxBlankRun: 0 } });
  const [, eve, carol] = h.crowd('bob', 'eve', 'carol');
  h.send(eve!, FAKE);
  const heard = carol!.link.take()[0]!;
  assert.is(heard, `<eve> ${FAKE}`);
  assert.equal(rows(heard, 80).slice(1), ['* bob left (quit)' + ' '.repeat(63), '[private] <bob> psst']);
});

const PADDING: Array<[why: string, blank: string]> = [
  ['spaces', ' '],
  ['TABs', '\t'],
  ['no-break spaces', '\u00a0'],
  ['em spaces', '\u2003'],
  ['ideographic spaces', '\u3000'],
  ['braille blanks', '\u2800'],
  ['spaces with a combining mark on each', ' \u0301'],
];

for (const [why, blank] of PADDING) {
  relay(`padding made of ${why} is capped too`, () => {
    const h = setup();
    const [, mallory, carol] = h.crowd('bob', 'mallory', 'carol');
    h.send(mallory!, `ok${blank.repeat(80)}* bob left (quit)`);
    const heard = carol!.link.take()[0]!;
    assert.is(heard, `<mallory> ok${' '.repeat(MAX)}* bob left (quit)`);
    assert.is(widestBlank(heard), MAX);
  });
}

const INVISIBLE: Array<[why: string, char: string]> = [
  ['U+3164 HANGUL FILLER', '\u3164'],
  ['U+FFA0 HALFWIDTH HANGUL FILLER', '\uffa0'],
  ['U+200B ZERO WIDTH SPACE', '\u200b'],
  ['U+2060 WORD JOINER', '\u2060'],
  ['U+FEFF ZERO WIDTH NO-BREAK SPACE', '\ufeff'],
  ['U+00AD SOFT HYPHEN', '\u00ad'],
  ['U+180E MONGOLIAN VOWEL SEPARATOR', '\u180e'],
  ['U+034F COMBINING GRAPHEME JOINER', '\u034f'],
  ['U+E0041 TAG LATIN CAPITAL LETTER A', '\u{e0041}'],
  ['U+200D ZERO WIDTH JOINER, in a run', '\u200d'],
];

for (const [why, char] of INVISIBLE) {
  relay(`padding made of ${why} is shown as escapes`, () => {
    const h = setup();
    const [, mallory, carol] = h.crowd('bob', 'mallory', 'carol');
    h.send(mallory!, `ok${char.repeat(40)}* bob left (quit)`);
    const heard = carol!.link.take()[0]!;
    assert.not.ok(heard.includes(char), JSON.stringify(heard));
    const code = char.codePointAt(0)!;
    const escape = code <= 0xff ? `\\x${code.toString(16)}` : code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
    assert.ok(heard.includes(escape.repeat(40)), heard);
  });
}

relay('a private message is capped the same way', () => {
  const h = setup();
  const [bob, mallory] = h.crowd('bob', 'mallory');
  h.send(mallory!, `/msg bob ok${' '.repeat(80)}* carol left (quit)`);
  assert.equal(bob!.link.take(), [`[private] <mallory> ok${' '.repeat(MAX)}* carol left (quit)`]);
});

relay('plain ASCII with short runs keeps the fast path and arrives byte for byte', () => {
  const h = setup();
  const [, mallory, carol] = h.crowd('bob', 'mallory', 'carol');
  const line = `a${' '.repeat(MAX)}b\tc  d`;
  h.send(mallory!, line);
  assert.equal(carol!.link.take(), [`<mallory> ${line}`]);
});

relay.run();

const cap = suite('capBlanks');

const capRows: Array<[why: string, input: string, expected: string]> = [
  ['a run of 8 spaces is kept', `a${' '.repeat(8)}b`, `a${' '.repeat(8)}b`],
  ['a run of 9 spaces becomes 8', `a${' '.repeat(9)}b`, `a${' '.repeat(8)}b`],
  ['one TAB (8 columns) is kept', 'a\tb', 'a\tb'],
  ['two TABs (16 columns) become 8 spaces', 'a\t\tb', `a${' '.repeat(8)}b`],
  ['a TAB and a space become 8 spaces', 'a\t b', `a${' '.repeat(8)}b`],
  ['4 ideographic spaces (8 columns) are kept', 'a\u3000\u3000\u3000\u3000b', 'a\u3000\u3000\u3000\u3000b'],
  ['5 ideographic spaces (10 columns) become 8 spaces', `a${'\u3000'.repeat(5)}b`, `a${' '.repeat(8)}b`],
  ['leading and trailing runs are capped too', `${' '.repeat(20)}x${' '.repeat(20)}`, `${' '.repeat(8)}x${' '.repeat(8)}`],
  ['a mark on a letter is no blank', 'e\u0301\u0301', 'e\u0301\u0301'],
  ['text without blanks is the same string', 'Zoë李雷', 'Zoë李雷'],
];

for (const [why, input, expected] of capRows) {
  cap(why, () => {
    assert.is(capBlanks(input, 8), expected);
  });
}

cap('0 turns the cap off', () => {
  assert.is(capBlanks(FAKE, 0), FAKE);
});

cap('a smaller cap is kept to', () => {
  assert.is(capBlanks('a   b\tc', 2), 'a  b  c');
});

cap('messageText caps with the room limit and leaves a message alone without one', () => {
  const bytes = encoder.encode(FAKE + '\n');
  assert.is(messageText(bytes), FAKE);
  assert.is(messageText(bytes, bytes.length - 1, 8), `ok${' '.repeat(8)}* bob left (quit)${' '.repeat(8)}[private] <bob> psst`);
});

cap.run();

const seen = suite('escapeControls: what is invisible is shown, what writes text is kept');

const keep: Array<[why: string, text: string]> = [
  ['an emoji with its presentation selector', '❤\ufe0f'],
  ['a family emoji joined by ZWJs', '👨\u200d👩\u200d👧'],
  ['an emoji with a selector and a joiner', '❤\ufe0f\u200d🔥'],
  ['a Persian word with a zero-width non-joiner', 'می\u200cخواهم'],
  ['a CJK ideograph with an ideographic variation selector', '葛\u{e0100}'],
];

for (const [why, text] of keep) {
  seen(`${why} is kept`, () => {
    assert.is(escapeControls(text), text);
  });
}

const shown: Array<[why: string, text: string, expected: string]> = [
  ['a joiner with nothing before it', '\u200dx', '\\u200dx'],
  ['a joiner after a space', 'a \u200d', 'a \\u200d'],
  ['three joiners in a row', 'a\u200d\u200d\u200d', 'a\\u200d\\u200d\\u200d'],
  ['a zero-width space between letters', 'a\u200bb', 'a\\u200bb'],
  ['a Hangul filler', 'a\u3164b', 'a\\u3164b'],
  ['a tag character, written with braces', 'a\u{e0041}', 'a\\u{e0041}'],
  ['a byte order mark', '\ufeffhi', '\\ufeffhi'],
];

for (const [why, text, expected] of shown) {
  seen(`${why} is shown as an escape`, () => {
    assert.is(escapeControls(text), expected);
    assert.ok(hasControls(text));
    assert.is(escapeControls(expected), expected);
  });
}

seen.run();
