/**
 * Faults: resets mid-line, killed clients, unreachable ports, failing sends, oversize datagrams,
 * signals, and the counters a server reports at the end. None may end the process or the room.
 */
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sendMessages } from '../../src/client/send.js';
import type { ChatError } from '../../src/core/errors.js';
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from '../../src/servers/chat-server.js';
import { openPeer, tapReads, type TcpTestPeer } from '../helpers/peers.js';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Output, run, start, stop } from '../helpers/spawn.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';

const test = suite('faults on real sockets');

async function withServer(options: Partial<ChatServerOptions>, body: (server: ChatServer, events: ServerEvent[]) => Promise<void>): Promise<void> {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, ...options, onEvent: (e) => events.push(e) });
  try {
    await body(server, events);
  } finally {
    await server.close();
  }
}

/** Waits for a child to exit by itself; its exit code, or null after a signal. At the deadline it is killed and the wait fails. */
async function ended(child: ChildProcessWithoutNullStreams, ms = 3000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  try {
    const [code] = await once(child, 'exit', { signal: AbortSignal.timeout(ms) });
    return code as number | null;
  } catch {
    child.kill('SIGKILL');
    throw new Error(`the child did not exit within ${ms} ms`);
  }
}

async function tcpJoin(port: number, name: string): Promise<TcpTestPeer> {
  const peer = await openPeer('tcp', port);
  await peer.waitFor(/^\* welcome /);
  peer.send(`/nick ${name}`);
  await peer.waitFor(`* ${peer.address} is now ${name}`);
  return peer;
}

test('a TCP peer that sends half a line and then resets leaves as disconnected, and the others keep chatting', async () => {
  await withServer({ transport: 'tcp' }, async (server, events) => {
    const reads = tapReads(server.transports.tcp!.server);
    const [a, b, c] = [await tcpJoin(server.port, 'a'), await tcpJoin(server.port, 'b'), await tcpJoin(server.port, 'c')];
    try {
      const before = reads.bytes(a.port);
      a.write('half a li');
      // The server has read the half line (and holds it, waiting for its end) before the reset.
      await eventually(() => reads.bytes(a.port) === before + 'half a li'.length, 2000, 'the half line read');
      a.socket.resetAndDestroy();
      await b.waitFor('* a left (disconnected)', 2000);
      const leave = events.find((e) => e.type === 'leave');
      assert.is(leave?.type === 'leave' && leave.reason, 'disconnected');
      b.send('still here');
      await c.waitFor('<b> still here');
      assert.not.ok(b.lines.some((l) => l.includes('half a li')), 'the cut line was delivered');
      assert.is(server.room.size, 2);
    } finally {
      for (const p of [a, b, c]) await p.close();
    }
  });
});

test('a udp-chat chat --transport tcp killed with SIGKILL is noticed at once', async () => {
  await withServer({ transport: 'tcp' }, async (server) => {
    const watcher = await tcpJoin(server.port, 'watcher');
    const child = start(['chat', '--transport', 'tcp', '--port', String(server.port), '--name', 'doomed']);
    try {
      await watcher.waitFor(/ is now doomed$/, 5000);
      child.kill('SIGKILL');
      // The peer timeout is 60s: only the kernel's FIN or RST for the dead process explains this.
      await watcher.waitFor('* doomed left (disconnected)', 2000);
      assert.is(server.room.size, 1);
    } finally {
      await ended(child);
      await watcher.close();
    }
  });
});

test('a UDP peer whose port became unreachable does not break the room', async () => {
  await withServer({}, async (server) => {
    const [gone, a, b] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
    try {
      for (const [p, name] of [[gone, 'gone'], [a, 'a'], [b, 'b']] as const) {
        p.send(server.port, `/nick ${name}`);
        await p.waitFor(/ is now /);
      }
      gone.close();
      // Each of these is also sent to the closed port: an ICMP port unreachable comes back for each.
      for (let i = 0; i < 5; i++) a.send(server.port, `line ${i}`);
      await b.waitFor('<a> line 4');
      b.send(server.port, 'and back');
      await a.waitFor('<b> and back');
      assert.is(server.room.size, 3);
    } finally {
      a.close();
      b.close();
    }
  });
});

test('a failing UDP send (ENOBUFS, EMSGSIZE) is counted and reported, and the room goes on', async () => {
  await withServer({}, async (server, events) => {
    const [a, b] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
    try {
      a.send(server.port, '/nick a');
      await a.waitFor(/ is now a$/);
      b.send(server.port, '/nick b');
      await b.waitFor(/ is now b$/);
      // What dgram does when a send without a callback fails: it emits 'error' on the socket.
      for (const code of ['ENOBUFS', 'EMSGSIZE']) server.transports.udp!.socket.emit('error', Object.assign(new Error(`send ${code}`), { code }));
      assert.is(server.counters().socketErrors, 2);
      assert.equal(
        events.flatMap((e) => (e.type === 'socket-error' ? [e.code] : [])),
        ['ENOBUFS', 'EMSGSIZE'],
      );
      a.send(server.port, 'after the errors');
      await b.waitFor('<a> after the errors');
    } finally {
      a.close();
      b.close();
    }
  });
});

test('lines a TCP peer sent after its /quit are dropped and counted as afterLeave, not relayed', async () => {
  await withServer({ transport: 'tcp' }, async (server) => {
    const [a, b] = [await tcpJoin(server.port, 'a'), await tcpJoin(server.port, 'b')];
    try {
      a.write('/quit\nafter one\nafter two\n');
      await b.waitFor('* a left (quit)');
      await eventually(() => server.room.counters.drops.afterLeave === 2, 2000, 'two lines counted after the leave');
      b.send('/ping sync');
      await b.waitFor('/pong sync');
      assert.not.ok(b.lines.some((l) => l.includes('after')), 'a line after /quit was relayed');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

test('a TCP connection turned away that never closes its end is cut after a grace period', async () => {
  await withServer({ transport: 'tcp', limits: { maxPeersPerIp: 1 } }, async (server) => {
    const first = await tcpJoin(server.port, 'first');
    // allowHalfOpen: the client does not close its side when the server closes its own, as a
    // careless or hostile client would not.
    const stubborn = net.connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true });
    stubborn.on('error', () => {});
    try {
      await once(stubborn, 'connect', { signal: AbortSignal.timeout(2000) });
      const [data] = await once(stubborn, 'data', { signal: AbortSignal.timeout(2000) });
      assert.match(String(data), /^! too many peers from 127\.0\.0\.1/);
      assert.is(server.room.counters.drops.perIpLimit, 1);
      // Its own side is still open, so the client never sees 'close': count the server's connections.
      const connections = () => new Promise<number>((resolve, reject) => server.transports.tcp!.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
      const deadline = Date.now() + 3000;
      while ((await connections()) !== 1) {
        if (Date.now() > deadline) throw new Error(`the server still holds ${await connections()} connections`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      stubborn.destroy();
      await first.close();
    }
  });
});

test('a client sending a 70000-byte datagram gets ERR_MESSAGE_TOO_LONG, and the server is unharmed', async () => {
  await withServer({}, async (server) => {
    let error: unknown;
    try {
      await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['x'.repeat(70_000)] });
    } catch (err) {
      error = err;
    }
    assert.is((error as ChatError | undefined)?.code, 'ERR_MESSAGE_TOO_LONG');
    const r = await sendMessages({ host: '127.0.0.1', port: server.port, messages: ['/ping fine'], waitMs: 100 });
    assert.ok(r.received.includes('/pong fine'), JSON.stringify(r.received));
  });
});

test.run();

const bin = suite('signals and counters of the built serve');

bin('the first SIGINT exits 0 within 2s and prints a stats line with drops and traffic', async () => {
  const child = start(['serve', '--port', '0']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const port = Number(/port (\d+)/.exec(await out.next(/^udp-chat room on udp /))![1]);
    peer.send(port, 'x'.repeat(1201));
    await peer.waitFor(/^! message too long/);
    // The server gives itself two seconds (signals.ts); the extra second is for a loaded machine.
    assert.is(await stop(child, 'SIGINT', 3000), 0);
    const stats = await out.next(/stats: /);
    // Out: the welcome, the refusal and the goodbye.
    for (const counter of ['drops.tooLong=1', 'traffic.udp.messagesIn=1', 'traffic.udp.bytesIn=1201', 'traffic.udp.messagesOut=3']) {
      assert.match(stats, new RegExp(`\\b${counter.replace(/\./g, '\\.')}\\b`), stats);
    }
  } finally {
    peer.close();
    await ended(child);
  }
});

bin('a second SIGINT during the graceful close exits at once', async () => {
  const child = start(['serve', '--port', '0', '--transport', 'tcp']);
  const out = new Output(child);
  let stubborn: net.Socket | undefined;
  try {
    const port = Number(/port (\d+)/.exec(await out.next(/^udp-chat room on tcp /))![1]);
    // A client that keeps its end open holds the graceful close up (half a second at most).
    stubborn = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    stubborn.on('error', () => {});
    const lines: string[] = [];
    stubborn.on('data', (d: Buffer) => lines.push(...String(d).split('\n')));
    await once(stubborn, 'data', { signal: AbortSignal.timeout(2000) });
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    // The first one has been taken once the room says goodbye; two signals sent at once could merge into one.
    await eventually(() => lines.includes('* server shutting down'), 2000, 'the goodbye');
    const began = Date.now();
    child.kill('SIGINT');
    const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit')), 2000).unref())]);
    // 130, not the 0 of a graceful close, which would have come half a second after the first signal.
    assert.is(code, 130);
    assert.ok(Date.now() - began < 1000, `${Date.now() - began} ms`);
  } finally {
    stubborn?.destroy();
    await ended(child);
  }
});

bin('serve --json ends with a stop event whose counters hold drops and traffic', async () => {
  const child = start(['serve', '--port', '0', '--json', '--max-message', '10']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const port = JSON.parse(await out.next(/"event":"start"/)).port as number;
    peer.send(port, 'eleven byte');
    await peer.waitFor(/^! message too long/);
    child.kill('SIGTERM');
    const stopped = JSON.parse(await out.next(/"event":"stop"/));
    assert.is(stopped.counters.drops.tooLong, 1);
    assert.is(stopped.counters.drops.rateLimited, 0);
    assert.equal(stopped.counters.traffic.udp, { messagesIn: 1, bytesIn: 11, messagesOut: 3, bytesOut: stopped.counters.traffic.udp.bytesOut });
    assert.ok(stopped.counters.traffic.udp.bytesOut > 0);
    assert.type(stopped.counters.socketErrors, 'number');
    assert.is(await ended(child), 0);
  } finally {
    peer.close();
    await ended(child);
  }
});

bin('--stats 200ms prints the counters every 200ms', async () => {
  const child = start(['serve', '--port', '0', '--stats', '200ms']);
  const out = new Output(child);
  try {
    await out.next(/^udp-chat room on udp /);
    const first = await out.next(/^\d\d:\d\d:\d\d stats: /, 2000);
    await out.next(/^\d\d:\d\d:\d\d stats: /, 2000);
    assert.match(first, /\bpeers=0\b/);
    assert.match(first, /\bjoins=0\b/);
    assert.is(await stop(child, 'SIGINT'), 0);
  } finally {
    await ended(child);
  }
});

bin('a bad --allow or --deny range is a usage error: one line, exit 2', async () => {
  for (const args of [['--allow', '10.0.0.0/33'], ['--deny', 'nonsense'], ['--allow', '10.0.0.0/8/9']]) {
    const r = await run(['serve', '--port', '0', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${JSON.stringify(r)}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /);
  }
});

bin.run();
