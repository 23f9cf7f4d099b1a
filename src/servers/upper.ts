/**
 * `echo --upper`: capitals as Go's `strings.ToUpper` gives them (the seed 000 server's answer),
 * code point by code point, for the valid UTF-8 in the bytes. Two deliberate differences from Go:
 *
 * - bytes that are not valid UTF-8 are answered as they came; Go turns each into U+FFFD, but an
 *   echo that rewrites what it cannot read would corrupt binary payloads (issue 15 asks to keep them);
 * - a code point whose upper case JS gives as more than one code point (`ß` → `SS`, `ŉ` → `ʼN`) is
 *   kept, as Go keeps `ß`. Go's simple mapping has a one-code-point answer for a few of these (the
 *   Greek letters with ypogegrammeni, `ᾳ` → `ᾼ`); JS offers no simple mapping, so they stay too.
 *
 * Validity is Go's (utf8.DecodeRune): no overlong forms, no surrogates, nothing past U+10FFFF; an
 * invalid byte is passed on alone and decoding resumes at the next one.
 */

/** ASCII a-z to A-Z, byte by byte; everything else as it is. */
export function upperAscii(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}

const INVALID = -1;
const INCOMPLETE = 0;

/** The length of the valid UTF-8 sequence at `i` (1-4), INVALID, or INCOMPLETE when the bytes end inside a valid prefix. */
function sequenceAt(b: Uint8Array, i: number): number {
  const lead = b[i]!;
  if (lead < 0x80) return 1;
  let len: number;
  // The second byte's range is narrower after some leads: that is what rules out overlong
  // forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
  let lo = 0x80;
  let hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) len = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead === 0xe0) lo = 0xa0;
    else if (lead === 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead === 0xf0) lo = 0x90;
    else if (lead === 0xf4) hi = 0x8f;
  } else return INVALID;
  for (let k = 1; k < len; k++) {
    if (i + k >= b.length) return INCOMPLETE;
    const c = b[i + k]!;
    if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return INVALID;
  }
  return len;
}

function decode(b: Uint8Array, i: number, len: number): number {
  if (len === 2) return ((b[i]! & 0x1f) << 6) | (b[i + 1]! & 0x3f);
  if (len === 3) return ((b[i]! & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
  return ((b[i]! & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
}

function encode(cp: number, out: Uint8Array, at: number): number {
  if (cp < 0x80) {
    out[at] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[at + 2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  out[at] = 0xf0 | (cp >> 18);
  out[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[at + 3] = 0x80 | (cp & 0x3f);
  return 4;
}

/** The upper case of one code point when it is exactly one code point (Go's one-to-one mapping), else the code point itself. */
export function upperCodePoint(cp: number): number {
  const upper = String.fromCodePoint(cp).toUpperCase();
  const first = upper.codePointAt(0)!;
  return upper.length === (first > 0xffff ? 2 : 1) ? first : cp;
}

/**
 * Upper-cases the valid UTF-8 in `bytes`. When `final` is false, a valid but incomplete sequence
 * at the very end is held back: `kept` says how many bytes were not used.
 */
function upperSome(bytes: Uint8Array, final: boolean): { out: Uint8Array; kept: number } {
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i++;
  if (i === bytes.length) return { out: upperAscii(bytes), kept: 0 };
  // A 2-byte letter can have a 3-byte capital (ɐ → Ɐ), never more than that: twice the room is plenty.
  const out = new Uint8Array(bytes.length * 2);
  // The ASCII before the first other byte is written by the loop too: no copy of it on the side.
  let at = 0;
  for (i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out[at++] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
      i++;
      continue;
    }
    const len = sequenceAt(bytes, i);
    if (len === INCOMPLETE && !final) return { out: out.subarray(0, at), kept: bytes.length - i };
    if (len <= 0) {
      out[at++] = b;
      i++;
      continue;
    }
    at += encode(upperCodePoint(decode(bytes, i, len)), out, at);
    i += len;
  }
  return { out: out.subarray(0, at), kept: 0 };
}

/** One whole message (a datagram) in capitals, Go's way for valid UTF-8; other bytes as they are. */
export function upperUtf8(bytes: Uint8Array): Uint8Array {
  return upperSome(bytes, true).out;
}

/**
 * The same over a byte stream, whose reads may split a character: only an incomplete sequence at
 * the end of a chunk (3 bytes at most) waits for the next one, so a split letter is still
 * upper-cased; `end` gives back what is left, as it is.
 */
export class StreamUpper {
  private pending: Uint8Array = new Uint8Array(0);

  /** The capitals of `chunk` (and of what was held back before it), but for an incomplete last character. */
  push(chunk: Uint8Array): Uint8Array {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const { out, kept } = upperSome(bytes, false);
    this.pending = kept === 0 ? new Uint8Array(0) : bytes.slice(bytes.length - kept);
    return out;
  }

  /** What was held back, at the end of the stream: an incomplete character, passed on as it is. */
  end(): Uint8Array {
    const rest = this.pending;
    this.pending = new Uint8Array(0);
    return rest;
  }
}
