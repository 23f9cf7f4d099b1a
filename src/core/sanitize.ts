/**
 * What reaches a terminal. Text from the network is decoded as UTF-8 (an invalid byte becomes
 * U+FFFD) and every character that could move a cursor, ring a bell, start an escape sequence
 * or reorder text is replaced by a visible escape such as `\x1b` or `\u202e`. The sequence that
 * follows an ESC is then plain printable text, so no CSI, OSC or DCS can take effect.
 * `util.stripVTControlCharacters` is not enough: it leaves BEL, NUL, CR and U+202E.
 */

// C0 controls but TAB, DEL, C1 controls, the bidi embeddings/overrides/isolates and marks,
// and the Unicode line and paragraph separators (which some terminals treat as newlines).
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Replaces every unsafe character with a visible escape; safe text is returned as is. */
export function escapeControls(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/** True when the text holds a character that escapeControls would replace. */
export function hasControls(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

/** Decodes bytes from the network as UTF-8, invalid sequences as U+FFFD. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Turns one message from the wire into safe text: decode, drop one trailing `\n` or `\r\n`
 * (what `nc` appends), then escape what remains.
 */
export function messageText(bytes: Uint8Array, length = messageLength(bytes)): string {
  return escapeControls(decodeText(length === bytes.length ? bytes : bytes.subarray(0, length)));
}

/** A message's length in bytes without one trailing `\n` or `\r\n`: what the size limit counts. */
export function messageLength(bytes: Uint8Array): number {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) {
    end -= 1;
    if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
  }
  return end;
}
