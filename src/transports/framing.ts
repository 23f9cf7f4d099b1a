/**
 * Rebuilds messages from a TCP byte stream, where one `write` is not one `read` (the "sticky
 * packet" problem): several messages can arrive in one chunk and one message over several.
 * Pure and bounded: no sockets, no timers, and never more than `maxBytes` (+1) bytes held.
 *
 * Three framings:
 * - `line` (the default, what `nc` speaks): a message ends at LF or CRLF; the terminator is
 *   not part of the message and does not count towards `maxBytes`. A lone CR is data.
 * - `length`: every frame is a 2-byte header, then the payload:
 *
 *       +--------+--------+-------------------------+
 *       | len hi | len lo |  len bytes of payload   |
 *       +--------+--------+-------------------------+
 *
 *   `len` is an unsigned 16-bit big-endian integer (network byte order), so a payload holds
 *   0 to 65535 bytes; 0 is an empty message. There is no trailer and no newline.
 * - `length-le`: the same with the header little-endian (`len lo`, then `len hi`), as the Go
 *   tutorials write it (`binary.Write(buf, binary.LittleEndian, int16(len(msg)))`). Go's header
 *   is a signed int16, so its senders announce 0 to 32767 bytes and that is what we send; a
 *   header read as 32768 or more (a negative length to Go) is taken as unsigned, which is over
 *   any message limit, and refused as too long like any frame over the limit.
 *
 * A header that is over the limit but within it with its two bytes swapped (29 sent
 * little-endian reads 7424 big-endian) is reported with the framing it looks like, so the
 * refusal can say which flag to use.
 *
 * Messages come out as bytes, not text: the caller decodes after framing, so a UTF-8
 * character split across two chunks stays whole.
 */
import { ChatError } from '../core/errors.js';

/** The framings a TCP peer can speak. */
export type FramingName = 'line' | 'length' | 'length-le';

/** Every framing, in the order `--framing` offers them. */
export const FRAMINGS: readonly FramingName[] = ['line', 'length', 'length-le'];

/** One event out of the decoder. */
export type FrameEvent =
  // One complete message (for 'line' framing: without the trailing \n or \r\n).
  | { kind: 'message'; bytes: Uint8Array }
  // A message over maxBytes was discarded (size: how many bytes were seen/announced). looksLike:
  // a length header that is within maxBytes with its bytes swapped, read in the other byte order.
  | { kind: 'oversize'; size: number; looksLike?: FramingName };

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
  /**
   * How many events push(chunk) would make now, without making them or changing any state: the
   * messages the page's timeline shows for one read, counted when the read comes, before a
   * peer's message budget may hand them to the room a few at a time.
   */
  count(chunk: Uint8Array): number;
  /** How many events end() would make now (a last line without its newline: 1), without making them. */
  endCount(): number;
  /** Bytes currently held waiting for the end of a message (never more than maxBytes + 1). */
  readonly buffered: number;
  /** The stream ended: returns a last line that had no newline (`printf a | nc`); a cut length frame is lost. */
  end(): FrameEvent[];
}

/** Length framing's header size in bytes. */
export const LENGTH_HEADER_BYTES = 2;

/** Length framing's largest payload: what the 16-bit header can announce. */
export const MAX_LENGTH_FRAME = 65535;

/** Little-endian length framing's largest payload we send: Go's header is a signed int16. */
export const MAX_LENGTH_LE_FRAME = 32767;

/** The largest payload a framing's header can announce to its readers (line framing has no header: length's). */
export function maxFrame(framing: FramingName): number {
  return framing === 'length-le' ? MAX_LENGTH_LE_FRAME : MAX_LENGTH_FRAME;
}

/** What a refusal adds when a length header looks like the other byte order's: which flag to use. */
export function framingHint(looksLike: FramingName): string {
  return `looks ${looksLike === 'length-le' ? 'little' : 'big'}-endian: try --framing ${looksLike}`;
}

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
  if (framing === 'length') return new LengthDeframer(maxBytes, false);
  if (framing === 'length-le') return new LengthDeframer(maxBytes, true);
  throw unknownFraming(framing);
}

function unknownFraming(framing: unknown): ChatError {
  return new ChatError('ERR_BAD_ARGUMENT', `unknown framing ${JSON.stringify(framing)}: use ${FRAMINGS.join(', ')}`);
}

/** Encodes one message for the wire: a line ending in \n, or a 2-byte length (big- or little-endian) then the payload. */
export function encodeFrame(framing: FramingName, payload: Uint8Array): Uint8Array {
  if (framing === 'line') {
    // A payload that already ends its line goes out as is; one holding inner \n is several lines.
    if (payload.length > 0 && payload[payload.length - 1] === LF) return payload;
    const out = new Uint8Array(payload.length + 1);
    out.set(payload);
    out[payload.length] = LF;
    return out;
  }
  if (framing === 'length' || framing === 'length-le') {
    const most = maxFrame(framing);
    if (payload.length > most) {
      throw new ChatError('ERR_MESSAGE_TOO_LONG', `a ${framing} frame holds at most ${most} bytes, got ${payload.length}`);
    }
    const out = new Uint8Array(LENGTH_HEADER_BYTES + payload.length);
    const hi = payload.length >>> 8;
    const lo = payload.length & 0xff;
    out[0] = framing === 'length' ? hi : lo;
    out[1] = framing === 'length' ? lo : hi;
    out.set(payload, LENGTH_HEADER_BYTES);
    return out;
  }
  throw unknownFraming(framing);
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

/**
 * The LFs in a chunk and where the last is (-1: none), in a plain loop: indexOf is a call into
 * C++ per line, the cost that made a flood of newlines expensive.
 */
function lineFeeds(chunk: Uint8Array): { lfs: number; last: number } {
  let lfs = 0;
  let last = -1;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] === LF) {
      lfs += 1;
      last = i;
    }
  }
  return { lfs, last };
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

  endCount(): number {
    return this.#discarding || this.#held.length === 0 ? 0 : 1;
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
    // that ends a line already reported as oversize: so count LFs.
    const { lfs, last } = lineFeeds(chunk);
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

  count(chunk: Uint8Array): number {
    // discard()'s count, on copies of the state: every LF ends one event but the one that ends a
    // line already reported as oversize, and a tail past the hold limit is one more.
    const { lfs, last } = lineFeeds(chunk);
    let count = 0;
    let discarding = this.#discarding;
    let held = this.#held.length;
    if (lfs > 0) {
      count = discarding ? lfs - 1 : lfs;
      discarding = false;
      held = 0;
    }
    if (last + 1 < chunk.length && !discarding) {
      const total = held + (chunk.length - last - 1);
      if (total > this.#max + 1 || (total === this.#max + 1 && chunk[chunk.length - 1] !== CR)) count += 1;
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

/** A 16-bit header from its bytes in the order they came. */
function header(first: number, second: number, littleEndian: boolean): number {
  return littleEndian ? first | (second << 8) : (first << 8) | second;
}

/** The header with its two bytes swapped: what the sender meant if it used the other byte order. */
function swapped(size: number): number {
  return ((size & 0xff) << 8) | (size >>> 8);
}

class LengthDeframer implements Deframer {
  readonly #max: number;
  readonly #le: boolean;
  // The first header byte when a chunk ended between the two.
  #headerFirst = -1;
  // Payload bytes still expected for the current frame, or -1 while reading a header.
  #want = -1;
  // The payload received so far of a frame that straddles chunks, allocated at its exact size.
  #payload: Uint8Array = EMPTY;
  #have = 0;
  // Payload bytes of an oversize frame still to drop; counted, never stored.
  #skip = 0;

  constructor(maxBytes: number, littleEndian: boolean) {
    this.#max = maxBytes;
    this.#le = littleEndian;
  }

  end(): FrameEvent[] {
    return [];
  }

  endCount(): number {
    return 0;
  }

  get buffered(): number {
    return this.#have + (this.#headerFirst >= 0 ? 1 : 0);
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

  count(chunk: Uint8Array): number {
    // #frame's walk over headers and payload lengths, on copies of the state, storing nothing.
    let headerFirst = this.#headerFirst;
    let want = this.#want;
    let have = this.#have;
    let skip = this.#skip;
    const end = chunk.length;
    let i = 0;
    let count = 0;
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, end - i);
        skip -= n;
        i += n;
        if (skip > 0) break;
      }
      if (want < 0) {
        let size: number;
        if (headerFirst >= 0) {
          if (i >= end) break;
          size = header(headerFirst, chunk[i]!, this.#le);
          headerFirst = -1;
          i += 1;
        } else if (end - i >= LENGTH_HEADER_BYTES) {
          size = header(chunk[i]!, chunk[i + 1]!, this.#le);
          i += LENGTH_HEADER_BYTES;
        } else break;
        if (size > this.#max) {
          count += 1;
          skip = size;
          continue;
        }
        want = size;
      }
      if (end - i < want - have) break;
      i += want - have;
      count += 1;
      want = -1;
      have = 0;
    }
    return count;
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
        if (this.#headerFirst >= 0) {
          if (i >= end) break;
          size = header(this.#headerFirst, chunk[i]!, this.#le);
          this.#headerFirst = -1;
          i += 1;
        } else if (end - i >= LENGTH_HEADER_BYTES) {
          size = header(chunk[i]!, chunk[i + 1]!, this.#le);
          i += LENGTH_HEADER_BYTES;
        } else {
          if (i < end) this.#headerFirst = chunk[i++]!;
          break;
        }
        if (size > this.#max) {
          // Skipping exactly the announced bytes keeps us in step with the sender's next header.
          // (A sender in the other byte order is out of step already: the hint says how to fix it.)
          const other = swapped(size) <= this.#max ? { looksLike: (this.#le ? 'length' : 'length-le') as FramingName } : {};
          events.push({ kind: 'oversize', size, ...other });
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
