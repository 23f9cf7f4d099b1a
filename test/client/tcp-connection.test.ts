/**
 * What only the TCP client does: frame its messages on a byte stream and cut the server's stream
 * back into lines. The rest of its behaviour is the client contract (contract.test.ts).
 */
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import type { FramingName } from '../../src/transports/framing.js';
import { eventually } from '../helpers/udp-peer.js';
import { watch } from './contract.js';

const test = suite('the chat client over TCP');

/** A bare TCP server that records the bytes of its one connection and hands that connection over. */
async function rawServer() {
  const server = net.createServer();
  const sockets: net.Socket[] = [];
  const chunks: Buffer[] = [];
  let ended = false;
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => (ended = true));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    /** The accepted connection, once there is one. */
    async peer(): Promise<net.Socket> {
      await eventually(() => sockets.length > 0, 2000, 'the connection accepted');
      return sockets[0]!;
    },
    /** Everything received, once the client has ended its side. */
    async received(): Promise<Buffer> {
      await eventually(() => ended, 2000, "the client's end of stream");
      return Buffer.concat(chunks);
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// What a client writes for `send('hi')`, then for the bytes `x\n` and `z`: a line-framed client
// adds a newline unless the bytes end in one; a length-framed one prefixes each with its 2-byte
// big-endian length, newline and all; a length-le one the same length little-endian, as Go's
// binary.Write(buf, binary.LittleEndian, int16(n)) writes it.
const written: Record<FramingName, number[]> = {
  line: [0x68, 0x69, 0x0a, 0x78, 0x0a, 0x7a, 0x0a],
  length: [0, 2, 0x68, 0x69, 0, 2, 0x78, 0x0a, 0, 1, 0x7a],
  'length-le': [2, 0, 0x68, 0x69, 2, 0, 0x78, 0x0a, 1, 0, 0x7a],
};

for (const [framing, bytes] of Object.entries(written) as Array<[FramingName, number[]]>) {
  test(`a ${framing}-framed client frames text and bytes as the server expects`, async () => {
    const server = await rawServer();
    const client = await openConnection({ host: '127.0.0.1', port: server.port, transport: 'tcp', framing });
    try {
      client.send('hi');
      client.send(new TextEncoder().encode('x\n'));
      client.send(new TextEncoder().encode('z'));
      await client.close();
      assert.equal([...(await server.received())], bytes);
    } finally {
      await client.close();
      await server.close();
    }
  });
}

// Each chunk, and the lines it completes: the client is waited for before the next chunk, so
// each is a read of its own whenever it completes a line.
const streams: Record<FramingName, { chunks: Array<[Buffer, string[]]>; atEnd: string[] }> = {
  // Two lines in one read, one line over two reads, a CRLF, and a last line the close ends.
  line: {
    chunks: [
      [Buffer.from('one\ntwo\n'), ['one', 'two']],
      [Buffer.from('thr'), []],
      [Buffer.from('ee\r\nlast'), ['three']],
    ],
    atEnd: ['last'],
  },
  // Two frames in one read (the second cut short), then its rest and a header's first byte, then the rest.
  length: {
    chunks: [
      [Buffer.from([0, 3, 0x6f, 0x6e, 0x65, 0, 3, 0x74]), ['one']],
      [Buffer.from([0x77, 0x6f, 0]), ['two']],
      [Buffer.from([2, 0x68, 0x69]), ['hi']],
    ],
    atEnd: [],
  },
  // The same, little-endian: the header's low byte comes first.
  'length-le': {
    chunks: [
      [Buffer.from([3, 0, 0x6f, 0x6e, 0x65, 3, 0, 0x74]), ['one']],
      [Buffer.from([0x77, 0x6f, 2]), ['two']],
      [Buffer.from([0, 0x68, 0x69]), ['hi']],
    ],
    atEnd: [],
  },
};

for (const [framing, { chunks, atEnd }] of Object.entries(streams) as Array<[FramingName, (typeof streams)[FramingName]]>) {
  test(`a ${framing}-framed client cuts the server's stream into its messages, whatever the reads`, async () => {
    const server = await rawServer();
    const client = await openConnection({ host: '127.0.0.1', port: server.port, transport: 'tcp', framing });
    const seen = watch(client);
    const expected: string[] = [];
    try {
      const peer = await server.peer();
      for (const [chunk, lines] of chunks) {
        peer.write(chunk);
        for (const line of lines) await seen.log.waitFor(line);
        expected.push(...lines);
        assert.equal(seen.log.lines, expected);
      }
      peer.end();
      await eventually(() => seen.ended(), 2000, "the server's end of stream");
      assert.equal(seen.log.lines, [...expected, ...atEnd]);
    } finally {
      await client.close();
      await server.close();
    }
  });
}

test.run();
