/**
 * What only TCP has: a byte stream to frame (one write is not one read), and departures the
 * server learns of at once (FIN, RST). The room's behaviour common to every transport (slow
 * readers, a full room and shutdown included) is in ../contract.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonEvent } from '../../../src/cli/output.js';
import type { ChatError } from '../../../src/core/errors.js';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { MAX_LENGTH_FRAMED_MESSAGE } from '../../../src/transports/tcp/transport.js';
import type { ChatServer, ChatServerOptions, ServerEvent } from '../../../src/servers/chat-server.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { tapReads, type ReadTap, type TcpTestPeer } from '../../helpers/peers.js';
import { eventually } from '../../helpers/udp-peer.js';

const test = suite('the TCP transport on real sockets');

interface Tcp {
  server: ChatServer;
  events: ServerEvent[];
  /** What the server has read from each connection. */
  reads: ReadTap;
  /** Connects a TCP peer and waits for its welcome. */
  join(name?: string): Promise<TcpTestPeer>;
}

/** A TCP room for one test; its peers and the server are closed afterwards whatever happened. */
async function withTcp(options: Partial<ChatServerOptions>, body: (room: Tcp) => Promise<void>): Promise<void> {
  // Floods and byte-by-byte frames are the point here, not the message rate limit (tested in test/core).
  const limits = { messageBurst: 0, ...options.limits };
  await withChatRoom({ transport: 'tcp', ...options, limits }, async ({ server, events, join }) => {
    // Installed before any client connects.
    const reads = tapReads(server.transports.tcp!.server);
    await body({ server, events, reads, join: (name) => join('tcp', name) });
  });
}

/**
 * Writes each part in its own write and waits until the server has read it before the next, so
 * the server sees the parts in separate reads: the split the test means is the split it gets.
 */
async function writeApart(peer: TcpTestPeer, reads: ReadTap, parts: Uint8Array[]): Promise<void> {
  let expected = reads.bytes(peer.port);
  for (const part of parts) {
    peer.write(part);
    expected += part.length;
    await eventually(() => reads.bytes(peer.port) >= expected, 2000, `the server reading ${expected} bytes`);
  }
}

/** The chat lines `peer` got from `from`, text only. */
function chatFrom(peer: TcpTestPeer, from: string): string[] {
  const prefix = `<${from}> `;
  return peer.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

async function connections(server: ChatServer): Promise<number> {
  return new Promise((resolve, reject) => server.transports.tcp!.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** Waits until the server holds `n` connections; fails after `ms`. */
async function connectionsBecome(server: ChatServer, n: number, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  let now = await connections(server);
  while (now !== n) {
    if (Date.now() > deadline) throw new Error(`the server holds ${now} connections, not ${n}, after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    now = await connections(server);
  }
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

test('many lines in one write are as many messages, in order', async () => {
  await withTcp({}, async ({ reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    const before = reads.chunks(a.port);
    await writeApart(a, reads, [bytes('one\ntwo\n\nthree\n/ping x\n')]);
    assert.is(reads.chunks(a.port) - before, 1, 'the write was read in pieces: this test would prove nothing');
    await a.waitFor('/pong x');
    await b.waitFor('<a> three');
    assert.equal(chatFrom(b, 'a'), ['one', 'two', 'three']);
  });
});

test('one line written in several writes, read apart, is one message', async () => {
  await withTcp({}, async ({ reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    await writeApart(a, reads, [bytes('hel'), bytes('lo wor'), bytes('l'), bytes('d\n')]);
    await b.waitFor('<a> hello world');
    assert.equal(chatFrom(b, 'a'), ['hello world']);
  });
});

test('CRLF ends a line as LF does, even when the CR and the LF are read apart', async () => {
  await withTcp({}, async ({ reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    await writeApart(a, reads, [bytes('crlf\r\nsplit\r'), bytes('\nrename|al\r\n')]);
    await b.waitFor('* a is now al');
    assert.equal(chatFrom(b, 'a'), ['crlf', 'split']);
  });
});

test('a line over the limit gets a ! and the next line still works', async () => {
  await withTcp({ limits: { maxMessageBytes: 100 } }, async ({ events, reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    await writeApart(a, reads, [bytes('x'.repeat(101) + '\nnext\n')]);
    await a.waitFor(/^! message too long/);
    await b.waitFor('<a> next');
    // A line that never ends is refused as soon as it passes the limit, not at its newline.
    await writeApart(a, reads, [bytes('y'.repeat(150))]);
    const refusals = () => a.lines.filter((l) => l.startsWith('! message too long')).length;
    await eventually(() => refusals() === 2, 2000, 'a second refusal before any newline');
    await writeApart(a, reads, [bytes('y'.repeat(5000)), bytes('tail\nafter\n')]);
    await b.waitFor('<a> after');
    assert.equal(chatFrom(b, 'a'), ['next', 'after']);
    const codes = events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
    assert.equal(codes, ['ERR_MESSAGE_TOO_LONG', 'ERR_MESSAGE_TOO_LONG']);
  });
});

test('a length frame over the limit is skipped exactly, and the frame after it in the same read still works', async () => {
  await withTcp({ framing: 'length', limits: { maxMessageBytes: 100 } }, async ({ events, reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    const frame = (payload: Buffer) => Buffer.concat([Buffer.from([payload.length >> 8, payload.length & 0xff]), payload]);
    // The oversize payload holds bytes that would read as a header if the skip were off by any.
    await writeApart(a, reads, [Buffer.concat([frame(Buffer.alloc(300, 0x01)), frame(bytes('next'))])]);
    await a.waitFor(/^! message too long/);
    await b.waitFor('<a> next');
    await writeApart(a, reads, [frame(Buffer.alloc(101, 0x02)).subarray(0, 50), Buffer.concat([frame(Buffer.alloc(101, 0x02)).subarray(50), frame(bytes('after'))])]);
    await b.waitFor('<a> after');
    assert.equal(chatFrom(b, 'a'), ['next', 'after']);
    const codes = events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
    assert.equal(codes, ['ERR_MESSAGE_TOO_LONG', 'ERR_MESSAGE_TOO_LONG']);
  });
});

test('a closed connection is announced at once as left (disconnected)', async () => {
  await withTcp({}, async ({ server, events, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    a.socket.end();
    // The peer timeout is 60s: only the FIN can explain a departure this soon.
    await b.waitFor('* a left (disconnected)', 1000);
    assert.is(server.room.size, 1);
    const leave = events.find((e) => e.type === 'leave');
    assert.ok(leave && leave.type === 'leave', 'no leave event');
    assert.is(leave.reason, 'disconnected');
    assert.is(JSON.parse(jsonEvent(leave)).reason, 'disconnected');
    await connectionsBecome(server, 1);
  });
});

test('a reset connection is a disconnect too, and the server keeps serving the others', async () => {
  await withTcp({}, async ({ server, events, join }) => {
    const [a, b, c] = [await join('a'), await join('b'), await join('c')];
    a.socket.resetAndDestroy();
    await b.waitFor('* a left (disconnected)', 1000);
    const errors = events.flatMap((e) => (e.type === 'socket-error' ? [e.code] : []));
    assert.equal(errors, ['ECONNRESET']);
    assert.is(server.counters().socketErrors, 1);
    b.send('still here');
    await c.waitFor('<b> still here');
    const d = await join('d');
    d.send('me too');
    await b.waitFor('<d> me too');
    assert.is(server.room.size, 3);
  });
});

test('a last line without a newline before FIN is delivered, before the departure', async () => {
  await withTcp({}, async ({ join }) => {
    const [a, b] = [await join('a'), await join('b')];
    // printf 'a\nb\nc' | nc HOST PORT
    a.socket.end('a\nb\nc');
    await b.waitFor('* a left (disconnected)', 1000);
    assert.equal(chatFrom(b, 'a'), ['a', 'b', 'c']);
    assert.ok(b.lines.indexOf('<a> c') < b.lines.indexOf('* a left (disconnected)'), 'the last line came after the departure');
  });
});

test('length frames cut at every byte, in two writes read apart, are each whole', async () => {
  // 49 messages from one peer: the room's message rate limit is not what this test is about.
  await withTcp({ framing: 'length', limits: { messageBurst: 0, messageRate: 0 } }, async ({ reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    const frame = (text: string) => {
      const payload = bytes(text);
      const out = Buffer.alloc(2 + payload.length);
      out.writeUInt16BE(payload.length, 0);
      payload.copy(out, 2);
      return out;
    };
    const expected: string[] = [];
    const sample = Buffer.concat([frame('0:a'), frame(''), frame('0:é ✓')]);
    for (let cut = 1; cut < sample.length; cut++) {
      // An empty frame is a heartbeat: it moves nothing along but must not throw the framer off.
      const texts = [`${cut}:a`, '', `${cut}:é ✓`];
      const buffer = Buffer.concat(texts.map(frame));
      await writeApart(a, reads, [buffer.subarray(0, cut), buffer.subarray(cut)]);
      await b.waitFor(`<a> ${cut}:é ✓`);
      expected.push(`${cut}:a`, `${cut}:é ✓`);
    }
    assert.equal(chatFrom(b, 'a'), expected);
  });
});

test('a UTF-8 character split across two writes stays whole', async () => {
  await withTcp({}, async ({ reads, join }) => {
    const [a, b] = [await join('a'), await join('b')];
    const line = bytes('café ✓ 😀\n');
    // Cut inside each multi-byte character: é is 2 bytes, ✓ 3 and 😀 4.
    for (const cut of [4, 7, 8, 11, 12, 13]) {
      await writeApart(a, reads, [line.subarray(0, cut), line.subarray(cut)]);
    }
    await b.waitFor(`<a> café ✓ 😀`);
    assert.equal(chatFrom(b, 'a'), Array(6).fill('café ✓ 😀'));
  });
});

test('a length-framed room refuses a message limit whose escaped lines could overflow a 65535-byte frame', async () => {
  // 20,000 control bytes escape to 80,000 characters: no length frame holds that line.
  let error: ChatError | undefined;
  try {
    const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both', framing: 'length', limits: { maxMessageBytes: MAX_LENGTH_FRAMED_MESSAGE + 1 } });
    await server.close();
  } catch (err) {
    error = err as ChatError;
  }
  assert.is(error?.code, 'ERR_BAD_ARGUMENT');
  // At the cap, the largest escaped message still fits a frame and reaches a length-framed peer.
  await withTcp({ framing: 'length', limits: { maxMessageBytes: MAX_LENGTH_FRAMED_MESSAGE, messageBurst: 0 } }, async ({ join }) => {
    const [a, b] = [await join(), await join()];
    a.send('\x01'.repeat(MAX_LENGTH_FRAMED_MESSAGE));
    await b.waitFor(`<${a.address}> ${'\\x01'.repeat(MAX_LENGTH_FRAMED_MESSAGE)}`);
  });
});

test.run();
