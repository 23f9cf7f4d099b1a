/**
 * `echo --close-on WORD`, the seed 000 TCP echo's `exit`: a line that is exactly WORD (before its
 * `\n` or `\r\n`) closes the connection, without being echoed, as the seed returns before its
 * write. Lines before it are echoed; bytes after it are not. The echo stays a byte stream: only
 * the start of a line that could still turn out to be WORD waits for more bytes (WORD's length
 * plus two at most), everything else passes on as it comes.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Whether the line starting at `i` is the word line, is not, or may be (the bytes end first). */
function wordLineAt(bytes: Uint8Array, i: number, word: Uint8Array): 'yes' | 'no' | 'maybe' {
  for (let k = 0; k < word.length; k++) {
    if (i + k >= bytes.length) return 'maybe';
    if (bytes[i + k] !== word[k]) return 'no';
  }
  let j = i + word.length;
  if (j < bytes.length && bytes[j] === CR) j++;
  if (j >= bytes.length) return 'maybe';
  return bytes[j] === LF ? 'yes' : 'no';
}

/** Finds the close word in a byte stream, chunk by chunk. */
export class CloseOnLine {
  private readonly word: Uint8Array;
  /** The start of a line held back because it may still be the word line. */
  private held: Uint8Array = new Uint8Array(0);
  /** True at the start of a line. */
  private atLineStart = true;
  private found = false;

  constructor(word: string) {
    this.word = new TextEncoder().encode(word);
  }

  /** True once the word line was seen; nothing more is passed on. */
  get closed(): boolean {
    return this.found;
  }

  /** What of `chunk` to echo now: always a prefix of what was held and the chunk. Check `closed` afterwards. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.found) return new Uint8Array(0);
    const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    this.held = new Uint8Array(0);
    let i = 0;
    while (i < bytes.length) {
      if (!this.atLineStart) {
        const lf = bytes.indexOf(LF, i);
        if (lf === -1) return bytes;
        i = lf + 1;
        this.atLineStart = true;
        continue;
      }
      const verdict = wordLineAt(bytes, i, this.word);
      if (verdict === 'yes') {
        this.found = true;
        return bytes.subarray(0, i);
      }
      if (verdict === 'maybe') {
        this.held = bytes.slice(i);
        return bytes.subarray(0, i);
      }
      this.atLineStart = false;
    }
    return bytes;
  }

  /** At the end of the stream: the held start of a line that never ended, passed on as it is. */
  end(): Uint8Array {
    const rest = this.held;
    this.held = new Uint8Array(0);
    return rest;
  }
}
