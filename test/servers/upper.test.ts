/** `echo --upper`: Go's strings.ToUpper for valid UTF-8, other bytes as they are, whole or split across reads. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamUpper, upperAscii, upperCodePoint, upperUtf8 } from '../../src/servers/upper.js';

const test = suite('upper-casing as Go does');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

// Each row: what a client sends, what Go's strings.ToUpper answers (for invalid bytes: the bytes
// themselves, where Go would write U+FFFD; the issue asks to keep them).
const TABLE: Array<[string, Uint8Array, Uint8Array]> = [
  ['ASCII', bytes('hello, World 09 `az{'), bytes('HELLO, WORLD 09 `AZ{')],
  ['Latin', bytes('héllo wörld ÿ æ'), bytes('HÉLLO WÖRLD Ÿ Æ')],
  ['Greek, final sigma too', bytes('αβγ λόγος'), bytes('ΑΒΓ ΛΌΓΟΣ')],
  ['Cyrillic', bytes('привет мир'), bytes('ПРИВЕТ МИР')],
  ['CJK has no case', bytes('你好世界'), bytes('你好世界')],
  ['emoji (4 bytes) unchanged, the letters after it changed', bytes('😀 ok'), bytes('😀 OK')],
  ['a 4-byte letter: Deseret', bytes('𐐨'), bytes('𐐀')],
  ['ß stays ß (JS would give SS; Go keeps the one code point)', bytes('straße'), bytes('STRAßE')],
  ['ŉ stays (its capital is two code points)', bytes('ŉ'), bytes('ŉ')],
  ['a 2-byte letter with a 3-byte capital', bytes('ɐ'), bytes('Ɐ')],
  ['dotless ı: 2 bytes become 1', bytes('ı'), bytes('I')],
  ['a lone invalid byte between letters', bytes('a', [0xe9], 'b'), bytes('A', [0xe9], 'B')],
  ['0xff and 0xfe are never UTF-8', bytes([0xff, 0xfe], 'x'), bytes([0xff, 0xfe], 'X')],
  ['a stray continuation byte', bytes([0x80], 'é'), bytes([0x80], 'É')],
  ['overlong "a" (C1 A1) is not a letter', bytes([0xc1, 0xa1]), bytes([0xc1, 0xa1])],
  ['overlong 3-byte (E0 81 A1)', bytes([0xe0, 0x81, 0xa1]), bytes([0xe0, 0x81, 0xa1])],
  ['overlong 4-byte (F0 80 81 A1)', bytes([0xf0, 0x80, 0x81, 0xa1]), bytes([0xf0, 0x80, 0x81, 0xa1])],
  ['a surrogate encoded in UTF-8 (ED A0 80) is invalid', bytes([0xed, 0xa0, 0x80], 'z'), bytes([0xed, 0xa0, 0x80], 'Z')],
  ['past U+10FFFF (F4 90 80 80) is invalid', bytes([0xf4, 0x90, 0x80, 0x80]), bytes([0xf4, 0x90, 0x80, 0x80])],
  ['a truncated é at the very end stays as it is', bytes('é', [0xc3]), bytes('É', [0xc3])],
  ['a lead byte followed by ASCII', bytes([0xc3], 'é'), bytes([0xc3], 'É')],
  ['empty', bytes(''), bytes('')],
];

test('a table of inputs: each upper-cased as Go would, invalid bytes kept', () => {
  for (const [what, input, want] of TABLE) assert.is(hex(upperUtf8(input)), hex(want), what);
});

test('split anywhere across chunks, the stream gives what the whole gives', () => {
  for (const [what, input, want] of TABLE) {
    for (let cut = 0; cut <= input.length; cut++) {
      for (let cut2 = cut; cut2 <= input.length; cut2++) {
        const up = new StreamUpper();
        const got = Buffer.concat([up.push(input.subarray(0, cut)), up.push(input.subarray(cut, cut2)), up.push(input.subarray(cut2)), up.end()]);
        assert.is(hex(got), hex(want), `${what}, cut at ${cut} and ${cut2}`);
      }
    }
  }
});

test('only an incomplete trailing character is held back, and only until the next chunk', () => {
  const up = new StreamUpper();
  const euro = Buffer.from('é€😀');
  // é is whole: out at once; € cut after its first byte: held.
  assert.is(Buffer.from(up.push(euro.subarray(0, 3))).toString(), 'É');
  assert.is(up.push(euro.subarray(3, 4)).length, 0, 'still incomplete');
  assert.is(Buffer.from(up.push(euro.subarray(4, 5))).toString(), '€');
  // An invalid byte is never held: nothing could complete it.
  assert.is(hex(up.push(Buffer.from([0xff]))), 'ff');
  // An incomplete character at the end of the stream comes out as it is.
  assert.is(up.push(euro.subarray(5, 8)).length, 0);
  assert.is(hex(up.end()), hex(euro.subarray(5, 8)));
});

test('ASCII-only input takes the byte-for-byte path, and one code point maps to one', () => {
  const ascii = Buffer.alloc(1000, 'abc XYZ');
  assert.is(hex(upperUtf8(ascii)), hex(upperAscii(ascii)));
  assert.is(upperCodePoint(0x61), 0x41);
  assert.is(upperCodePoint(0xdf), 0xdf, 'ß');
  assert.is(upperCodePoint(0x4f60), 0x4f60, '你');
  assert.is(upperCodePoint(0x10428), 0x10400, '𐐨');
});

test.run();
