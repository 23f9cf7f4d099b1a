import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ping, type PingEvent } from '../../src/client/ping.js';
import { PING_REPLY } from '../../src/client/ping-stats.js';
import { ChatError } from '../../src/core/errors.js';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { NO_TCP_IMPAIRMENT } from '../../src/proxy/tcp-proxy.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { closedPort } from '../helpers/spawn.js';

const test = suite('udp-chat ping on real sockets');

const lossyProxy = (transport: 'udp' | 'tcp', targetPort: number, seed: number) =>
  startProxy({
    transport,
    listenHost: '127.0.0.1',
    listenPort: 0,
    targetHost: '127.0.0.1',
    targetPort,
    direction: 'both',
    seed,
    udp: { ...NO_IMPAIRMENT, loss: 0.3 },
    tcp: { ...NO_TCP_IMPAIRMENT, loss: 0.3, rtoMs: 200 },
  });

/** Twenty probes to an echo through `proxy --loss 0.3 --seed SEED`: the result and what the proxy lost. */
async function throughLossyProxy(seed: number) {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const proxy = await lossyProxy('udp', echo.port, seed);
  try {
    const result = await ping({ host: '127.0.0.1', port: proxy.proxy.port, count: 20, intervalMs: 20, timeoutMs: 400 });
    const k = proxy.proxy.counters() as { in: { lost: number }; out: { lost: number } };
    return { result, lost: k.in.lost + k.out.lost };
  } finally {
    await proxy.proxy.close();
    await echo.close();
  }
}

test('through a seeded lossy proxy: every probe is answered or timed out, and the timeouts are what the proxy lost', async () => {
  const { result, lost } = await throughLossyProxy(1);
  assert.is(result.transmitted, 20);
  assert.is(result.received + result.timeouts, 20);
  // A reply that missed its timeout on a busy machine is a timeout and late, not a loss.
  assert.is(result.timeouts, lost + result.late);
  assert.ok(lost > 0, 'seed 1 loses some of 40 datagrams at 0.3');
  assert.is(result.lossPercent, ((20 - result.received) / 20) * 100);
  assert.equal(result.probes.map((p) => p.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.is(result.probes.filter((p) => p.status === 'replied').length, result.received);
  const rtts = result.probes.filter((p) => p.status === 'replied').map((p) => p.rttMs!);
  assert.is(result.rtt!.min, Math.min(...rtts));
  assert.is(result.rtt!.max, Math.max(...rtts));
  // The same seed through a fresh proxy loses the same probes.
  const again = await throughLossyProxy(1);
  const timedOut = (r: typeof result) => r.probes.filter((p) => p.status !== 'replied').map((p) => p.seq);
  if (result.late === 0 && again.result.late === 0) assert.equal(timedOut(again.result), timedOut(result));
});

test('against echo --upper --loss 0.3 --seed 1 (the Pinger lab server): the probes timed out are exactly the ones the echo says it lost, the same on a fresh echo', async () => {
  const run = async () => {
    const lostSeqs: number[] = [];
    let seen = 0;
    const echo = await startEchoServer({
      transport: 'udp',
      host: '127.0.0.1',
      port: 0,
      upper: true,
      impairment: { ...NO_IMPAIRMENT, loss: 0.3 },
      seed: 1,
      // The echo's own record of each datagram it did not answer; probes arrive in order on
      // loopback, so the n-th datagram is probe n.
      onEvent: (e) => {
        if (e.type !== 'datagram') return;
        seen += 1;
        if (e.why === 'lost (--loss)') lostSeqs.push(seen);
      },
    });
    try {
      const result = await ping({ host: '127.0.0.1', port: echo.port, count: 20, intervalMs: 20, timeoutMs: 400 });
      return { result, lostSeqs, lost: echo.counters.impairment!.lost };
    } finally {
      await echo.close();
    }
  };
  const first = await run();
  const timedOut = first.result.probes.filter((p) => p.status !== 'replied').map((p) => p.seq);
  assert.ok(first.lost > 0, 'seed 1 loses some of 20 at 0.3');
  assert.is(first.result.received, 20 - first.lost);
  assert.equal(timedOut, first.lostSeqs);
  assert.is(first.result.lossPercent, (first.lost / 20) * 100);
  const second = await run();
  assert.equal(second.lostSeqs, first.lostSeqs);
});

/**
 * A server that misbehaves by number, never at random: greets the first probe as a room would,
 * drops 2, holds 3 until the pinger has given up on it, answers 4 twice, echoes the rest.
 */
async function misbehavingServer(): Promise<{ socket: dgram.Socket; releaseHeld: () => void }> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let held: (() => void) | undefined;
  let greeted = false;
  socket.on('message', (msg, rinfo) => {
    const answer = (bytes: Buffer | string) => socket.send(bytes, rinfo.port, rinfo.address);
    if (!greeted) answer('* welcome to the room, guest1');
    greeted = true;
    const seq = Number(PING_REPLY.exec(String(msg))?.[1]);
    if (seq === 2) return;
    if (seq === 3) {
      held = () => answer(msg);
      return;
    }
    answer(msg);
    if (seq === 4) answer(msg);
  });
  return { socket, releaseHeld: () => held?.() };
}

test('a dropped probe times out; a reply after its timeout is late; a second reply is DUP; a greeting is unexpected; none counted', async () => {
  const { socket, releaseHeld } = await misbehavingServer();
  const events: PingEvent[] = [];
  try {
    const result = await ping({
      host: '127.0.0.1',
      port: socket.address().port,
      count: 5,
      intervalMs: 200,
      timeoutMs: 150,
      onEvent: (e) => {
        events.push(e);
        // Seq 3's answer goes once the pinger has given up on it (no clock in the test).
        if (e.type === 'timeout' && e.seq === 3) releaseHeld();
      },
    });
    assert.equal(
      events.map((e) => ('seq' in e ? `${e.type} ${e.seq}` : e.type)),
      ['start', 'unexpected', 'reply 1', 'timeout 2', 'timeout 3', 'late 3', 'reply 4', 'duplicate 4', 'reply 5'],
    );
    assert.equal(
      { t: result.transmitted, r: result.received, late: result.late, dup: result.duplicates, unexpected: result.unexpected, timeouts: result.timeouts, loss: result.lossPercent },
      { t: 5, r: 3, late: 1, dup: 1, unexpected: 1, timeouts: 2, loss: 40 },
    );
    assert.equal(result.probes.map((p) => p.status), ['replied', 'timeout', 'late', 'replied', 'replied']);
    // Its RTT is kept (the time runs from when it was due, so a timer's lateness may take a little off -W).
    assert.ok(result.probes[2]!.rttMs! > 100, `late rtt ${result.probes[2]!.rttMs}`);
    assert.is(result.stopped, undefined);
  } finally {
    socket.close();
  }
});

test('nothing listening: each probe comes back port unreachable, none received', async () => {
  const port = await closedPort('udp');
  const events: PingEvent[] = [];
  const result = await ping({ host: '127.0.0.1', port, count: 3, intervalMs: 30, timeoutMs: 500, onEvent: (e) => events.push(e) });
  assert.equal(events.filter((e) => e.type === 'unreachable').map((e) => (e as { seq: number }).seq), [1, 2, 3]);
  assert.equal([result.transmitted, result.received, result.unreachable, result.timeouts], [3, 0, 3, 0]);
  assert.is(result.lossPercent, 100);
  assert.is(result.rtt, null);
});

test('-s pads each probe, and the echo answers as many bytes; a size under the header is refused before anything is sent', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const events: PingEvent[] = [];
    const result = await ping({ host: '127.0.0.1', port: echo.port, count: 2, intervalMs: 20, size: 1000, onEvent: (e) => events.push(e) });
    assert.equal(events.map((e) => ('bytes' in e ? e.bytes : 0)), [1000, 1000, 1000]);
    assert.is(result.received, 2);
    try {
      await ping({ host: '127.0.0.1', port: echo.port, count: 10, size: 24 });
      assert.unreachable('a size under the header was taken');
    } catch (err) {
      assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
    }
    assert.is(echo.counters.datagrams, 2);
  } finally {
    await echo.close();
  }
});

test('an abort (Ctrl-C) stops a run of -c 0 with the figures so far', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const stop = new AbortController();
  try {
    const result = await ping({
      host: '127.0.0.1',
      port: echo.port,
      count: 0,
      intervalMs: 10,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'reply' && e.seq === 3) stop.abort();
      },
    });
    assert.is(result.stopped, 'signal');
    assert.ok(result.transmitted >= 3 && result.received >= 3, JSON.stringify(result));
    assert.is(result.received + result.probes.filter((p) => p.status === 'pending').length, result.transmitted);
  } finally {
    await echo.close();
  }
});

test('--tcp: through the proxy emulating loss, nothing is lost: the loss is delay, a reply after -W still counts', async () => {
  const echo = await startEchoServer({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const proxy = await lossyProxy('tcp', echo.port, 1);
  try {
    const result = await ping({ host: '127.0.0.1', port: proxy.proxy.port, transport: 'tcp', count: 10, intervalMs: 20, timeoutMs: 50 });
    assert.equal([result.transmitted, result.received, result.timeouts, result.late], [10, 10, 0, 0]);
    assert.ok(result.rtt!.max >= 200, `a "lost" chunk costs the 200ms retransmission timeout: max ${result.rtt!.max}`);
    assert.ok(result.probes.some((p) => p.rttMs! > 50), 'some reply came after -W and counted');
  } finally {
    await proxy.proxy.close();
    await echo.close();
  }
});

test('--tcp: a server that closes the connection ends the run; the probe it owed is pending', async () => {
  const server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      if (String(chunk).startsWith('Ping 1 ')) socket.write(chunk);
      else socket.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const events: PingEvent[] = [];
  try {
    const result = await ping({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, transport: 'tcp', count: 5, intervalMs: 30, onEvent: (e) => events.push(e) });
    assert.match(result.stopped ?? '', /closed the connection/);
    assert.equal(result.probes.map((p) => p.status), ['replied', 'pending']);
    assert.is(events.at(-1)!.type, 'ended');
  } finally {
    server.close();
  }
});

test('--tcp where nothing listens is refused before any probe', async () => {
  const port = await closedPort('tcp');
  try {
    await ping({ host: '127.0.0.1', port, transport: 'tcp' });
    assert.unreachable('a refused connection was taken');
  } catch (err) {
    assert.is((err as ChatError).code, 'ERR_CONNECTION_REFUSED');
  }
});

test.run();
