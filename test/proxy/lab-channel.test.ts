/** The proxy as a lab channel on real sockets: --corrupt flips one bit, --queue drops at the tail, a uniform delay, each way on its own. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PROXY_LIMITS } from '../../src/core/limits.js';
import { HELD_COPY_OVERHEAD } from '../../src/transports/held.js';
import { NO_IMPAIRMENT, seededPolicy, type UdpImpairment } from '../../src/transports/policy.js';
import { startUdpProxy, type Direction } from '../../src/proxy/udp-proxy.js';
import { bitsDiffering } from '../helpers/bits.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('the UDP proxy as a lab channel, on real sockets');

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/**
 * A server that records each datagram with when it came, and sends it straight back; a client
 * socket; and a proxy between them. `body` runs with them; all closed afterwards.
 */
async function channel(impairment: Partial<UdpImpairment>, direction: Direction, seed: number, body: (c: { send: (b: Uint8Array) => void; got: Array<{ bytes: Buffer; at: number }>; replies: Buffer[]; proxy: Awaited<ReturnType<typeof startUdpProxy>> }) => Promise<void>) {
  const server = await socket();
  const client = await socket();
  const got: Array<{ bytes: Buffer; at: number }> = [];
  const replies: Buffer[] = [];
  server.on('message', (msg, rinfo) => {
    got.push({ bytes: msg, at: performance.now() });
    server.send(msg, rinfo.port, rinfo.address);
  });
  client.on('message', (msg) => replies.push(msg));
  const proxy = await startUdpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: server.address().port, direction, seed, impairment: { ...NO_IMPAIRMENT, ...impairment } });
  try {
    await body({ send: (b) => client.send(b, proxy.port, '127.0.0.1'), got, replies, proxy });
  } finally {
    client.close();
    server.close();
    await proxy.close();
  }
}

test('--corrupt 1 --direction in: every datagram reaches the server with exactly one bit flipped, the seed picks which, and the replies come back as sent', async () => {
  const seed = 5;
  const sent = Array.from({ length: 20 }, (_, i) => Buffer.from(`Ping ${i + 1} ${1000 + i * 37}`));
  // What the seed promises: the policy a fresh proxy builds for the `in` direction.
  const expected = seededPolicy({ ...NO_IMPAIRMENT, corrupt: 1 }, seed);
  const bits = sent.map((b) => {
    const v = expected.decide(b.length, 0);
    return v.kind === 'send' ? v.corruptBit : undefined;
  });
  await channel({ corrupt: 1 }, 'in', seed, async ({ send, got, replies, proxy }) => {
    // One at a time, so each arrival pairs with what was sent.
    for (const [i, b] of sent.entries()) {
      send(b);
      await eventually(() => replies.length === i + 1, 2000, `datagram ${i + 1} back`);
    }
    for (const [i, b] of sent.entries()) {
      const arrived = got[i]!.bytes;
      assert.is(arrived.length, b.length);
      assert.is(bitsDiffering(arrived, b), 1, `datagram ${i + 1}: ${arrived.toString('hex')} vs ${b.toString('hex')}`);
      const bit = bits[i]!;
      assert.is(arrived[bit >> 3]! ^ b[bit >> 3]!, 0x80 >> (bit & 7), `datagram ${i + 1}: bit ${bit}`);
      // --direction in: the replies are not corrupted again.
      assert.equal(replies[i], arrived);
    }
    assert.is(proxy.counters().in.corrupted, 20);
    assert.is(proxy.counters().out.corrupted, 0);
  });
});

test('--corrupt 1 --direction out: the server gets the datagrams intact, the client a bit flipped in each reply', async () => {
  await channel({ corrupt: 1 }, 'out', 2, async ({ send, got, replies, proxy }) => {
    const b = Buffer.from('hello, corrupted world');
    send(b);
    await eventually(() => replies.length === 1, 2000, 'the reply');
    assert.equal(got[0]!.bytes, b);
    assert.is(bitsDiffering(replies[0]!, b), 1);
    assert.equal([proxy.counters().in.corrupted, proxy.counters().out.corrupted], [0, 1]);
  });
});

test('--rate with --queue 3: a burst of 10 gets 3 through and 7 counted as queue drops, paced at the rate', async () => {
  // 2000 bytes/s and 200-byte datagrams: 100 ms each on the link.
  await channel({ rateBytesPerSec: 2000, queueLimit: 3 }, 'in', 1, async ({ send, got, proxy }) => {
    const start = performance.now();
    for (let i = 0; i < 10; i++) send(Buffer.alloc(200, 48 + i));
    await eventually(() => proxy.counters().in.packets === 10, 2000, 'the burst seen');
    await eventually(() => got.length === 3, 2000, 'three through');
    assert.is(proxy.counters().in.queueDrops, 7);
    // The first three, in order, each a link time after the one before.
    assert.equal(got.map((g) => g.bytes[0]), [48, 49, 50]);
    assert.ok(got[2]!.at - start >= 250, `the third left ~300 ms after the burst, not ${Math.round(got[2]!.at - start)} ms`);
  });
});

test('--delay 120ms --delay-dist uniform --direction in: each datagram waits a seeded time in [0, 120 ms]', async () => {
  await channel({ delayMs: 120, delayDist: 'uniform' }, 'in', 11, async ({ send, got, proxy }) => {
    const policy = seededPolicy({ ...NO_IMPAIRMENT, delayMs: 120, delayDist: 'uniform' }, 11);
    const planned = Array.from({ length: 8 }, () => {
      const v = policy.decide(6, 0);
      return v.kind === 'send' ? v.delays[0]! : -1;
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 8; i++) {
      sentAt.push(performance.now());
      send(Buffer.from(`probe${i}`));
      await eventually(() => got.length === i + 1, 2000, `probe ${i} through`);
    }
    for (let i = 0; i < 8; i++) {
      const waited = got[i]!.at - sentAt[i]!;
      assert.ok(planned[i]! >= 0 && planned[i]! <= 120, String(planned[i]));
      // Never early; late only by the scheduler (generous on a busy machine).
      assert.ok(waited >= planned[i]! - 2 && waited <= planned[i]! + 150, `probe ${i}: planned ${planned[i]} ms, waited ${Math.round(waited)} ms`);
    }
    assert.is(proxy.counters().in.delayed, planned.filter((d) => d > 0).length);
    assert.is(proxy.counters().out.delayed, 0);
  });
});

test('datagrams a delay holds back are bounded in bytes: past PROXY_LIMITS.heldBytes they are queue drops, not memory', async () => {
  await channel({ delayMs: 5000 }, 'in', 1, async ({ send, got, proxy }) => {
    const size = 60_000;
    const fit = Math.floor(PROXY_LIMITS.heldBytes / (size + HELD_COPY_OVERHEAD));
    for (let i = 0; i < fit + 3; i++) {
      send(Buffer.alloc(size, i));
      // One at a time, so the kernel's buffer never drops one and the count is exact.
      await eventually(() => proxy.counters().in.packets === i + 1, 1000, `datagram ${i + 1} seen`);
    }
    assert.is(proxy.counters().in.queueDrops, 3);
    assert.is(got.length, 0, 'nothing is sent before its delay');
  });
});

test('a datagram with no room to be held does not keep its place on the rate-limited link: the link is free again once the sent ones are through', async () => {
  const delayMs = 300;
  // 20 ms of link each: 200 drops that wrongly kept their place would hold the probe back 4 s,
  // far past the bound below, which leaves a loaded machine a second and a half of slack.
  await channel({ delayMs, rateBytesPerSec: 3_000_000, queueLimit: 100_000 }, 'in', 1, async ({ send, got, proxy }) => {
    // The held-bytes bound fills after `fit`, and the rest are queue drops.
    const size = 60_000;
    const fit = Math.floor(PROXY_LIMITS.heldBytes / (size + HELD_COPY_OVERHEAD));
    const total = fit + 200;
    // Faster than the link (one at a time, so the kernel drops none): a poll per turn, not per 5 ms.
    for (let i = 0; i < total; i++) {
      send(Buffer.alloc(size, i));
      const deadline = performance.now() + 1000;
      while (proxy.counters().in.packets !== i + 1) {
        if (performance.now() > deadline) throw new Error(`datagram ${i + 1} not seen within 1 s`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const c = proxy.counters().in;
    assert.ok(c.queueDrops > 0, 'the bound was reached');
    // Those not dropped were on a link of 20 ms each: through in under two seconds. (A dropped
    // one charged to the link pushed the later ones, and the link, back by its 20 ms each.)
    await eventually(() => got.length === total - proxy.counters().in.queueDrops, 5000, 'every datagram held is delivered');
    const sentAt = performance.now();
    send(Buffer.from('probe'));
    await eventually(() => got.some((g) => g.bytes.toString() === 'probe'), delayMs + 2000, 'the probe waits its delay, not the dropped datagrams');
    assert.ok(got.at(-1)!.at - sentAt < delayMs + 2000);
  });
});

test.run();
