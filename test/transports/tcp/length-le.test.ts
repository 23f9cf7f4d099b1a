/**
 * Seed 000's length-prefixed client (client2.go) unchanged: its header is a little-endian int16,
 * so a room with `--framing length-le` takes all thirty of its messages, and a room with
 * `--framing length` says which flag the client needs instead of only "message too long".
 */
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCodes, withChatRoom } from '../../helpers/chat-room.js';
import { parsed, parseError } from '../../helpers/spawn.js';
import { eventually } from '../../helpers/udp-peer.js';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { MAX_LENGTH_LE_FRAMED_MESSAGE } from '../../../src/transports/tcp/transport.js';

const test = suite('little-endian length framing: the Go tutorial\'s client2.go');

const MESSAGE = 'Hello world,hello xiaomotong!';

/** client2.go's Encode: binary.Write(nb, binary.LittleEndian, int16(len(message))), then the bytes. */
function encode(message: string): Buffer {
  const body = Buffer.from(message);
  const header = Buffer.alloc(2);
  header.writeInt16LE(body.length, 0);
  return Buffer.concat([header, body]);
}

/**
 * client2.go's main, byte for byte: dial, thirty Encode()d messages written back to back, then
 * close (`defer conn.Close()`), never reading. Resolves with the local port once closed.
 */
async function client2(port: number): Promise<number> {
  const conn = net.connect({ host: '127.0.0.1', port });
  try {
    await once(conn, 'connect', { signal: AbortSignal.timeout(2000) });
    const local = conn.localPort ?? 0;
    for (let i = 0; i < 30; i++) conn.write(encode(MESSAGE));
    // Close once the kernel has the bytes, as Go's Close after its blocking Writes; no read, no wait for the server.
    const flushed = once(conn, 'finish', { signal: AbortSignal.timeout(2000) });
    conn.end();
    await flushed;
    return local;
  } finally {
    conn.destroy();
  }
}

test('all thirty of client2.go\'s messages reach a length-le peer, framed little-endian', async () => {
  await withChatRoom({ transport: 'tcp', framing: 'length-le' }, async ({ join, events, server }) => {
    // The receiver reads as server2.go's Decode does: a little-endian int16, then that many bytes.
    const rx = await join('tcp', 'rx');
    const port = await client2(server.port);
    const line = `<127.0.0.1:${port}> ${MESSAGE}`;
    await eventually(() => rx.lines.filter((l) => l === line).length === 30, 3000, `30 × ${line}; got ${rx.lines.join(' | ')}`);
    await rx.waitFor(`* 127.0.0.1:${port} left (disconnected)`);
    assert.equal(errorCodes(events), []);
  });
});

test('against --framing length the refusal says the frames look little-endian', async () => {
  await withChatRoom({ transport: 'tcp', framing: 'length' }, async ({ join, events, server }) => {
    const go = await join('tcp');
    for (let i = 0; i < 30; i++) go.write(encode(MESSAGE));
    // 29 with its bytes swapped is 7424: the first header, over the limit, swallows the rest.
    await go.waitFor('! message too long: 7424 bytes, the limit is 1200; not sent (looks little-endian: try --framing length-le)');
    assert.equal(errorCodes(events), ['ERR_MESSAGE_TOO_LONG']);
    assert.is(server.counters().drops.tooLong, 1);
  });
});

test('a big-endian client in a length-le room is told the mirror hint, little-endian', async () => {
  await withChatRoom({ transport: 'tcp', framing: 'length-le' }, async ({ join }) => {
    const be = await join('tcp');
    const body = Buffer.from(MESSAGE);
    be.write(Buffer.concat([Buffer.from([0, body.length]), body]));
    await be.waitFor('! message too long: 7424 bytes, the limit is 1200; not sent (looks big-endian: try --framing length)');
  });
});

test('a length-le room takes --max-message up to 8000 (an escaped line must fit a Go int16 frame)', async () => {
  const opts = { host: '127.0.0.1', port: 0, transport: 'tcp' as const, framing: 'length-le' as const };
  try {
    await startChatServer({ ...opts, limits: { maxMessageBytes: MAX_LENGTH_LE_FRAMED_MESSAGE + 1 } });
    assert.unreachable('a limit over 8000 must be refused');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_BAD_ARGUMENT');
    assert.match(String((err as Error).message), /--framing length-le is at most 8000 bytes/);
  }
  const server = await startChatServer({ ...opts, limits: { maxMessageBytes: MAX_LENGTH_LE_FRAMED_MESSAGE } });
  await server.close();
});

test('serve, chat and send take --framing length-le; another word is a usage error', async () => {
  for (const command of ['serve', 'chat', 'send']) {
    const [, argv] = await parsed([command, '--tcp', '--framing', 'length-le']);
    assert.is(argv['framing'], 'length-le', command);
  }
  assert.match(String(await parseError(['serve', '--tcp', '--framing', 'length-be'])), /Choices: "line", "length", "length-le"/);
});

test.run();
