/**
 * What only the WebSocket transport has: the Origin check on the upgrade, the frame limit's CRLF
 * allowance, text frames of bad UTF-8, ping/pong liveness and the web port. The page and /stats
 * are in page.test.ts; the room's behaviour common to every transport (1009, 1008 and 1001
 * closes, slow readers, expiry) is in ../contract.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from '../../../src/servers/chat-server.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { UpgradeRefused, WsPeer, type WsPeerOptions } from '../../helpers/ws-peer.js';

const test = suite('the WebSocket transport on real sockets');

interface Web {
  server: ChatServer;
  events: ServerEvent[];
  /** Opens a WebSocket peer (closed afterwards); it has joined once its welcome came. */
  open(options?: WsPeerOptions): Promise<WsPeer>;
  /** Opens a peer and waits for its welcome (and its new name, when given). */
  join(name?: string, options?: WsPeerOptions): Promise<WsPeer>;
}

/** A room with the web transport for one test; its peers and the server are closed afterwards whatever happened. */
async function withWeb(options: Partial<ChatServerOptions>, body: (web: Web) => Promise<void>): Promise<void> {
  await withChatRoom({ web: { port: 0 }, ...options }, ({ server, events, open, join }) =>
    body({ server, events, open: (o) => open('ws', o), join: (name, o) => join('ws', name, o) }),
  );
}

/** The HTTP status a refused upgrade got, or 101 when it was let in. */
async function upgradeStatus(port: number, options: WsPeerOptions): Promise<number> {
  try {
    const peer = await WsPeer.open(port, options);
    await peer.close();
    return 101;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}


test('a page from a foreign Origin is refused with 403 and no peer joins', async () => {
  await withWeb({}, async ({ server, events }) => {
    const port = server.transports.ws!.port;
    for (const origin of ['http://evil.example', `http://localhost:${port}`, `http://127.0.0.1:${port + 1}`, 'null']) {
      assert.is(await upgradeStatus(port, { origin }), 403, origin);
    }
    assert.is(server.room.size, 0);
    assert.is(server.counters().joins, 0);
    assert.not.ok(events.some((e) => e.type === 'join'));
  });
});

test('a client without an Origin, and a page of the same origin, are let in', async () => {
  await withWeb({}, async ({ server, join }) => {
    const port = server.transports.ws!.port;
    const script = await join();
    const page = await join(undefined, { origin: `http://127.0.0.1:${port}` });
    page.send('from the page');
    await script.waitFor(`<${page.address}> from the page`);
    assert.is(server.room.size, 2);
  });
});

test('--origin lets a listed page in, and * any', async () => {
  const listed = 'http://teacher.local:8080';
  await withWeb({ web: { port: 0, origins: [listed + '/'] } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    assert.is(await upgradeStatus(port, { origin: listed }), 101);
    assert.is(await upgradeStatus(port, { origin: 'http://other.local:8080' }), 403);
  });
  await withWeb({ web: { port: 0, origins: ['*'] } }, async ({ server }) => {
    assert.is(await upgradeStatus(server.transports.ws!.port, { origin: 'http://anywhere.example' }), 101);
  });
});

test('the WebSocket answers at /ws too, as seed 003\'s client dials it; other paths are 404', async () => {
  await withWeb({}, async ({ server, join }) => {
    const port = server.transports.ws!.port;
    const gorilla = await join('gorilla', { path: '/ws' });
    const page = await join('page', { path: '/?from=page' });
    gorilla.send('hello from /ws');
    await page.waitFor('<gorilla> hello from /ws');
    for (const path of ['/ws/', '/chat', '/index.html', '/stats', '/WS']) assert.is(await upgradeStatus(port, { path }), 404, path);
    assert.is(await upgradeStatus(port, { path: '/ws?room=1' }), 101);
  });
});

test('a bad --origin is refused with ERR_BAD_ARGUMENT before anything is bound', async () => {
  for (const origin of ['teacher.local', 'ftp://x', 'http://x/path', '']) {
    try {
      await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0, origins: [origin] } });
      assert.unreachable(`${origin} was taken`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_BAD_ARGUMENT', String(err));
    }
  }
});

test('an address kept out by --deny gets 403 for the page and the WebSocket', async () => {
  await withWeb({ deny: ['127.0.0.0/8'] }, async ({ server }) => {
    const page = await fetch(`http://127.0.0.1:${server.transports.ws!.port}/`, { signal: AbortSignal.timeout(2000) });
    assert.is(page.status, 403);
    await page.arrayBuffer();
    assert.is(await upgradeStatus(server.transports.ws!.port, {}), 403);
    assert.is(server.counters().drops.denied, 1);
  });
});

test('a frame of the limit plus the CRLF it does not count is still a message', async () => {
  await withWeb({ limits: { maxMessageBytes: 100 } }, async ({ join }) => {
    const [big, b] = [await join('big'), await join('b')];
    // ws's maxPayload is the limit plus 2 bytes; a frame beyond that is closed with 1009 (../contract.ts).
    big.send('x'.repeat(100) + '\r\n');
    await b.waitFor(`<big> ${'x'.repeat(100)}`);
    assert.not.ok(big.ended, 'the connection was closed');
  });
});

test('bad UTF-8 in a text frame is shown as U+FFFD, as on UDP and TCP, not a reason to close', async () => {
  await withWeb({}, async ({ join }) => {
    const [a, b] = [await join('a'), await join('b')];
    // ws sends a Buffer as a text frame without checking it.
    a.socket.send(Buffer.from([0x68, 0x69, 0xff, 0x21]), { binary: false });
    await b.waitFor('<a> hi\uFFFD!');
    a.send(new TextEncoder().encode('binary frames count too'));
    await b.waitFor('<a> binary frames count too');
  });
});

test('a client that stops answering pings is cut off within the timeout, though it keeps sending /ping', async () => {
  await withWeb({ peerTimeoutMs: 300 }, async ({ server, events, join }) => {
    const hung = await join('hung', { autoPong: false });
    const fine = await join('fine');
    const started = Date.now();
    const beating = setInterval(() => {
      hung.send('/ping hb');
      fine.send('/ping hb');
    }, 40);
    try {
      await fine.waitFor('* hung left (timeout)', 3000);
      await hung.waitForEnd(1000);
      // Cut without a close handshake: it would not have finished one.
      assert.is(hung.closeCode, 1006);
      // A ping every 100 ms; the first unanswered for 300 ms is found by the next check.
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.ok(server.room.find('fine'), 'the client answering pings was dropped');
      assert.equal(
        events.flatMap((e) => (e.type === 'leave' ? [[e.peer.name, e.reason]] : [])),
        [['hung', 'timeout']],
      );
    } finally {
      clearInterval(beating);
    }
  });
});

test('a web port already in use makes the server fail to start with EADDRINUSE', async () => {
  const first = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  try {
    let error: NodeJS.ErrnoException | undefined;
    try {
      await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both', web: { port: first.transports.ws!.port } });
    } catch (err) {
      error = err as NodeJS.ErrnoException;
    }
    assert.is(error?.code, 'EADDRINUSE');
  } finally {
    await first.close();
  }
});

test.run();
