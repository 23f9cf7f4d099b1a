import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prefixLimitsFor, startEchoServer, type EchoEvent, type EchoServerOptions } from '../../src/servers/echo-server.js';
import { ECHO_LIMITS } from '../../src/core/limits.js';
import { HELD_COPY_OVERHEAD } from '../../src/transports/held.js';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { upperUtf8 } from '../../src/servers/upper.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('the echo servers on real sockets');

async function udpClient(port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.bind(port, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

/** Sends one datagram and returns the answer; fails after `ms`. */
async function roundTrip(client: dgram.Socket, port: number, payload: Uint8Array | string, ms = 1000): Promise<Buffer> {
  const answer = once(client, 'message', { signal: AbortSignal.timeout(ms) });
  client.send(payload, port, '127.0.0.1');
  const [msg] = (await answer) as [Buffer];
  return msg;
}

async function tcpClient(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect', { signal: AbortSignal.timeout(1000) });
  return socket;
}

/** Reads from a socket until `size` bytes came; fails after `ms` with what came. */
function readBytes(socket: net.Socket, size: number, ms = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= size) done();
    };
    const timer = setTimeout(() => done(new Error(`${have} of ${size} bytes within ${ms} ms`)), ms);
    socket.on('data', onData);
  });
}

async function echo(options: EchoServerOptions) {
  const events: EchoEvent[] = [];
  const server = await startEchoServer({ host: '127.0.0.1', port: 0, ...options, onEvent: (e) => events.push(e) });
  return { server, events };
}

/** Bytes that are not text, all 256 of them, in a scrambled order. */
function binary(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

// A port below 1024 needs root (or a lowered net.ipv4.ip_unprivileged_port_start): find one now,
// so the test that needs it can be skipped, saying why, where it cannot run.
async function freePrivilegedPort(): Promise<number | null> {
  for (let port = 1023; port >= 1000; port--) {
    const socket = dgram.createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (bound) return port;
  }
  return null;
}
const lowPort = await freePrivilegedPort();

test('UDP echo sends each datagram back verbatim: text, every byte value, and an empty one', async () => {
  const { server } = await echo({ transport: 'udp' });
  const client = await udpClient();
  try {
    assert.equal(await roundTrip(client, server.port, 'hello, echo\n'), Buffer.from('hello, echo\n'));
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(await roundTrip(client, server.port, all), all);
    assert.equal(await roundTrip(client, server.port, binary(1400)), binary(1400));
    assert.is((await roundTrip(client, server.port, new Uint8Array(0))).length, 0);
    assert.equal(server.counters, { datagrams: 4, answered: 4, refused: 0, rateLimited: 0, byteLimited: 0, echoLoop: 0, connections: 0, bytes: 12 + 256 + 1400 });
  } finally {
    client.close();
    await server.close();
  }
});

test("upper: true answers in capitals as Go's strings.ToUpper, and leaves bytes that are not UTF-8 as they are", async () => {
  const { server } = await echo({ transport: 'udp', upper: true });
  const client = await udpClient();
  try {
    assert.is(String(await roundTrip(client, server.port, 'héllo wörld ✓ az AZ 09')), 'HÉLLO WÖRLD ✓ AZ AZ 09');
    // ` and { sit either side of a..z; 0xe9 and 0xff are Latin-1 lower-case letters, not UTF-8.
    const raw = Buffer.from([0x60, 0x61, 0x7a, 0x7b, 0xe9, 0xff, 0x00]);
    assert.equal([...(await roundTrip(client, server.port, raw))], [0x60, 0x41, 0x5a, 0x7b, 0xe9, 0xff, 0x00]);
  } finally {
    client.close();
    await server.close();
  }
});

// The other half of the policy, never answering our own address, cannot be reached from a test:
// no second socket can bind the server's address and port, and Node cannot forge a source address.
(lowPort === null ? test.skip : test)('UDP echo never answers a privileged source port (below 1024), and counts it', async () => {
  const { server, events } = await echo({ transport: 'udp' });
  const privileged = await udpClient(lowPort!);
  const probe = await udpClient();
  let answered = false;
  privileged.on('message', () => (answered = true));
  try {
    privileged.send('are you an echo too?', server.port, '127.0.0.1');
    await eventually(() => server.counters.refused === 1, 1000, 'the refusal counted');
    // The server handles datagrams in order: once a later one is answered, an answer to the first would have left.
    await roundTrip(probe, server.port, 'after');
    assert.is(answered, false);
    const refused = events.find((e) => e.type === 'datagram' && !e.answered);
    assert.ok(refused && refused.type === 'datagram' && refused.peer.address === `127.0.0.1:${lowPort}`, 'no refusal event');
    assert.equal(server.counters, { datagrams: 2, answered: 1, refused: 1, rateLimited: 0, byteLimited: 0, echoLoop: 0, connections: 0, bytes: 20 + 5 });
  } finally {
    privileged.close();
    probe.close();
    await server.close();
  }
});
if (lowPort === null) process.stdout.write('  note: no port below 1024 could be bound (not root), so the privileged-port refusal was skipped\n');

test('TCP echo sends the bytes back as it reads them, and ends when the client does', async () => {
  const { server, events } = await echo({ transport: 'tcp' });
  const client = await tcpClient(server.port);
  try {
    client.write('one line\n');
    assert.is(String(await readBytes(client, 9)), 'one line\n');
    client.write('no newline');
    assert.is(String(await readBytes(client, 10)), 'no newline');
    const bytes = binary(3000, 3);
    client.write(bytes);
    assert.equal(await readBytes(client, bytes.length), bytes);
    const ended = once(client, 'end', { signal: AbortSignal.timeout(1000) });
    client.end();
    await ended;
    await eventually(() => events.some((e) => e.type === 'disconnect'), 1000, 'the disconnect event');
    const gone = events.find((e) => e.type === 'disconnect');
    assert.ok(gone && gone.type === 'disconnect' && gone.bytes === 9 + 10 + 3000, 'the disconnect event has the wrong byte count');
  } finally {
    client.destroy();
    await server.close();
  }
});

test('upper: true on TCP answers in capitals, UTF-8 intact even when split across writes', async () => {
  const { server } = await echo({ transport: 'tcp', upper: true });
  const client = await tcpClient(server.port);
  try {
    client.write('Mixed Case é ✓\n');
    assert.is(String(await readBytes(client, Buffer.byteLength('Mixed Case é ✓\n'))), 'MIXED CASE É ✓\n');
    const text = Buffer.from('straße 😀 end');
    client.write(text.subarray(0, 6));
    client.write(text.subarray(6, 11));
    client.write(text.subarray(11));
    assert.is(String(await readBytes(client, text.length)), 'STRAßE 😀 END');
  } finally {
    client.destroy();
    await server.close();
  }
});

for (const upper of [false, true]) {
  test(`a 1 MB TCP echo${upper ? ' in capitals' : ''} comes back intact, written at once and ended at once`, async () => {
    const { server } = await echo({ transport: 'tcp', upper });
    const client = await tcpClient(server.port);
    try {
      // Lower-case ASCII and binary: whatever the reads' boundaries, the capitals are those of the
      // whole at once (binary can hold a valid UTF-8 letter now and then; a split one still counts).
      const sent = Buffer.concat([Buffer.alloc(512 * 1024, 'abcxyz'), binary(512 * 1024, 11)]);
      const want = upper ? Buffer.from(upperUtf8(sent)) : sent;
      const received = readBytes(client, want.length, 5000);
      const ended = once(client, 'end', { signal: AbortSignal.timeout(5000) });
      // All in one write and ended at once: what the echo cannot send yet it must hold back, not drop or reorder.
      client.write(sent);
      client.end();
      const got = await received;
      assert.is(got.length, want.length);
      assert.ok(got.equals(want), 'the echo came back changed');
      await ended;
      assert.is(server.counters.bytes, sent.length);
    } finally {
      client.destroy();
      await server.close();
    }
  });
}

test("transport 'both' serves UDP and TCP on one port, and its counters add up", async () => {
  const { server, events } = await echo({ transport: 'both' });
  const udp = await udpClient();
  const tcp1 = await tcpClient(server.port);
  const tcp2 = await tcpClient(server.port);
  try {
    const starts = events.flatMap((e) => (e.type === 'start' ? [[e.transport, e.port]] : []));
    assert.equal(starts, [
      ['udp', server.port],
      ['tcp', server.port],
    ]);
    assert.is(String(await roundTrip(udp, server.port, 'over udp')), 'over udp');
    assert.is(String(await roundTrip(udp, server.port, 'again')), 'again');
    tcp1.write('over tcp\n');
    assert.is(String(await readBytes(tcp1, 9)), 'over tcp\n');
    tcp2.write('xy');
    assert.is(String(await readBytes(tcp2, 2)), 'xy');
    assert.equal(server.counters, { datagrams: 2, answered: 2, refused: 0, rateLimited: 0, byteLimited: 0, echoLoop: 0, connections: 2, bytes: 8 + 5 + 9 + 2 });
    // Closing the server ends the connections still open.
    const closed = Promise.all([tcp1, tcp2].map((s) => once(s, 'close', { signal: AbortSignal.timeout(1000) })));
    await server.close();
    await closed;
  } finally {
    udp.close();
    tcp1.destroy();
    tcp2.destroy();
    await server.close();
  }
});

test('a byte budget per source /24: 30 KB datagrams past 90 KB a second are not answered, and counted; another /24 is apart', async () => {
  // Off loopback the echo has a byte budget by default; bound to 127.0.0.1, a test sets one.
  const { server, events } = await echo({ transport: 'udp', bytesPerSource: 90_000 });
  const near = await udpClient();
  const far = dgram.createSocket('udp4');
  far.bind(0, '127.0.1.1');
  await once(far, 'listening');
  let back = 0;
  near.on('message', (msg) => (back += msg.length));
  try {
    // One at a time, so no socket buffer drops one: ten within a few milliseconds.
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      near.send(binary(30_000, i + 1), server.port, '127.0.0.1');
      await eventually(() => server.counters.datagrams === i + 1, 1000, `datagram ${i + 1} seen`);
    }
    // Three fit the budget at once; a fourth only once a third of a second has refilled it.
    const { answered, byteLimited, rateLimited } = server.counters;
    const elapsed = performance.now() - started;
    assert.ok(answered >= 3 && answered * 30_000 <= 90_000 + elapsed * 90, `${answered} answered in ${elapsed.toFixed(0)} ms`);
    assert.equal([byteLimited, rateLimited], [10 - answered, 0]);
    assert.ok(events.some((e) => e.type === 'datagram' && e.why === 'byte rate limited'), 'the refusal says why');
    assert.is(String(await roundTrip(far, server.port, 'another network')), 'another network');
    await eventually(() => back === answered * 30_000, 1000, 'the answers back');
  } finally {
    near.close();
    far.close();
    await server.close();
  }
});

test('the echo limits by default: none on loopback, 200 answers and 256 kB a second per source prefix elsewhere', () => {
  for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(prefixLimitsFor(host), { ratePerSource: 0, bytesPerSource: 0 }, host);
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) assert.equal(prefixLimitsFor(host), { ratePerSource: 200, bytesPerSource: 256_000 }, host);
});

/** Resolves when the peer's FIN arrives (after whatever data it sent); fails after `ms`. */
const ended = (socket: net.Socket, ms = 2000) => once(socket, 'end', { signal: AbortSignal.timeout(ms) });

test('closeOn: a line that is exactly the word closes the connection, unanswered; what came before is echoed (in capitals too)', async () => {
  const { server, events } = await echo({ transport: 'tcp', closeOn: 'exit', upper: true });
  const clients: net.Socket[] = [];
  try {
    // The seed 000 client's way: a line, then `exit\n`, in one write.
    const a = await tcpClient(server.port);
    clients.push(a);
    const chunks: Buffer[] = [];
    a.on('data', (d: Buffer) => chunks.push(d));
    const endA = ended(a);
    a.write('héllo\nexit\n');
    await endA;
    assert.is(String(Buffer.concat(chunks)), 'HÉLLO\n');
    // Split across writes, with \r\n: the same.
    const b = await tcpClient(server.port);
    clients.push(b);
    const gotB: Buffer[] = [];
    b.on('data', (d: Buffer) => gotB.push(d));
    b.write('ex');
    b.write('it?\n');
    await eventually(() => Buffer.concat(gotB).length === 6, 1000, 'exit? echoed whole');
    const endB = ended(b);
    b.write('ex');
    await eventually(() => server.counters.bytes === Buffer.byteLength('héllo\nexit\n') + 2 + 4 + 2, 1000, 'ex read');
    b.write('it\r\nnot echoed\n');
    await endB;
    assert.is(String(Buffer.concat(gotB)), 'EXIT?\n');
    await eventually(() => events.filter((e) => e.type === 'disconnect').length === 2, 2000, 'both disconnects');
    const gone = events.filter((e) => e.type === 'disconnect');
    assert.ok(gone.every((e) => e.type === 'disconnect' && e.closeOn === 'exit'), JSON.stringify(gone));
    assert.is(server.counters.closedOn, 2);
    // `EXIT` is not the word: the word is matched exactly.
    const c = await tcpClient(server.port);
    clients.push(c);
    c.write('EXIT\n');
    assert.is(String(await readBytes(c, 5)), 'EXIT\n');
    assert.is(server.counters.closedOn, 2);
  } finally {
    for (const c of clients) c.destroy();
    await server.close();
  }
});

test('without closeOn, `exit` is echoed like any line (the default stays)', async () => {
  const { server } = await echo({ transport: 'tcp' });
  const client = await tcpClient(server.port);
  try {
    client.write('exit\n');
    assert.is(String(await readBytes(client, 5)), 'exit\n');
    assert.is(server.counters.closedOn, undefined);
  } finally {
    client.destroy();
    await server.close();
  }
});

test('an impaired UDP echo corrupts what it counts as corrupted: one bit of the answer flipped', async () => {
  const { server } = await echo({ transport: 'udp', impairment: { ...NO_IMPAIRMENT, corrupt: 1 }, seed: 5 });
  const client = await udpClient();
  try {
    const sent = Buffer.from('flip one bit');
    const got = await roundTrip(client, server.port, sent);
    let bits = 0;
    for (let i = 0; i < sent.length; i++) for (let x = sent[i]! ^ got[i]!; x; x &= x - 1) bits += 1;
    assert.is(got.length, sent.length);
    assert.is(bits, 1);
    assert.is(server.counters.impairment?.corrupted, 1);
  } finally {
    client.close();
    await server.close();
  }
});

test('an impaired UDP echo: duplicate answers twice, delay answers late, and the events and counters say so', async () => {
  const { server, events } = await echo({ transport: 'udp', impairment: { ...NO_IMPAIRMENT, duplicate: 1, delayMs: 60 }, seed: 3 });
  const client = await udpClient();
  const got: Array<[string, number]> = [];
  client.on('message', (m) => got.push([String(m), performance.now()]));
  try {
    const sentAt = performance.now();
    client.send('twice, late', server.port, '127.0.0.1');
    await eventually(() => got.length === 2, 2000, 'two answers');
    assert.equal(got.map(([m]) => m), ['twice, late', 'twice, late']);
    assert.ok(got[0]![1] - sentAt >= 58, `answered after ${Math.round(got[0]![1] - sentAt)} ms`);
    const e = events.find((x) => x.type === 'datagram');
    assert.equal(e, { type: 'datagram', peer: { address: `127.0.0.1:${client.address().port}`, transport: 'udp' }, bytes: 11, answered: true, delayMs: 60, duplicated: true });
    assert.is(server.counters.answered, 1);
    assert.equal(server.counters.impairment, { packets: 1, bytes: 11, lost: 0, queueDrops: 0, duplicated: 1, reordered: 0, delayed: 1, corrupted: 0 });
  } finally {
    client.close();
    await server.close();
  }
});

test('a refused datagram draws nothing: the seed decides the fate of the answerable ones only', async () => {
  // loss 1 on a fresh policy: every answerable datagram lost; a refused one is counted as refused, not lost.
  const { server, events } = await echo({ transport: 'udp', impairment: { ...NO_IMPAIRMENT, loss: 1 }, seed: 1, ratePerSource: 1 });
  const client = await udpClient();
  try {
    for (let i = 0; i < 3; i++) {
      client.send(`n${i}`, server.port, '127.0.0.1');
      await eventually(() => server.counters.datagrams === i + 1, 1000, `datagram ${i + 1} seen`);
    }
    const whys = events.flatMap((e) => (e.type === 'datagram' ? [e.why] : []));
    assert.equal(whys, ['lost (--loss)', 'rate limited', 'rate limited']);
    assert.equal([server.counters.answered, server.counters.rateLimited, server.counters.impairment!.lost, server.counters.impairment!.packets], [0, 2, 1, 1]);
  } finally {
    client.close();
    await server.close();
  }
});

test('answers held back by a delay are bounded in bytes: past ECHO_LIMITS.heldBytes they are dropped and counted', async () => {
  const { server, events } = await echo({ transport: 'udp', impairment: { ...NO_IMPAIRMENT, delayMs: 5000 }, seed: 1 });
  const client = await udpClient();
  try {
    const size = 60_000;
    const fit = Math.floor(ECHO_LIMITS.heldBytes / (size + HELD_COPY_OVERHEAD));
    for (let i = 0; i < fit + 3; i++) {
      client.send(binary(size, i + 1), server.port, '127.0.0.1');
      await eventually(() => server.counters.datagrams === i + 1, 1000, `datagram ${i + 1} seen`);
    }
    assert.equal([server.counters.answered, server.counters.impairment!.queueDrops], [fit, 3]);
    assert.is(events.filter((e) => e.type === 'datagram' && e.why === 'held answers full').length, 3);
  } finally {
    client.close();
    await server.close();
  }
});

test('a flood of empty datagrams under a long delay is bounded too: each held answer costs its timer, not only its bytes', async () => {
  const { server } = await echo({ transport: 'udp', impairment: { ...NO_IMPAIRMENT, delayMs: 20_000 }, seed: 1, maxReflections: 0 });
  const client = await udpClient();
  try {
    // Empty answers held 20 s weigh nothing in bytes: without the per-copy cost the bound never bites.
    const fit = Math.floor(ECHO_LIMITS.heldBytes / HELD_COPY_OVERHEAD);
    const extra = 20;
    const batch = 100;
    for (let sent = 0; sent < fit + extra; ) {
      const n = Math.min(batch, fit + extra - sent);
      for (let i = 0; i < n; i++) client.send(new Uint8Array(0), server.port, '127.0.0.1');
      sent += n;
      await eventually(() => server.counters.datagrams === sent, 2000, `${sent} datagrams seen`);
    }
    assert.equal([server.counters.answered, server.counters.impairment!.queueDrops], [fit, extra]);
  } finally {
    client.close();
    await server.close();
  }
});

test('the per-prefix byte budget counts what is sent: both copies of a --duplicate, and capitals longer than the letters (ɐ → Ɐ)', async () => {
  // Off loopback an echo answers a /24 this many bytes a second: a forged source must get no more.
  const budget = 3000;
  const { server } = await echo({ transport: 'udp', upper: true, ratePerSource: 0, bytesPerSource: budget, maxReflections: 0, impairment: { ...NO_IMPAIRMENT, duplicate: 1 }, seed: 1 });
  const client = await udpClient();
  let received = 0;
  client.on('message', (msg) => (received += msg.length));
  try {
    // 200 bytes in, 300 bytes of capitals out, twice.
    const datagram = Buffer.from('ɐ'.repeat(100));
    const sent = 30;
    for (let i = 0; i < sent; i++) client.send(datagram, server.port, '127.0.0.1');
    await eventually(() => server.counters.datagrams === sent, 2000, 'every datagram seen');
    await eventually(() => received >= server.counters.answered * 600, 2000, 'every answer received');
    // Within the budget, give or take one answer spent on credit (the copies are known only once it is decided).
    assert.ok(received <= budget + 600, `${received} bytes answered, the budget is ${budget}`);
    assert.ok(server.counters.byteLimited > 0, 'the rest were refused and counted');
  } finally {
    client.close();
    await server.close();
  }
});

test.run();
