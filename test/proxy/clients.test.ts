/**
 * The UDP proxy's client table under a flood of sources (proxy/udp-proxy.ts): capped, least
 * recently seen evicted first, new clients rate-limited per source prefix, honest clients served.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PROXY_LIMITS } from '../../src/core/limits.js';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { startUdpProxy, type UdpProxyOptions } from '../../src/proxy/udp-proxy.js';
import { startEchoServer, type EchoServer } from '../../src/servers/echo-server.js';
import { forgeUdp, forgeUnavailable } from '../helpers/forge.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('the UDP proxy client table, on real sockets');

/** Open file descriptors of this process, where the OS shows them (Linux); else null. */
function openFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** An echo behind a proxy with these client limits. */
async function echoBehindProxy(options: Partial<UdpProxyOptions>) {
  const echo: EchoServer = await startEchoServer({ host: '127.0.0.1', port: 0 });
  const proxy = await startUdpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: echo.port, direction: 'both', seed: 1, impairment: NO_IMPAIRMENT, ...options });
  return {
    echo,
    proxy,
    async close() {
      await proxy.close();
      await echo.close();
    },
  };
}

/** A client socket that records each answer it gets. */
async function client(host = '127.0.0.1') {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  const answers: string[] = [];
  socket.on('message', (msg) => answers.push(String(msg)));
  return {
    socket,
    answers,
    /** Sends `text` through the proxy and waits for its echo. */
    async ask(port: number, text: string, ms = 1000) {
      socket.send(text, port, '127.0.0.1');
      await eventually(() => answers.includes(text), ms, `the echo of ${text}`);
    },
    /** As a UDP client does under loss: sends `text` again every 100 ms until its echo comes. */
    async askAgain(port: number, text: string, ms = 2000) {
      const deadline = Date.now() + ms;
      for (;;) {
        socket.send(text, port, '127.0.0.1');
        try {
          return await eventually(() => answers.includes(text), 100, `the echo of ${text}`);
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
    },
  };
}

test('past max clients the least recently seen client loses its socket, counted; the others keep theirs', async () => {
  const setup = await echoBehindProxy({ maxClients: 3, newClientsPerSecond: 0 });
  const [a, b, c, d] = await Promise.all([client(), client(), client(), client()]);
  const port = setup.proxy.port;
  try {
    await a.ask(port, 'a1');
    await b.ask(port, 'b1');
    await c.ask(port, 'c1');
    // a speaks again: b is now the least recently seen.
    await a.ask(port, 'a2');
    assert.equal([setup.proxy.counters().clients, setup.proxy.counters().clientsEvicted], [3, 0]);
    await d.ask(port, 'd1');
    assert.equal([setup.proxy.counters().clients, setup.proxy.counters().clientsEvicted], [3, 1]);
    // a and c still have their sockets: no new one is opened (no eviction) when they speak.
    await a.ask(port, 'a3');
    await c.ask(port, 'c2');
    assert.is(setup.proxy.counters().clientsEvicted, 1);
    // b comes back as a new client and takes the place of the least recent (d).
    await b.ask(port, 'b2');
    assert.equal([setup.proxy.counters().clients, setup.proxy.counters().clientsEvicted], [3, 2]);
  } finally {
    for (const x of [a, b, c, d]) x.socket.close();
    await setup.close();
  }
});

test('a client evicted while its answer is on the way loses the answer quietly; the newer one is served', async () => {
  const setup = await echoBehindProxy({ maxClients: 1, newClientsPerSecond: 0 });
  const [a, b] = await Promise.all([client(), client()]);
  try {
    // Sent together: b takes a's place (and closes its socket) before the echo's answer to a is back.
    a.socket.send('a', setup.proxy.port, '127.0.0.1');
    await b.ask(setup.proxy.port, 'b');
    assert.equal([setup.proxy.counters().clients, setup.proxy.counters().clientsEvicted], [1, 1]);
    // The proxy is still serving: b again, on the socket it has.
    await b.ask(setup.proxy.port, 'b again');
    assert.is(setup.proxy.counters().clientsEvicted, 1);
    assert.equal(a.answers, []);
  } finally {
    a.socket.close();
    b.socket.close();
    await setup.close();
  }
});

/**
 * `count` new sources from 127.0.0.1, one datagram each: ordinary sockets bound, used and
 * closed one after another, so this test's own files do not grow. `between` runs every 20.
 */
async function floodOfSources(port: number, count: number, between: () => Promise<void>): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    await new Promise((resolve) => s.send(`flood ${i}`, port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => s.close(() => resolve()));
    // A send's callback comes on the next tick: let the event loop poll, or the proxy never reads.
    if (i % 20 === 0) await between();
  }
}

test('a flood of 600 sources: the table stays under its cap, new ones are refused past the rate, and honest clients are served throughout', async () => {
  const setup = await echoBehindProxy({ maxClients: 64, newClientsPerSecond: 50 });
  const honest = await client();
  const neighbour = await client('127.0.1.1');
  const port = setup.proxy.port;
  try {
    await honest.ask(port, 'before');
    const files = openFiles();
    let n = 0;
    let most = 0;
    await floodOfSources(port, 600, async () => {
      await honest.ask(port, `during ${++n}`);
      most = Math.max(most, setup.proxy.counters().clients);
    });
    // A client from another /24 is a new client, under its own prefix's rate.
    await neighbour.ask(port, 'from next door');
    await honest.ask(port, 'after');
    const k = setup.proxy.counters();
    assert.ok(most <= 64 && k.clients <= 64, `${most} clients at most`);
    assert.ok(k.newClientsRefused >= 600 - 64 - 50 * 3, `${k.newClientsRefused} refused`);
    await eventually(() => setup.proxy.counters().in.packets === 600 - k.newClientsRefused + n + 3, 1000, 'every flood datagram passed or refused, and counted');
    assert.equal(honest.answers.length, n + 2, 'each honest datagram answered');
    const grown = files === null ? null : openFiles()! - files;
    if (grown !== null) assert.ok(grown <= 64 + 2, `${grown} more open files`);
  } finally {
    honest.socket.close();
    neighbour.socket.close();
    await setup.close();
  }
});

const forgeSkip = await forgeUnavailable();
(forgeSkip ? test.skip : test)('24,000 forged sources with the default limits: open files stay bounded and an honest client is answered', async () => {
  const setup = await echoBehindProxy({});
  const honest = await client();
  const port = setup.proxy.port;
  try {
    await honest.ask(port, 'before');
    const files = openFiles()!;
    // Ports 20000-43999 of 127.0.0.1, each sending one datagram; replies go nowhere.
    const flood = forgeUdp({ from: { host: '127.0.0.1', port: 20_000 }, to: { host: '127.0.0.1', port }, payload: Buffer.from('forged'), sources: 24_000 });
    let n = 0;
    let done = false;
    void flood.finally(() => (done = true));
    // The flood fills the proxy's socket buffer, so an honest datagram can be lost there, as on
    // any UDP path; the table must not be what stops the honest client.
    while (!done) await honest.askAgain(port, `during ${++n}`);
    await flood;
    await honest.ask(port, 'after');
    const k = setup.proxy.counters();
    assert.ok(k.clients <= PROXY_LIMITS.maxClients, `${k.clients} clients`);
    assert.ok(openFiles()! - files <= PROXY_LIMITS.maxClients, `${openFiles()! - files} more open files`);
    assert.ok(k.newClientsRefused > 0, 'the rate refused some');
  } finally {
    honest.socket.close();
    await setup.close();
  }
});
if (forgeSkip) process.stdout.write(`  note: forged-source proxy flood skipped: ${forgeSkip}\n`);

test.run();
