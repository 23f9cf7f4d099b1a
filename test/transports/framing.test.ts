import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import {
  LENGTH_HEADER_BYTES,
  MAX_LENGTH_FRAME,
  MAX_LENGTH_LE_FRAME,
  createDeframer,
  framingHint,
  encodeFrame,
  type Deframer,
  type FrameEvent,
  type FramingName,
} from '../../src/transports/framing.js';
import { seededRandom } from '../../src/transports/random.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds every chunk to one deframer and returns all the events, in order. */
function feed(deframer: Deframer, chunks: Uint8Array[]): FrameEvent[] {
  return chunks.flatMap((chunk) => deframer.push(chunk));
}

/** Events as strings, easy to compare: a message's text, or `oversize N`. */
function show(events: FrameEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? decoder.decode(e.bytes) : `oversize ${e.size}`));
}

/** Like show, but an oversize event without its size, which depends on where the chunks were cut. */
function showKinds(events: FrameEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? decoder.decode(e.bytes) : 'oversize'));
}

function lines(chunks: string[], maxBytes = 100): string[] {
  return show(feed(createDeframer('line', maxBytes), chunks.map(bytes)));
}

/** A length frame by hand, so the decoder is not only tested against our own encoder. */
function frame(text: string): Uint8Array {
  const payload = bytes(text);
  return concat(new Uint8Array([payload.length >> 8, payload.length & 0xff]), payload);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ChatError);
    assert.is((err as ChatError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}


/**
 * Checks that a buffer gives the same events however it is cut: once whole, at every single cut,
 * at every pair of cuts, and one byte at a time.
 */
function assertSameAtEverySplit(framing: FramingName, maxBytes: number, wire: Uint8Array, expected: string[]): void {
  const run = (chunks: Uint8Array[]): string[] => showKinds(feed(createDeframer(framing, maxBytes), chunks));
  assert.equal(run([wire]), expected, 'whole');
  for (let i = 0; i <= wire.length; i++) {
    assert.equal(run([wire.subarray(0, i), wire.subarray(i)]), expected, `cut at ${i}`);
    for (let j = i; j <= wire.length; j++) {
      const chunks = [wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)];
      assert.equal(run(chunks), expected, `cut at ${i} and ${j}`);
    }
  }
  const oneByOne = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
  assert.equal(run(oneByOne), expected, 'one byte at a time');
}

const line = suite('line framing');

line('several lines in one chunk are several messages', () => {
  assert.equal(lines(['hello\nworld\nthird\n']), ['hello', 'world', 'third']);
});

line('one line spread over several chunks is one message', () => {
  assert.equal(lines(['he', 'll', 'o wor', 'ld\n']), ['hello world']);
});

line('chunks that merge the end of one line with the start of the next give both lines', () => {
  assert.equal(lines(['one\ntw', 'o\nthr', 'ee\n']), ['one', 'two', 'three']);
});

line('CRLF ends a line and neither byte is kept', () => {
  assert.equal(lines(['a\r\nb\r\n']), ['a', 'b']);
});

line('a CR and its LF in different chunks still end the line cleanly', () => {
  assert.equal(lines(['abc\r', '\nnext\r', '\n']), ['abc', 'next']);
});

line('a lone CR inside a line is kept as data', () => {
  assert.equal(lines(['a\rb\n']), ['a\rb']);
  assert.equal(lines(['a\r', 'b\n']), ['a\rb']);
  assert.equal(lines(['\r\r\n']), ['\r']);
});

line('empty lines are empty messages', () => {
  assert.equal(lines(['\n\r\n\n']), ['', '', '']);
  assert.equal(lines(['a\n', '\n', 'b\n']), ['a', '', 'b']);
});

line('a line without its newline is held, not emitted', () => {
  const deframer = createDeframer('line', 100);
  assert.equal(deframer.push(bytes('partial')), []);
  assert.is(deframer.buffered, 7);
  assert.equal(show(deframer.push(bytes('\n'))), ['partial']);
  assert.is(deframer.buffered, 0);
});

line('an empty chunk completes nothing and changes nothing', () => {
  const deframer = createDeframer('line', 100);
  deframer.push(bytes('ab'));
  assert.equal(deframer.push(new Uint8Array(0)), []);
  assert.is(deframer.buffered, 2);
});

line('messages from a chunk of whole lines are views of that chunk, not copies', () => {
  const chunk = bytes('one\ntwo\n');
  const events = createDeframer('line', 100).push(chunk);
  assert.is(events.length, 2);
  for (const e of events) {
    assert.is(e.kind, 'message');
    if (e.kind === 'message') assert.is(e.bytes.buffer, chunk.buffer);
  }
});

line('a line joined across chunks does not change when the caller reuses its chunk buffer', () => {
  const deframer = createDeframer('line', 100);
  const chunk = bytes('abc');
  deframer.push(chunk);
  chunk.fill(0x78);
  assert.equal(show(deframer.push(bytes('d\n'))), ['abcd']);
});

line('every split point of a multi-message buffer gives the same messages', () => {
  const wire = bytes('hi\r\n\nsp\rlit\né\n0123456789ABC\nlast\r\n');
  const expected = ['hi', '', 'sp\rlit', 'é', 'oversize', 'last'];
  assertSameAtEverySplit('line', 8, wire, expected);
});

line('a line of exactly maxBytes passes, with LF or CRLF, however it is cut', () => {
  assertSameAtEverySplit('line', 4, bytes('abcd\nefgh\r\nijkl\r\n'), ['abcd', 'efgh', 'ijkl']);
  assertSameAtEverySplit('line', 4, bytes('abcde\nabcd\r\r\nok\n'), ['oversize', 'oversize', 'ok']);
});

line('an over-long line gives one oversize event and the next line still arrives', () => {
  assert.equal(lines(['0123456789\nnext\n'], 5), ['oversize 10', 'next']);
  assert.equal(lines(['0123456789\r\nnext\n'], 5), ['oversize 10', 'next']);
  assert.equal(lines(['0123', '456789', 'abc', '\nnext\n'], 5), ['oversize 10', 'next']);
});

line('a huge line fed in pieces is dropped without being buffered', () => {
  const maxBytes = 64;
  const deframer = createDeframer('line', maxBytes);
  const piece = bytes('x'.repeat(7));
  const events: FrameEvent[] = [];
  for (let i = 0; i < 10_000; i++) {
    events.push(...deframer.push(piece));
    assert.ok(deframer.buffered <= maxBytes + 2, `buffered ${deframer.buffered} after piece ${i}`);
  }
  events.push(...deframer.push(bytes('xxx\r\nafter\n')));
  assert.equal(showKinds(events), ['oversize', 'after']);
  const first = events[0];
  assert.ok(first?.kind === 'oversize' && first.size > maxBytes);
  assert.is(deframer.buffered, 0);
});

line('an over-long line is reported as soon as it passes maxBytes, before its newline', () => {
  const deframer = createDeframer('line', 4);
  assert.equal(deframer.push(bytes('abcd')), []);
  assert.equal(show(deframer.push(bytes('ef'))), ['oversize 6']);
  assert.equal(deframer.push(bytes('gh')), []);
  assert.equal(show(deframer.push(bytes('\nok\n'))), ['ok']);
});

line('a UTF-8 character split across chunks stays whole', () => {
  const wire = bytes('añ€😀\n');
  for (let i = 1; i < wire.length - 1; i++) {
    const events = feed(createDeframer('line', 100), [wire.subarray(0, i), wire.subarray(i)]);
    assert.equal(show(events), ['añ€😀'], `cut at ${i}`);
  }
});

line('maxBytes 0 lets only empty lines through', () => {
  assert.equal(lines(['\n\r\nx\n\n'], 0), ['', '', 'oversize 1', '']);
});

line.run();

const length = suite('length framing');

function frames(chunks: Uint8Array[], maxBytes = 100): string[] {
  return show(feed(createDeframer('length', maxBytes), chunks));
}

length('several frames in one chunk are several messages', () => {
  assert.equal(frames([concat(frame('one'), frame('two'), frame('three'))]), ['one', 'two', 'three']);
});

length('a frame spread over chunks, header included, is one message', () => {
  const wire = frame('hello');
  assert.equal(frames([wire.subarray(0, 1), wire.subarray(1, 4), wire.subarray(4)]), ['hello']);
});

/** The one message a 0x0102-byte payload behind these two header bytes makes, in this framing. */
function payloadLengthRead(framing: 'length' | 'length-le', header: [number, number]): number | undefined {
  const events = createDeframer(framing, 1000).push(concat(new Uint8Array(header), new Uint8Array(0x0102).fill(0x61)));
  assert.is(events.length, 1);
  const only = events[0];
  return only?.kind === 'message' ? only.bytes.length : undefined;
}

length('the header is big-endian and unsigned', () => {
  assert.is(payloadLengthRead('length', [0x01, 0x02]), 0x0102);
});

length('a zero-length frame is an empty message', () => {
  assert.equal(frames([concat(frame(''), frame('x'), frame(''))]), ['', 'x', '']);
  assert.equal(frames([new Uint8Array([0]), new Uint8Array([0])]), ['']);
});

length('newlines are payload, not separators', () => {
  assert.equal(frames([frame('a\nb\r\n')]), ['a\nb\r\n']);
});

length('messages from a chunk of whole frames are views of that chunk, not copies', () => {
  const chunk = concat(frame('ab'), frame('cd'));
  for (const e of createDeframer('length', 100).push(chunk)) {
    assert.ok(e.kind === 'message' && e.bytes.buffer === chunk.buffer);
  }
});

length('a frame joined across chunks does not change when the caller reuses its chunk buffer', () => {
  const deframer = createDeframer('length', 100);
  const chunk = frame('abcdef').subarray(0, 5);
  deframer.push(chunk);
  chunk.fill(0x78);
  assert.equal(show(deframer.push(bytes('def'))), ['abcdef']);
});

length('buffered counts held header and payload bytes', () => {
  const deframer = createDeframer('length', 100);
  const wire = frame('abcd');
  deframer.push(wire.subarray(0, 1));
  assert.is(deframer.buffered, 1);
  deframer.push(wire.subarray(1, 4));
  assert.is(deframer.buffered, 2);
  deframer.push(wire.subarray(4));
  assert.is(deframer.buffered, 0);
});

length('every split point of a multi-message buffer gives the same messages', () => {
  const wire = concat(frame('hi'), frame(''), frame('é\n'), frame('0123456789'), frame('12345678'), frame('end'));
  const expected = ['hi', '', 'é\n', 'oversize', '12345678', 'end'];
  assertSameAtEverySplit('length', 8, wire, expected);
});

length('a frame announcing more than maxBytes is skipped and the next frame arrives', () => {
  assert.equal(frames([concat(frame('0123456789'), frame('next'))], 5), ['oversize 10', 'next']);
});

length('an oversize frame is skipped while streaming, without being buffered', () => {
  const maxBytes = 100;
  const size = 60_000;
  const deframer = createDeframer('length', maxBytes);
  const events = deframer.push(new Uint8Array([size >> 8, size & 0xff]));
  assert.equal(show(events), [`oversize ${size}`]);
  const piece = new Uint8Array(999).fill(0x7a);
  let sent = 0;
  while (sent + piece.length <= size) {
    assert.equal(deframer.push(piece), []);
    assert.is(deframer.buffered, 0);
    sent += piece.length;
  }
  const rest = new Uint8Array(size - sent).fill(0x7a);
  assert.equal(show(deframer.push(concat(rest, frame('next')))), ['next']);
});

length('a frame of exactly maxBytes passes', () => {
  assert.equal(frames([concat(frame('12345'), frame('123456'), frame('ok'))], 5), ['12345', 'oversize 6', 'ok']);
});

length('a UTF-8 character split across chunks stays whole', () => {
  const wire = frame('añ€😀');
  for (let i = LENGTH_HEADER_BYTES + 1; i < wire.length; i++) {
    assert.equal(frames([wire.subarray(0, i), wire.subarray(i)]), ['añ€😀'], `cut at ${i}`);
  }
});

length.run();

const le = suite('little-endian length framing (length-le, as the Go tutorials write it)');

/** What seed 000's client2.go Encode writes: binary.Write(nb, binary.LittleEndian, int16(len)), then the bytes. */
function goEncode(text: string): Uint8Array {
  const payload = bytes(text);
  const header = new Uint8Array(2);
  new DataView(header.buffer).setInt16(0, payload.length, true);
  return concat(header, payload);
}

/** Events as show() gives them, an oversize with the framing it looks like. */
function showHints(events: FrameEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? decoder.decode(e.bytes) : `oversize ${e.size}${e.looksLike ? ` looks ${e.looksLike}` : ''}`));
}

le('the Go client\'s frames are its messages, whatever the reads', () => {
  const message = 'Hello world,hello xiaomotong!';
  const wire = concat(goEncode(message), goEncode(''), goEncode('é\n'), goEncode(message));
  assertSameAtEverySplit('length-le', 1200, wire, [message, '', 'é\n', message]);
});

le('the header is little-endian: its low byte first', () => {
  assert.is(payloadLengthRead('length-le', [0x02, 0x01]), 0x0102);
});

le('a header Go would read as negative (32768 and up) is refused as too long and skipped', () => {
  const negative = new Uint8Array(2);
  new DataView(negative.buffer).setInt16(0, -2, true);
  const deframer = createDeframer('length-le', 1200);
  assert.equal(showHints(deframer.push(negative)), ['oversize 65534']);
  assert.is(deframer.buffered, 0);
});

le('the tutorial\'s frames read big-endian are over the limit, and the refusal says they look little-endian', () => {
  // 29 bytes announced little-endian, [0x1d, 0x00], reads 7424 big-endian: the issue's report.
  const events = createDeframer('length', 1200).push(goEncode('Hello world,hello xiaomotong!'));
  assert.equal(showHints(events), ['oversize 7424 looks length-le']);
  assert.is(framingHint('length-le'), 'looks little-endian: try --framing length-le');
});

le('big-endian frames read little-endian say they look big-endian', () => {
  assert.equal(showHints(createDeframer('length-le', 1200).push(frame('Hello world,hello xiaomotong!'))), ['oversize 7424 looks length']);
  assert.is(framingHint('length'), 'looks big-endian: try --framing length');
});

le('a header over the limit either way round gets no hint', () => {
  // 0x1234 swapped is 0x3412: over 1200 both ways, so nothing suggests the other order.
  assert.equal(showHints(createDeframer('length', 1200).push(new Uint8Array([0x12, 0x34]))), ['oversize 4660']);
  assert.equal(showHints(createDeframer('length-le', 1200).push(new Uint8Array([0xff, 0xff]))), ['oversize 65535']);
});

le('encodeFrame writes the header little-endian, up to 32767 bytes (a Go int16)', () => {
  assert.equal(Array.from(encodeFrame('length-le', bytes('hi'))), [2, 0, 0x68, 0x69]);
  assert.equal(Array.from(encodeFrame('length-le', bytes('Hello world,hello xiaomotong!'))), Array.from(goEncode('Hello world,hello xiaomotong!')));
  const big = encodeFrame('length-le', new Uint8Array(MAX_LENGTH_LE_FRAME));
  assert.is(new DataView(big.buffer, big.byteOffset).getInt16(0, true), 32767);
  expectCode(() => encodeFrame('length-le', new Uint8Array(MAX_LENGTH_LE_FRAME + 1)), 'ERR_MESSAGE_TOO_LONG');
});

le.run();

const encode = suite('encodeFrame');

encode('line framing appends a newline', () => {
  assert.equal(Array.from(encodeFrame('line', bytes('hi'))), Array.from(bytes('hi\n')));
  assert.equal(Array.from(encodeFrame('line', new Uint8Array(0))), [0x0a]);
});

encode('line framing leaves a payload that already ends in a newline unchanged', () => {
  const payload = bytes('hi\n');
  assert.is(encodeFrame('line', payload), payload);
  const crlf = bytes('hi\r\n');
  assert.is(encodeFrame('line', crlf), crlf);
});

encode('length framing writes a 2-byte big-endian header and no newline', () => {
  assert.equal(Array.from(encodeFrame('length', bytes('hi'))), [0, 2, 0x68, 0x69]);
  assert.equal(Array.from(encodeFrame('length', new Uint8Array(0))), [0, 0]);
  const big = encodeFrame('length', new Uint8Array(0x1234));
  assert.equal(Array.from(big.subarray(0, 2)), [0x12, 0x34]);
  assert.is(big.length, LENGTH_HEADER_BYTES + 0x1234);
});

encode('length framing accepts the largest payload, 65535 bytes', () => {
  const out = encodeFrame('length', new Uint8Array(MAX_LENGTH_FRAME));
  assert.equal(Array.from(out.subarray(0, 2)), [0xff, 0xff]);
  assert.is(out.length, MAX_LENGTH_FRAME + 2);
});

encode('length framing throws ERR_MESSAGE_TOO_LONG for 65536 bytes', () => {
  expectCode(() => encodeFrame('length', new Uint8Array(MAX_LENGTH_FRAME + 1)), 'ERR_MESSAGE_TOO_LONG');
});

encode('an unknown framing or a bad maxBytes is the caller’s mistake', () => {
  expectCode(() => encodeFrame('json' as FramingName, bytes('x')), 'ERR_BAD_ARGUMENT');
  expectCode(() => createDeframer('json' as FramingName, 10), 'ERR_BAD_ARGUMENT');
  expectCode(() => createDeframer('line', -1), 'ERR_BAD_ARGUMENT');
  expectCode(() => createDeframer('line', Number.NaN), 'ERR_BAD_ARGUMENT');
  expectCode(() => createDeframer('length', 1.5), 'ERR_BAD_ARGUMENT');
});

/** Random payloads a line can carry: no LF anywhere, and no CR at the end (CRLF would strip it). */
function randomPayload(rand: () => number, framing: FramingName, maxLength: number): Uint8Array {
  const payload = new Uint8Array(Math.floor(rand() * (maxLength + 1)));
  for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(rand() * 256);
  if (framing === 'line') {
    for (let i = 0; i < payload.length; i++) if (payload[i] === 0x0a) payload[i] = 0x20;
    if (payload[payload.length - 1] === 0x0d) payload[payload.length - 1] = 0x21;
  }
  return payload;
}

for (const framing of ['line', 'length', 'length-le'] as const) {
  encode(`${framing} frames survive a round trip through the deframer, cut at random`, () => {
    for (const seed of [1, 2, 3, 42, 2024]) {
      const rand = seededRandom(seed);
      const maxBytes = 300;
      const payloads = Array.from({ length: 50 }, () => randomPayload(rand, framing, maxBytes));
      const wire = concat(...payloads.map((p) => encodeFrame(framing, p)));
      const deframer = createDeframer(framing, maxBytes);
      const got: Uint8Array[] = [];
      for (let at = 0; at < wire.length; ) {
        const end = Math.min(wire.length, at + 1 + Math.floor(rand() * 700));
        for (const e of deframer.push(wire.subarray(at, end))) {
          assert.is(e.kind, 'message', `seed ${seed}`);
          if (e.kind === 'message') got.push(e.bytes);
        }
        at = end;
      }
      assert.is(got.length, payloads.length, `seed ${seed}`);
      got.forEach((g, i) => assert.equal(Array.from(g), Array.from(payloads[i] ?? []), `seed ${seed} #${i}`));
      assert.is(deframer.buffered, 0);
    }
  });
}

encode.run();

const some = suite('pushSome: a few messages at a time');

/** Feeds each chunk in pieces of at most `most` events, the rest fed again, as a paused peer's are. */
function feedSome(deframer: Deframer, chunks: Uint8Array[], most: () => number): FrameEvent[] {
  const events: FrameEvent[] = [];
  for (let chunk of chunks) {
    for (;;) {
      const n = most();
      const got = deframer.pushSome(chunk, n);
      assert.ok(got.events.length <= n, 'never more than asked for');
      events.push(...got.events);
      if (got.used === chunk.length) break;
      assert.is(got.events.length, n, 'stops early only when it has as many as asked for');
      chunk = chunk.subarray(got.used);
    }
  }
  return events;
}

for (const framing of ['line', 'length', 'length-le'] as const) {
  some(`${framing}: a chunk fed a few messages at a time gives the same events as fed whole`, () => {
    for (const seed of [1, 7, 99]) {
      const rand = seededRandom(seed);
      const maxBytes = 60;
      // Payloads up to twice the limit, so oversize events are among them.
      const payloads = Array.from({ length: 80 }, () => randomPayload(rand, framing, maxBytes * 2));
      const wire = concat(...payloads.map((p) => encodeFrame(framing, p)), framing === 'line' ? bytes('tail without newline') : new Uint8Array([0, 9, 1]));
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < wire.length; ) {
        const end = Math.min(wire.length, at + 1 + Math.floor(rand() * 400));
        chunks.push(wire.subarray(at, end));
        at = end;
      }
      const whole = createDeframer(framing, maxBytes);
      const pieces = createDeframer(framing, maxBytes);
      const expected = feed(whole, chunks);
      const got = feedSome(pieces, chunks, () => 1 + Math.floor(rand() * 3));
      assert.equal(got, expected, `seed ${seed}`);
      assert.ok(expected.some((e) => e.kind === 'oversize'), 'the run had oversize messages too');
      assert.is(pieces.buffered, whole.buffered, 'the same bytes held at the end');
      assert.equal(pieces.end(), whole.end());
      // And discard counts what push makes, chunk by chunk, keeping the same state.
      const counted = createDeframer(framing, maxBytes);
      const fresh = createDeframer(framing, maxBytes);
      for (const chunk of chunks) assert.is(counted.discard(chunk), fresh.push(chunk).length, `seed ${seed}: discard counts as push frames`);
      assert.is(counted.buffered, fresh.buffered);
      assert.is(counted.end().length, fresh.end().length);
      // count says what push will make, and changes nothing: the timeline's read, counted as it comes.
      const ahead = createDeframer(framing, maxBytes);
      for (const chunk of chunks) {
        const said = ahead.count(chunk);
        assert.is(ahead.count(chunk), said, 'count changes no state');
        assert.is(said, ahead.push(chunk).length, `seed ${seed}: count is what push frames`);
      }
    }
  });
}

some('count: three lines in one chunk are 3, a partial line 0, its end 1, and an endless line one oversize', () => {
  const deframer = createDeframer('line', 10);
  assert.is(deframer.count(bytes('a\nb\nc\n')), 3);
  assert.is(deframer.count(bytes('par')), 0);
  assert.is(deframer.endCount(), 0);
  deframer.push(bytes('par'));
  assert.is(deframer.endCount(), 1, 'a last line without its newline');
  assert.is(deframer.end().length, 1);
  deframer.push(bytes('par'));
  assert.is(deframer.count(bytes('tial\n')), 1);
  assert.is(deframer.count(bytes('x'.repeat(20))), 1, 'past the hold limit: one oversize at once');
  deframer.push(bytes('x'.repeat(20)));
  assert.is(deframer.count(bytes('yyy\nz\n')), 1, 'the LF ending a line already reported is no event');
  const length = createDeframer('length', 10);
  assert.is(length.count(new Uint8Array([0, 2, 104, 105, 0])), 1, 'a frame and half a header');
  assert.is(length.count(new Uint8Array([0, 20, 1, 2])), 1, 'an oversize header is one event at once');
  length.push(new Uint8Array([0, 3, 1]));
  assert.is(length.endCount(), 0, 'a cut length frame is lost');
});

some('most 0 takes nothing', () => {
  const deframer = createDeframer('line', 100);
  assert.equal(deframer.pushSome(bytes('a\nb\n'), 0), { events: [], used: 0 });
  assert.equal(show(deframer.pushSome(bytes('a\nb\n'), 1).events), ['a']);
});

some.run();
