import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeText, escapeControls, hasControls, messageText } from '../../src/core/sanitize.js';
import { seededRandom } from '../../src/transports/random.js';

// Written out here rather than imported, so the tests do not share a mistake with the source.
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);


function hex(buffer: Uint8Array): string {
  return Buffer.from(buffer).toString('hex');
}

const escape = suite('escapeControls');

const rows: Array<[why: string, input: string, expected: string]> = [
  ['plain ASCII is left alone', 'hello, world', 'hello, world'],
  ['non-ASCII text is left alone', 'Zoë 李雷 анна ☃ 😀', 'Zoë 李雷 анна ☃ 😀'],
  ['a TAB is kept', 'a\tb', 'a\tb'],
  ['a CSI colour sequence loses its ESC', '\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
  ['a cursor movement loses its ESC', '\x1b[2J\x1b[H', '\\x1b[2J\\x1b[H'],
  ['an OSC title sequence ending in BEL is escaped', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
  ['an OSC 8 hyperlink ending in ST is escaped', '\x1b]8;;http://x\x1b\\', '\\x1b]8;;http://x\\x1b\\'],
  ['a DCS sequence is escaped', '\x1bPq\x1b\\', '\\x1bPq\\x1b\\'],
  ['a BEL is escaped', 'ding\x07', 'ding\\x07'],
  ['a NUL is escaped', 'a\x00b', 'a\\x00b'],
  ['a CR is escaped', 'fake\rreal', 'fake\\x0dreal'],
  ['a LF is escaped', 'one\ntwo', 'one\\x0atwo'],
  ['a backspace is escaped', 'abc\x08\x08x', 'abc\\x08\\x08x'],
  ['a form feed and vertical tab are escaped', '\x0c\x0b', '\\x0c\\x0b'],
  ['the unit separator is escaped', '\x1f', '\\x1f'],
  ['a DEL is escaped', 'a\x7f', 'a\\x7f'],
  ['a C1 CSI U+009B is escaped', '\u009b31m', '\\x9b31m'],
  ['a C1 NEL U+0085 is escaped', 'a\u0085b', 'a\\x85b'],
  ['U+009F, the last C1 control, is escaped', '\u009f', '\\x9f'],
  ['U+00A0, just past C1, is kept', '\u00a0', '\u00a0'],
  ['a right-to-left override U+202E is escaped', 'invoice\u202efdp.exe', 'invoice\\u202efdp.exe'],
  ['the bidi embeddings U+202A to U+202D are escaped', '\u202a\u202b\u202c\u202d', '\\u202a\\u202b\\u202c\\u202d'],
  ['the bidi isolates U+2066 to U+2069 are escaped', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
  ['the LRM, RLM and ALM marks are escaped', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
  ['the line and paragraph separators are escaped', '\u2028\u2029', '\\u2028\\u2029'],
  ['the empty string stays empty', '', ''],
];

for (const [why, input, expected] of rows) {
  escape(why, () => {
    assert.is(escapeControls(input), expected);
    assert.is(hasControls(input), input !== expected);
    assert.not.match(escapeControls(input), FORBIDDEN);
  });
}

escape('escaping is idempotent: escaped text has nothing left to escape', () => {
  for (const [, input] of rows) {
    const once = escapeControls(input);
    assert.is(hasControls(once), false);
    assert.is(escapeControls(once), once);
  }
});

escape('safe text is returned as the same string', () => {
  const text = 'nothing to see';
  assert.is(escapeControls(text), text);
});

escape.run();

const decode = suite('decodeText');

const decodeRows: Array<[why: string, input: number[], expected: string]> = [
  ['valid UTF-8 decodes', [0x5a, 0x6f, 0xc3, 0xab], 'Zoë'],
  ['a lone 0xFF becomes U+FFFD', [0xff], '\ufffd'],
  ['a lone continuation byte becomes U+FFFD', [0x61, 0x80, 0x62], 'a\ufffdb'],
  ['a lead byte without its continuation becomes U+FFFD', [0xc3, 0x28], '\ufffd('],
  ['a truncated three-byte sequence becomes one U+FFFD', [0xe2, 0x82], '\ufffd'],
  ['an overlong encoding becomes U+FFFD, not a slash', [0xc0, 0xaf], '\ufffd\ufffd'],
  ['an encoded surrogate becomes U+FFFD', [0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
  ['a code point past U+10FFFF becomes U+FFFD', [0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
  ['a byte order mark is kept, not swallowed', [0xef, 0xbb, 0xbf, 0x41], '\ufeffA'],
  ['no bytes decode to the empty string', [], ''],
];

for (const [why, input, expected] of decodeRows) {
  decode(why, () => {
    assert.is(decodeText(Uint8Array.from(input)), expected);
  });
}

decode('decoding keeps no state between calls', () => {
  assert.is(decodeText(Uint8Array.of(0xe2, 0x82)), '\ufffd');
  assert.is(decodeText(Uint8Array.of(0xac)), '\ufffd');
});

decode.run();

const message = suite('messageText');

const messageRows: Array<[why: string, input: Uint8Array, expected: string]> = [
  ['one trailing LF is stripped', bytes('hi\n'), 'hi'],
  ['one trailing CRLF is stripped', bytes('hi\r\n'), 'hi'],
  ['only one of two trailing LFs is stripped', bytes('hi\n\n'), 'hi\\x0a'],
  ['only one of two trailing CRLFs is stripped', bytes('hi\r\n\r\n'), 'hi\\x0d\\x0a'],
  ['a trailing CR alone is escaped, not stripped', bytes('hi\r'), 'hi\\x0d'],
  ['a trailing LF CR is escaped, not stripped', bytes('hi\n\r'), 'hi\\x0a\\x0d'],
  ['a message without a newline is kept whole', bytes('hi'), 'hi'],
  ['a lone LF is the empty message', bytes('\n'), ''],
  ['a lone CRLF is the empty message', bytes('\r\n'), ''],
  ['no bytes are the empty message', new Uint8Array(0), ''],
  ['a leading LF is escaped', bytes('\nhi'), '\\x0ahi'],
  ['a TAB survives', bytes('a\tb\n'), 'a\tb'],
  ['an ESC sequence is escaped', bytes('\x1b[1;31mhi\x1b[0m\n'), '\\x1b[1;31mhi\\x1b[0m'],
  ['an OSC sequence ending in BEL is escaped', bytes('\x1b]2;title\x07\n'), '\\x1b]2;title\\x07'],
  ['a NUL is escaped', Uint8Array.of(0x61, 0x00, 0x62), 'a\\x00b'],
  ['a CR in the middle is escaped', bytes('a\rb\n'), 'a\\x0db'],
  ['a DEL is escaped', Uint8Array.of(0x7f), '\\x7f'],
  ['a C1 CSI in UTF-8 is escaped', Uint8Array.of(0xc2, 0x9b, 0x33, 0x31, 0x6d), '\\x9b31m'],
  ['a raw 0x9B byte is invalid UTF-8 and becomes U+FFFD', Uint8Array.of(0x9b, 0x33, 0x31, 0x6d), '\ufffd31m'],
  ['a U+202E in UTF-8 is escaped', Uint8Array.of(0x61, 0xe2, 0x80, 0xae, 0x62), 'a\\u202eb'],
  ['invalid UTF-8 becomes U+FFFD', Uint8Array.of(0x68, 0x69, 0xff, 0xfe, 0x0a), 'hi\ufffd\ufffd'],
  ['a CR before invalid UTF-8 and LF is escaped', Uint8Array.of(0x0d, 0xff, 0x0a), '\\x0d\ufffd'],
  ['non-ASCII text passes through', bytes('李雷: привет\n'), '李雷: привет'],
];

for (const [why, input, expected] of messageRows) {
  message(why, () => {
    assert.is(messageText(input), expected);
  });
}

message('the input buffer is not changed', () => {
  const input = bytes('\x1b[31mhi\r\n');
  const copy = Uint8Array.from(input);
  messageText(input);
  assert.equal(input, copy);
});

message.run();

const never = suite('messageText never lets a control through');

function check(input: Uint8Array): void {
  const text = messageText(input);
  const hit = FORBIDDEN.exec(text);
  assert.ok(!hit, `input ${hex(input)} gave ${JSON.stringify(text)}, holding U+${hit?.[0].charCodeAt(0).toString(16)}`);
}

never('no single byte value gets through', () => {
  for (let b = 0; b < 256; b++) {
    check(Uint8Array.of(b));
    check(Uint8Array.of(0x61, b, 0x62));
    check(Uint8Array.of(b, 0x0a));
    check(Uint8Array.of(b, 0x0d, 0x0a));
    check(Uint8Array.of(0x0d, b));
  }
});

never('no two-byte UTF-8 sequence gets through, C1 controls included', () => {
  for (let lead = 0xc0; lead < 0x100; lead++) {
    for (let b = 0; b < 256; b++) check(Uint8Array.of(lead, b));
  }
});

never('no three-byte UTF-8 sequence in the bidi and separator blocks gets through', () => {
  // U+2000..U+207F is E2 80..81 xx; U+0600..U+063F (ALM) is D8 xx.
  for (const second of [0x80, 0x81]) {
    for (let b = 0; b < 256; b++) check(Uint8Array.of(0xe2, second, b));
  }
  for (let b = 0; b < 256; b++) check(Uint8Array.of(0xd8, b));
});

never('no seeded random buffer gets through', () => {
  for (const seed of [1, 2, 3, 42, 2024]) {
    const random = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 64);
      const buffer = new Uint8Array(length);
      for (let j = 0; j < length; j++) {
        // Half the bytes are drawn from the dangerous ones, so escapes and UTF-8 leads are common.
        const pick = random();
        buffer[j] =
          pick < 0.5
            ? Math.floor(random() * 256)
            : [0x00, 0x07, 0x0a, 0x0d, 0x1b, 0x5b, 0x5d, 0x7f, 0x9b, 0xc2, 0xd8, 0xe2, 0x80, 0x81, 0xae, 0xa6, 0x9c][
                Math.floor(random() * 17)
              ]!;
      }
      check(buffer);
    }
  }
});

never('only a TAB survives among the C0 controls', () => {
  let kept = '';
  for (let b = 0; b < 0x20; b++) {
    if (messageText(Uint8Array.of(0x61, b, 0x62)).length === 3) kept += String.fromCharCode(b);
  }
  assert.is(kept, '\t');
});

never.run();
