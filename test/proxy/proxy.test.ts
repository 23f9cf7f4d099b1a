import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { NO_TCP_IMPAIRMENT, startTcpProxy } from '../../src/proxy/tcp-proxy.js';
import { startUdpProxy } from '../../src/proxy/udp-proxy.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';

const test = suite('the impairment proxy on real sockets');

const udpProxy = (targetPort: number, impairment = {}, seed = 1) =>
  startUdpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort, direction: 'in', seed, impairment: { ...NO_IMPAIRMENT, ...impairment } });

test('a chat through the UDP proxy: the server sees each client as its own peer', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const proxy = await udpProxy(server.port);
  const [a, b] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  try {
    a.send(proxy.port, '/nick alice');
    await a.waitFor(/is now alice/);
    b.send(proxy.port, '/nick bob');
    await b.waitFor(/is now bob/);
    a.send(proxy.port, 'hello through the proxy');
    await b.waitFor('<alice> hello through the proxy');
    assert.is(server.room.size, 2);
    assert.is(proxy.counters().clients, 2);
  } finally {
    a.close();
    b.close();
    await proxy.close();
    await server.close();
  }
});

async function lostThroughProxy(seed: number): Promise<number[]> {
  const echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
  const proxy = await udpProxy(echo.port, { loss: 0.3 }, seed);
  const peer = await UdpPeer.open();
  try {
    // One at a time, so the proxy sees them in this order whatever the scheduler does.
    for (let i = 1; i <= 40; i++) {
      peer.send(proxy.port, `n${i}`);
      await eventually(() => proxy.counters().in.packets === i, 2000, `datagram ${i} seen`);
    }
    // A probe past the losses: once the last one that survived is back, all survivors are.
    await eventually(() => echo.counters.datagrams === 40 - proxy.counters().in.lost, 2000, 'survivors echoed');
    await eventually(() => peer.lines.length === echo.counters.datagrams, 2000, 'echoes back');
    const got = new Set(peer.lines);
    return Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => !got.has(`n${n}`));
  } finally {
    peer.close();
    await proxy.close();
    await echo.close();
  }
}

test('--loss 0.3 --seed 42 loses the same numbers on every run, as counted', async () => {
  const first = await lostThroughProxy(42);
  const second = await lostThroughProxy(42);
  assert.equal(second, first);
  assert.ok(first.length > 3 && first.length < 25, `lost ${first.length} of 40`);
});

test('duplicate and reorder through the UDP proxy arrive twice and late', async () => {
  const echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
  const proxy = await udpProxy(echo.port, { duplicate: 1 });
  const peer = await UdpPeer.open();
  try {
    peer.send(proxy.port, 'twice');
    await eventually(() => peer.lines.filter((l) => l === 'twice').length === 2, 2000, 'two copies');
    assert.is(proxy.counters().in.duplicated, 1);
  } finally {
    peer.close();
    await proxy.close();
    await echo.close();
  }
});

async function tcpReads(impairment: Partial<typeof NO_TCP_IMPAIRMENT>, writes: string[]): Promise<string[]> {
  const echo = await startEchoServer({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const proxy = await startTcpProxy({
    listenHost: '127.0.0.1',
    listenPort: 0,
    targetHost: '127.0.0.1',
    targetPort: echo.port,
    direction: 'out',
    seed: 1,
    impairment: { ...NO_TCP_IMPAIRMENT, ...impairment },
  });
  const socket = net.connect(proxy.port, '127.0.0.1');
  const reads: string[] = [];
  socket.on('data', (d) => reads.push(String(d)));
  try {
    await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
    for (const w of writes) {
      socket.write(w);
      // Each write its own segment into the proxy: wait until the echo server has read it.
      const total = writes.slice(0, writes.indexOf(w) + 1).join('').length;
      await eventually(() => echo.counters.bytes >= total, 2000, 'echo read');
    }
    const expected = writes.join('').length;
    await eventually(() => reads.join('').length === expected, 3000, 'all bytes back');
    return reads;
  } finally {
    socket.destroy();
    await proxy.close();
    await echo.close();
  }
}

test('TCP --coalesce merges separate writes into one read: sticky packets', async () => {
  const reads = await tcpReads({ coalesceMs: 150 }, ['one\n', 'two\n', 'three\n']);
  assert.equal(reads, ['one\ntwo\nthree\n']);
});

test('TCP --slice cuts one write into several reads, in order', async () => {
  const reads = await tcpReads({ sliceBytes: 4, sliceDelayMs: 5 }, ['hello world!\n']);
  assert.ok(reads.length >= 3, `expected at least 3 reads, got ${JSON.stringify(reads)}`);
  assert.is(reads.join(''), 'hello world!\n');
});

test('TCP emulated loss delivers everything, in order, a retransmission timeout later', async () => {
  const start = performance.now();
  const reads = await tcpReads({ loss: 1, rtoMs: 120 }, ['a\n', 'b\n']);
  assert.is(reads.join(''), 'a\nb\n');
  assert.ok(performance.now() - start >= 120, 'no retransmission delay was seen');
});

test.run();
