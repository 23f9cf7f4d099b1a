/**
 * Rebuilds messages from a TCP byte stream, where one `write` is not one `read` (the "sticky
 * packet" problem): several messages can arrive in one chunk and one message over several.
 * Pure and bounded: no sockets, no timers, and never more than `maxBytes` (+1) bytes held.
 *
 * Two framings:
 * - `line` (the default, what `nc` speaks): a message ends at LF or CRLF; the terminator is
 *   not part of the message and does not count towards `maxBytes`. A lone CR is data.
 * - `length`: every frame is a 2-byte header, then the payload:
 *
 *       +--------+--------+-------------------------+
 *       | len hi | len lo |  len bytes of payload   |
 *       +--------+--------+-------------------------+
 *
 *   `len` is an unsigned 16-bit big-endian integer (network byte order), so a payload holds
 *   0 to 65535 bytes; 0 is an empty message. There is no trailer and no newline. The Go
 *   tutorials' version of this fix writes a signed int16 little-endian instead: a client
 *   ported from them must switch to big-endian to talk to us.
 *
 * Messages come out as bytes, not text: the caller decodes after framing, so a UTF-8
 * character split across two chunks stays whole.
 */
import { ChatError } from '../core/errors.js';

/** The framings a TCP peer can speak. */
export type FramingName = 'line' | 'length';

/** One event out of the decoder. */
export type FrameEvent =
  // One complete message (for 'line' framing: without the trailing \n or \r\n).
  | { kind: 'message'; bytes: Uint8Array }
  // A message over maxBytes was discarded (size: how many bytes were seen/announced).
  | { kind: 'oversize'; size: number };

/** Turns the chunks read from one connection into messages; one per connection, it keeps state. */
export interface Deframer {
  /** Feed one chunk as read from the socket; returns the events it completes, in order. */
  push(chunk: Uint8Array): FrameEvent[];
  /**
   * Like push, but stops after `most` events: `used` is how many bytes of the chunk it took, and
   * the caller feeds the rest later (a peer out of message budget is read no further for now).
   * Pushing a chunk in such pieces yields the same events as pushing it whole.
   */
  pushSome(chunk: Uint8Array, most: number): { events: FrameEvent[]; used: number };
  /**
   * Frames the chunk as push would and returns how many events that made, without making them:
   * what a peer sent after it left is counted, and a 64 KiB read of newlines is 65,536 of them.
   */
  discard(chunk: Uint8Array): number;
  /** Bytes currently held waiting for the end of a message (never more than maxBytes + 1). */
  readonly buffered: number;
  /** The stream ended: returns a last line that had no newline (`printf a | nc`); a cut length frame is lost. */
  end(): FrameEvent[];
}

/** Length framing's header size in bytes. */
export const LENGTH_HEADER_BYTES = 2;

/** Length framing's largest payload: what the 16-bit header can announce. */
export const MAX_LENGTH_FRAME = 65535;

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);
/** What the length framer's discard() counts in place of each event: one shared object, nothing made per message. */
const SKIPPED: FrameEvent = { kind: 'oversize', size: 0 };

/** A deframer for one connection; maxBytes is the largest message it lets through. */
export function createDeframer(framing: FramingName, maxBytes: number): Deframer {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new ChatError('ERR_BAD_ARGUMENT', `maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
  if (framing === 'line') return new LineDeframer(maxBytes);
  if (framing === 'length') return new LengthDeframer(maxBytes);
  throw new ChatError('ERR_BAD_ARGUMENT', `unknown framing ${JSON.stringify(framing)}: use line or length`);
}

/** Encodes one message for the wire: a line ending in \n, or a 2-byte big-endian length then the payload. */
export function encodeFrame(framing: FramingName, payload: Uint8Array): Uint8Array {
  if (framing === 'line') {
    // A payload that already ends its line goes out as is; one holding inner \n is several lines.
    if (payload.length > 0 && payload[payload.length - 1] === LF) return payload;
    const out = new Uint8Array(payload.length + 1);
    out.set(payload);
    out[payload.length] = LF;
    return out;
  }
  if (framing === 'length') {
    if (payload.length > MAX_LENGTH_FRAME) {
      throw new ChatError(
        'ERR_MESSAGE_TOO_LONG',
        `a length frame holds at most ${MAX_LENGTH_FRAME} bytes, got ${payload.length}`,
      );
    }
    const out = new Uint8Array(LENGTH_HEADER_BYTES + payload.length);
    out[0] = payload.length >>> 8;
    out[1] = payload.length & 0xff;
    out.set(payload, LENGTH_HEADER_BYTES);
    return out;
  }
  throw new ChatError('ERR_BAD_ARGUMENT', `unknown framing ${JSON.stringify(framing)}: use line or length`);
}

/** The bytes of a message that straddles chunks, copied so the caller may reuse its chunk buffers. */
class Held {
  bytes: Uint8Array = EMPTY;
  length = 0;

  /** Appends part of a chunk, growing by doubling (amortised O(n)) but never past `cap`. */
  append(chunk: Uint8Array, start: number, end: number, cap: number): void {
    const need = this.length + (end - start);
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.min(cap, Math.max(need, 64, this.bytes.length * 2)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk.subarray(start, end), this.length);
    this.length = need;
  }

  /** The held bytes followed by chunk[start, end), as one new exact-size array; then empties. */
  take(chunk: Uint8Array, start: number, end: number): Uint8Array {
    const out = new Uint8Array(this.length + (end - start));
    out.set(this.bytes.subarray(0, this.length));
    out.set(chunk.subarray(start, end), this.length);
    this.clear();
    return out;
  }

  /** Lets go of the storage too, so an idle connection holds nothing. */
  clear(): void {
    this.bytes = EMPTY;
    this.length = 0;
  }
}

class LineDeframer implements Deframer {
  readonly #max: number;
  readonly #held = new Held();
  // True after an over-long line was reported: its remaining bytes are dropped up to the next LF.
  #discarding = false;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  get buffered(): number {
    return this.#held.length;
  }

  end(): FrameEvent[] {
    const held = this.#held;
    if (this.#discarding || held.length === 0) return [];
    const size = held.bytes[held.length - 1] === CR ? held.length - 1 : held.length;
    const bytes = held.bytes.slice(0, size);
    held.clear();
    return [{ kind: 'message', bytes }];
  }

  push(chunk: Uint8Array): FrameEvent[] {
    return this.pushSome(chunk, Infinity).events;
  }

  discard(chunk: Uint8Array): number {
    // Every LF ends a line, and a line is one event (a message or an oversize), except the LF
    // that ends a line already reported as oversize: so count LFs, in a plain loop (indexOf is a
    // call into C++ per line, the cost that made a flood of newlines expensive).
    let lfs = 0;
    let last = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === LF) {
        lfs += 1;
        last = i;
      }
    }
    let count = 0;
    if (lfs > 0) {
      count = this.#discarding ? lfs - 1 : lfs;
      this.#discarding = false;
      this.#held.clear();
    }
    if (last + 1 < chunk.length) {
      const tail: FrameEvent[] = [];
      this.#hold(chunk, last + 1, tail);
      count += tail.length;
    }
    return count;
  }

  pushSome(chunk: Uint8Array, most: number): { events: FrameEvent[]; used: number } {
    const events: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length && events.length < most) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.#hold(chunk, start, events);
        start = chunk.length;
        break;
      }
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        this.#complete(chunk, start, lf, events);
      }
      start = lf + 1;
    }
    return { events, used: start };
  }

  /** The line made of the held bytes and chunk[start, lf) has ended. */
  #complete(chunk: Uint8Array, start: number, lf: number, events: FrameEvent[]): void {
    const held = this.#held;
    const last = lf > start ? chunk[lf - 1] : held.length > 0 ? held.bytes[held.length - 1] : undefined;
    const total = held.length + (lf - start);
    const size = last === CR ? total - 1 : total;
    if (size > this.#max) {
      // The whole line is known here (it was under the hold limit until this chunk): exact size.
      held.clear();
      events.push({ kind: 'oversize', size });
    } else if (held.length === 0) {
      events.push({ kind: 'message', bytes: chunk.subarray(start, start + size) });
    } else if (size < held.length) {
      // The CR of a CRLF was the last held byte and the LF opens this chunk.
      const bytes = held.bytes.slice(0, size);
      held.clear();
      events.push({ kind: 'message', bytes });
    } else {
      events.push({ kind: 'message', bytes: held.take(chunk, start, start + size - held.length) });
    }
  }

  /** chunk[start, end) is the start of a line whose end has not arrived yet. */
  #hold(chunk: Uint8Array, start: number, events: FrameEvent[]): void {
    if (this.#discarding) return;
    const held = this.#held;
    const total = held.length + (chunk.length - start);
    // One byte over maxBytes may still be the CR of a CRLF; anything more cannot fit.
    // Checked before copying, so an endless line never costs more than maxBytes + 1 bytes.
    if (total > this.#max + 1 || (total === this.#max + 1 && chunk[chunk.length - 1] !== CR)) {
      held.clear();
      this.#discarding = true;
      // Reported at once, so the caller can act on a peer that never sends a newline;
      // size is what was seen so far, a lower bound for a line that goes on.
      events.push({ kind: 'oversize', size: total });
      return;
    }
    held.append(chunk, start, chunk.length, this.#max + 1);
  }
}

class LengthDeframer implements Deframer {
  readonly #max: number;
  // The first header byte when a chunk ended between the two.
  #headerHi = -1;
  // Payload bytes still expected for the current frame, or -1 while reading a header.
  #want = -1;
  // The payload received so far of a frame that straddles chunks, allocated at its exact size.
  #payload: Uint8Array = EMPTY;
  #have = 0;
  // Payload bytes of an oversize frame still to drop; counted, never stored.
  #skip = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  end(): FrameEvent[] {
    return [];
  }

  get buffered(): number {
    return this.#have + (this.#headerHi >= 0 ? 1 : 0);
  }

  push(chunk: Uint8Array): FrameEvent[] {
    return this.#frame(chunk, Infinity, true).events;
  }

  pushSome(chunk: Uint8Array, most: number): { events: FrameEvent[]; used: number } {
    return this.#frame(chunk, most, true);
  }

  discard(chunk: Uint8Array): number {
    return this.#frame(chunk, Infinity, false).events.length;
  }

  /** Frames up to `most` events; `keep` false puts SKIPPED in place of each whole-in-chunk payload. */
  #frame(chunk: Uint8Array, most: number, keep: boolean): { events: FrameEvent[]; used: number } {
    const events: FrameEvent[] = [];
    const end = chunk.length;
    let i = 0;
    while (events.length < most) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - i);
        this.#skip -= n;
        i += n;
        if (this.#skip > 0) break;
      }
      if (this.#want < 0) {
        let size: number;
        if (this.#headerHi >= 0) {
          if (i >= end) break;
          size = (this.#headerHi << 8) | chunk[i]!;
          this.#headerHi = -1;
          i += 1;
        } else if (end - i >= LENGTH_HEADER_BYTES) {
          size = (chunk[i]! << 8) | chunk[i + 1]!;
          i += LENGTH_HEADER_BYTES;
        } else {
          if (i < end) this.#headerHi = chunk[i++]!;
          break;
        }
        if (size > this.#max) {
          // Skipping exactly the announced bytes keeps us in step with the sender's next header.
          events.push({ kind: 'oversize', size });
          this.#skip = size;
          continue;
        }
        this.#want = size;
      }
      const want = this.#want;
      if (this.#have === 0 && end - i >= want) {
        // The whole payload is in this chunk: hand out a view of it (this also covers 0 bytes).
        events.push(keep ? { kind: 'message', bytes: chunk.subarray(i, i + want) } : SKIPPED);
        i += want;
        this.#want = -1;
        continue;
      }
      if (i >= end) break;
      if (this.#have === 0) this.#payload = new Uint8Array(want);
      const n = Math.min(want - this.#have, end - i);
      this.#payload.set(chunk.subarray(i, i + n), this.#have);
      this.#have += n;
      i += n;
      if (this.#have < want) break;
      events.push({ kind: 'message', bytes: this.#payload });
      this.#payload = EMPTY;
      this.#have = 0;
      this.#want = -1;
    }
    return { events, used: i };
  }
}
