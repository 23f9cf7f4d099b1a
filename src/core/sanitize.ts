/**
 * What reaches a terminal. Text from the network is decoded as UTF-8 (an invalid byte becomes
 * U+FFFD) and every character that could move a cursor, ring a bell, start an escape sequence,
 * reorder text or hide in it is replaced by a visible escape such as `\x1b`, `\u202e` or
 * `\u3164`. The sequence that follows an ESC is then plain printable text, so no CSI, OSC or DCS
 * can take effect. `util.stripVTControlCharacters` is not enough: it leaves BEL, NUL, CR and U+202E.
 *
 * The room also caps runs of blanks in what it relays (capBlanks), so a message cannot push
 * its next words to the start of the reader's next terminal line with 72 invisible spaces and
 * have them pass for a line of their own (`* bob left (quit)`).
 */

// C0 controls but TAB, DEL, C1 controls, the Unicode line and paragraph separators (which some
// terminals treat as newlines), and runs of format characters (bidi embeddings, overrides,
// isolates and marks, zero-width spaces, tags, the BOM) and other default-ignorables (variation
// selectors, Hangul fillers: drawn as nothing, some of them as wide as a letter).
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]|[\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu;
const UNSAFE_CHAR = /^[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
// Invisible, but part of how text is written: a joiner in an emoji sequence or a Persian word, an
// emoji or Mongolian variation selector. Kept when at most two of them follow a visible character.
const JOINERS = /^[\u200c\u200d\ufe00-\ufe0f\u180b-\u180d\u180f\u{e0100}-\u{e01ef}]{1,2}$/u;
// Blanks: TABs, spaces of any width (Zs), the braille blank. A combining mark stacked on one is
// all but invisible and takes no column of its own, so it belongs to the run.
const BLANK_CHAR = /^[\t\p{Zs}\u2800]$/u;
const MARK_CHAR = /^\p{M}$/u;
const BLANK_RUN = /(?:[\t\p{Zs}\u2800]\p{M}*)+/gu;

// What each character is, looked up once per code point of the BMP and kept (64 KiB): the
// property escapes above are costly per character, a table lookup is not, and the relay's hot
// path scans every message. Astral code points (emoji) are classified each time.
const SAFE = 0;
const UNSAFE_KIND = 1;
const BLANK = 2;
const MARK = 3;
const UNKNOWN = 0xff;
const kinds = new Uint8Array(0x10000).fill(UNKNOWN);

function classify(ch: string): number {
  if (UNSAFE_CHAR.test(ch)) return UNSAFE_KIND;
  if (BLANK_CHAR.test(ch)) return BLANK;
  return MARK_CHAR.test(ch) ? MARK : SAFE;
}

function kindOf(code: number): number {
  if (code > 0xffff) return classify(String.fromCodePoint(code));
  let kind = kinds[code]!;
  if (kind === UNKNOWN) kinds[code] = kind = classify(String.fromCharCode(code));
  return kind;
}

/** Columns a blank takes: a TAB up to 8, an ideographic space 2, any other 1. */
function blankWidth(code: number): number {
  return code === 0x09 ? 8 : code === 0x3000 ? 2 : 1;
}

/**
 * One pass over the text: true when it holds a character to escape, or (with `maxBlank` above 0)
 * a run of blanks wider than `maxBlank` columns, or a mark stacked on a blank. Most messages do
 * not, and are returned as they are without a regular expression run on them.
 */
function needsWork(text: string, maxBlank: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      code = text.codePointAt(i)!;
      if (code > 0xffff) i += 1;
    }
    const kind = kindOf(code);
    if (kind === SAFE) run = 0;
    else if (kind === UNSAFE_KIND) return true;
    else if (maxBlank <= 0) run = 0;
    else if (kind === BLANK) {
      run += blankWidth(code);
      if (run > maxBlank) return true;
    } else if (run > 0) return true;
  }
  return false;
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * True when the base character before `offset` is visible: not a blank, a control or another
 * invisible character, nor the start of the text. Combining marks are stepped over (a virama
 * before a joiner is Indic writing; a mark stacked on a space is no visible base), and a
 * surrogate pair (an emoji) is taken whole.
 */
function visibleBefore(text: string, offset: number): boolean {
  let i = offset;
  while (i > 0) {
    i -= 1;
    const unit = text.charCodeAt(i);
    if (i > 0 && unit >= 0xdc00 && unit <= 0xdfff) i -= 1;
    const kind = kindOf(text.codePointAt(i)!);
    if (kind !== MARK) return kind === SAFE;
  }
  return false;
}

function escapeMatch(match: string, offset: number, text: string): string {
  if (JOINERS.test(match) && visibleBefore(text, offset)) return match;
  let out = '';
  for (const ch of match) out += escapeChar(ch);
  return out;
}

/** Replaces every unsafe character with a visible escape; safe text is returned as is. */
export function escapeControls(text: string): string {
  return needsWork(text, 0) ? text.replace(UNSAFE, escapeMatch) : text;
}

/** True when the text holds a character that escapeControls may replace (it keeps a joiner after a letter). */
export function hasControls(text: string): boolean {
  return needsWork(text, 0);
}

function spanWidth(run: string): number {
  let width = 0;
  for (const ch of run) {
    const code = ch.codePointAt(0)!;
    if (kindOf(code) === BLANK) width += blankWidth(code);
  }
  return width;
}

/**
 * Replaces every run of blanks wider than `max` columns (TAB 8, an ideographic space 2) with
 * `max` plain spaces; `max` 0 leaves the text alone. Shorter runs, indentation and alignment
 * within a line, are kept as they are.
 */
export function capBlanks(text: string, max: number): string {
  if (max <= 0 || !needsWork(text, max)) return text;
  return text.replace(BLANK_RUN, (run) => (spanWidth(run) > max ? ' '.repeat(max) : run));
}

/** Decodes bytes from the network as UTF-8, invalid sequences as U+FFFD. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Turns one message from the wire into safe text: decode, drop one trailing `\n` or `\r\n`
 * (what `nc` appends), escape what remains, and cap its runs of blanks at `maxBlankRun` columns
 * (0: no cap).
 */
export function messageText(bytes: Uint8Array, length = messageLength(bytes), maxBlankRun = 0, plain = plainAscii(bytes, length, maxBlankRun)): string {
  const text = decodeText(length === bytes.length ? bytes : bytes.subarray(0, length));
  return plain ? text : safeText(text, maxBlankRun);
}

/** Text already decoded (a message another server relays) made safe as messageText makes a peer's. */
export function safeText(text: string, maxBlankRun = 0): string {
  if (!needsWork(text, maxBlankRun)) return text;
  const safe = escapeControls(text);
  return maxBlankRun > 0 ? capBlanks(safe, maxBlankRun) : safe;
}

/**
 * True when the first `length` bytes are printable ASCII with no run of more than `maxSpaces`
 * spaces (0: any run): most chat lines, settled by one pass over the bytes (the relay's hot path).
 * The room asks once per message and hands the answer to messageText and dispatch both.
 */
export function plainAscii(bytes: Uint8Array, length: number, maxSpaces: number): boolean {
  const most = maxSpaces > 0 ? maxSpaces : Infinity;
  let spaces = 0;
  for (let i = 0; i < length; i++) {
    const b = bytes[i]!;
    if (b === 0x20) {
      if (++spaces > most) return false;
    } else if (b < 0x20 || b > 0x7e) return false;
    else spaces = 0;
  }
  return true;
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
