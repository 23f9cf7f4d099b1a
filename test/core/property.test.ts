/**
 * Property tests (fast-check): whatever bytes a peer sends, in whatever chunks, the parser, the
 * sanitiser, the framers and the room neither throw nor let a control character through, and
 * what they hold or produce stays bounded. A failure prints its seed and a shrunk input.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, type Command } from '../../src/core/commands.js';
import { ChatError } from '../../src/core/errors.js';
import { RESERVED_NAMES, validateName } from '../../src/core/names.js';
import type { Peer } from '../../src/core/peer.js';
import { Room } from '../../src/core/room.js';
import { escapeControls, messageText } from '../../src/core/sanitize.js';
import { createDeframer, type FrameEvent, type FramingName } from '../../src/transports/framing.js';
import { MemoryLink } from '../helpers/memory-link.js';

// Modest, so the suite stays fast; raise it locally when changing one of these modules.
const RUNS = 300;

// Written out here rather than imported, so the tests do not share a mistake with the source.
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const encoder = new TextEncoder();

/** Bytes that hit the interesting cases often: line ends, ESC, C1 lead bytes, bidi bytes, invalid UTF-8. */
const nastyByte = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 },
  { arbitrary: fc.constantFrom(0x00, 0x07, 0x0a, 0x0d, 0x1b, 0x5b, 0x7f, 0x9b, 0xc2, 0xe2, 0x80, 0xae, 0xff, 0x7c, 0x20, 0x2f), weight: 2 },
);
const nastyBytes = (maxLength: number) => fc.array(nastyByte, { maxLength }).map((a) => Uint8Array.from(a));

/** Any text, or text that starts like a command. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .tuple(fc.constantFrom('/nick ', '/msg ', '/who', '/quit', '/join ', '/ping ', '/pong ', '/help', '//', 'to|', 'rename|', 'who', 'quit', '/'), fc.string({ unit: 'binary', maxLength: 40 }))
    .map(([a, b]) => a + b),
);

const KINDS: ReadonlySet<Command['kind']> = new Set(['say', 'nick', 'who', 'msg', 'quit', 'help', 'ping', 'pong', 'join', 'heartbeat', 'invalid']);

const parse = suite('property: the parser and the sanitiser');

parse('parseCommand never throws, and always names a command it knows', () => {
  fc.assert(
    fc.property(anyText, (text) => {
      const command = parseCommand(text);
      assert.ok(KINDS.has(command.kind), command.kind);
      if (command.kind === 'invalid') assert.ok(command.code === 'ERR_UNKNOWN_COMMAND' || command.code === 'ERR_BAD_ARGUMENT');
    }),
    { numRuns: RUNS },
  );
});

parse('messageText on any bytes never throws, leaves no control character, and at most 6 characters a byte', () => {
  fc.assert(
    fc.property(fc.oneof(nastyBytes(300), fc.uint8Array({ maxLength: 300 })), (bytes) => {
      const text = messageText(bytes);
      assert.not.match(text, FORBIDDEN);
      assert.ok(text.length <= 6 * bytes.length, `${text.length} characters from ${bytes.length} bytes`);
    }),
    { numRuns: RUNS },
  );
});

parse('escapeControls on any string never throws, leaves no control character, and at most 6 characters a character', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
      const text = escapeControls(input);
      assert.not.match(text, FORBIDDEN);
      assert.ok(text.length <= 6 * input.length);
      // Idempotent: escaping what is already safe changes nothing.
      assert.is(escapeControls(text), text);
    }),
    { numRuns: RUNS },
  );
});

parse('validateName either returns a name that keeps the rules or throws ERR_BAD_NAME', () => {
  const NAME = /^[\p{L}\p{M}\p{N}_.\-]+$/u;
  const candidate = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.stringMatching(/^[A-Za-z0-9_.\-]{0,30}$/));
  fc.assert(
    fc.property(candidate, fc.integer({ min: 0, max: 30 }), (input, max) => {
      let name: string;
      try {
        name = validateName(input, max);
      } catch (err) {
        assert.instance(err, ChatError);
        assert.is((err as ChatError).code, 'ERR_BAD_NAME');
        return;
      }
      assert.ok(NAME.test(name), JSON.stringify(name));
      assert.not.match(name, FORBIDDEN);
      assert.not.match(name, /[\s:|]/);
      assert.is(name, name.normalize('NFC'));
      const length = [...name].length;
      assert.ok(length >= 1 && length <= max, `${length} characters, max ${max}`);
      assert.not.ok(RESERVED_NAMES.has(name.normalize('NFKC').toLowerCase()));
    }),
    { numRuns: RUNS },
  );
});

parse.run();

const framing = suite('property: the framers on any chunking of any bytes');

/** Cuts bytes at these (unsorted, maybe repeated) offsets. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...at, bytes.length]) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  return chunks;
}

/** What a framer made of a stream: message bytes as hex, and oversize marks (their size depends on the chunking). */
function digest(events: FrameEvent[]): string[] {
  return events.map((e) => (e.kind === 'message' ? Buffer.from(e.bytes).toString('hex') : 'oversize'));
}

/** A stream of length frames, some well formed, with random bytes between. */
const lengthStream = fc
  .array(
    fc.oneof(
      nastyBytes(40).map((payload) => Uint8Array.from([payload.length >> 8, payload.length & 0xff, ...payload])),
      nastyBytes(6),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

for (const kind of ['line', 'length'] as FramingName[]) {
  framing(`the ${kind} framer never throws, holds at most maxBytes + 2 bytes, and gives the same messages however the bytes are cut`, () => {
    const stream = kind === 'line' ? fc.oneof(nastyBytes(400), fc.uint8Array({ maxLength: 400 })) : fc.oneof(lengthStream, fc.uint8Array({ maxLength: 400 }));
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 0, max: 64 }), (bytes, cuts, maxBytes) => {
        const whole = createDeframer(kind, maxBytes);
        const reference = [...whole.push(bytes), ...whole.end()];
        const deframer = createDeframer(kind, maxBytes);
        const events: FrameEvent[] = [];
        for (const chunk of chunked(bytes, cuts)) {
          events.push(...deframer.push(chunk));
          assert.ok(deframer.buffered <= maxBytes + 2, `${deframer.buffered} bytes held, max ${maxBytes}`);
        }
        events.push(...deframer.end());
        for (const e of events) if (e.kind === 'message') assert.ok(e.bytes.length <= maxBytes, `a message of ${e.bytes.length} bytes, max ${maxBytes}`);
        assert.equal(digest(events), digest(reference));
      }),
      { numRuns: RUNS },
    );
  });
}

framing.run();

const room = suite('property: the room');

room('Room.receive takes any bytes from any peers without throwing, and every line it sends is clean', () => {
  const transports: string[] = ['udp', 'tcp', 'ws', 'memory'];
  const message = fc.oneof(
    fc.oneof(nastyBytes(120), fc.uint8Array({ maxLength: 120 })),
    anyText.map((t) => encoder.encode(t)),
  );
  const step = fc.record({ who: fc.nat({ max: 3 }), bytes: message, wait: fc.constantFrom(0, 0, 0, 50, 20_000) });
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.boolean(), (steps, withPassword) => {
      let now = 0;
      const room = new Room({
        clock: () => now,
        peerTimeoutMs: 60_000,
        echoSelf: true,
        limits: { maxMessageBytes: 100, messageBurst: 5, messageRate: 2 },
        ...(withPassword ? { password: 'pw' } : {}),
        onEvent: (event) => {
          const texts = 'peer' in event && event.peer?.name !== undefined ? [event.peer.name] : [];
          if (event.type === 'message') texts.push(event.text);
          if (event.type === 'error' || event.type === 'refused') texts.push(event.message);
          for (const text of texts) assert.not.match(text, FORBIDDEN);
        },
      });
      const links = transports.map((t, i) => new MemoryLink(`10.0.0.${i + 1}:${4000 + i}`, t, `10.0.0.${i + 1}`));
      const peers = links.map((link) => room.join(link)) as Peer[];
      for (const { who, bytes, wait } of steps) {
        now += wait;
        room.receive(peers[who]!, bytes);
        room.sweep();
      }
      room.close();
      for (const link of links) {
        for (const buffer of link.buffers) {
          assert.is(buffer[buffer.length - 1], 0x0a);
          const text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, -1));
          assert.not.match(text, FORBIDDEN);
        }
      }
      const c = room.counters;
      const messagesIn = Object.values(c.traffic).reduce((n, t) => n + t.messagesIn, 0);
      assert.is(messagesIn, c.handled + c.drops.rateLimited + c.drops.tooLong + c.drops.notAdmitted);
    }),
    { numRuns: RUNS },
  );
});

room.run();
