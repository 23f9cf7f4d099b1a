/**
 * What only the web transport has: the page over HTTP, /stats, the Origin check, a frame limit
 * that closes (1009), ping/pong liveness, and a browser that stops reading. The room's behaviour
 * common to every transport is in contract.ts.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from '../../../src/servers/chat-server.js';
import type { WebStats } from '../../../src/transports/ws/page.js';
import { openPeer } from '../../helpers/peers.js';
import { eventually } from '../../helpers/udp-peer.js';
import { UpgradeRefused, WsPeer, type WsPeerOptions } from '../../helpers/ws-peer.js';

const test = suite('the WebSocket transport and the page on real sockets');

interface Web {
  server: ChatServer;
  events: ServerEvent[];
  /** http://127.0.0.1:WEBPORT */
  url: string;
  /** Opens a WebSocket peer (closed afterwards); it has joined once its welcome came. */
  open(options?: WsPeerOptions): Promise<WsPeer>;
  /** Opens a peer and waits for its welcome (and its new name, when given). */
  join(name?: string, options?: WsPeerOptions): Promise<WsPeer>;
}

/** A room with the web transport for one test; its peers and the server are closed afterwards whatever happened. */
async function withWeb(options: Partial<ChatServerOptions>, body: (web: Web) => Promise<void>): Promise<void> {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 }, ...options, onEvent: (e) => events.push(e) });
  const peers: WsPeer[] = [];
  const url = `http://127.0.0.1:${server.transports.ws!.port}`;
  const open = async (peerOptions?: WsPeerOptions) => {
    const peer = await WsPeer.open(server.transports.ws!.port, peerOptions);
    peers.push(peer);
    return peer;
  };
  const join = async (name?: string, peerOptions?: WsPeerOptions) => {
    const peer = await open(peerOptions);
    await peer.waitFor(/^\* welcome /);
    if (name) {
      peer.send(`/nick ${name}`);
      await peer.waitFor(`* ${peer.address} is now ${name}`);
    }
    return peer;
  };
  try {
    await body({ server, events, url, open, join });
  } finally {
    for (const peer of peers) await peer.close();
    await server.close();
  }
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

async function stats(url: string): Promise<WebStats> {
  const response = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(2000) });
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return (await response.json()) as WebStats;
}

test('GET / serves the page with its script and style, each with its type; anything else is 404', async () => {
  await withWeb({}, async ({ url }) => {
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    assert.is(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    // Nothing from elsewhere may run in the page, whatever a peer manages to put in it.
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script src="app\.js" defer><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="style\.css">/);
    assert.not.match(html, /https?:\/\//, 'the page loads something from another host');
    for (const [path, type] of [
      ['/app.js', /^text\/javascript/],
      ['/style.css', /^text\/css/],
      ['/index.html', /^text\/html/],
    ] as const) {
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2000) });
      assert.is(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', type, path);
      await response.arrayBuffer();
    }
    const missing = await fetch(`${url}/../package.json`, { signal: AbortSignal.timeout(2000) });
    assert.is(missing.status, 404);
    await missing.arrayBuffer();
    const post = await fetch(`${url}/stats`, { method: 'POST', signal: AbortSignal.timeout(2000) });
    assert.is(post.status, 405);
    await post.arrayBuffer();
    const head = await fetch(`${url}/`, { method: 'HEAD', signal: AbortSignal.timeout(2000) });
    assert.is(head.status, 200);
    assert.is(await head.text(), '');
  });
});

test('the page puts text from the network into the DOM as text only, never as HTML', () => {
  // The browser test shows it rendered; this keeps any HTML-parsing sink out of the script.
  const app = readFileSync(new URL('../../../src/web/app.js', import.meta.url), 'utf8');
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
    assert.not.ok(app.includes(sink), `app.js uses ${sink}`);
  }
  assert.ok(app.includes('textContent'));
});

test('GET /stats counts the traffic of each transport and lists the peers with their transport and idle time', async () => {
  await withWeb({ transport: 'udp' }, async ({ server, url, join }) => {
    const ann = await join('ann');
    const udp = await openPeer('udp', server.port);
    try {
      udp.send('/nick carl');
      await ann.waitFor('* 127.0.0.1:' + udp.udp.port + ' is now carl');
      ann.send('<b>hello</b>');
      // HTML is only text to the room: relayed as it was typed, for the page to show as text.
      await udp.waitFor('<ann> <b>hello</b>');
      const s = await stats(url);
      assert.is(s.peerTimeoutMs, 60_000);
      assert.is(s.maxMessageBytes, 1200);
      assert.is(s.counters.peers, 2);
      assert.is(s.counters.traffic['ws']!.messagesIn, 2);
      assert.is(s.counters.traffic['ws']!.bytesIn, '/nick ann'.length + '<b>hello</b>'.length);
      assert.is(s.counters.traffic['udp']!.messagesIn, 1);
      assert.ok(s.counters.traffic['ws']!.messagesOut >= 2 && s.counters.traffic['udp']!.messagesOut >= 2, JSON.stringify(s.counters.traffic));
      assert.equal(
        s.peers?.map((p) => [p.name, p.transport]),
        [
          ['ann', 'ws'],
          ['carl', 'udp'],
        ],
      );
      for (const p of s.peers ?? []) assert.ok(p.idleMs >= 0 && p.idleMs < 5000, `idle ${p.idleMs}`);
    } finally {
      await udp.close();
    }
  });
});

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
  await withWeb({ deny: ['127.0.0.0/8'] }, async ({ server, url }) => {
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    assert.is(page.status, 403);
    await page.arrayBuffer();
    assert.is(await upgradeStatus(server.transports.ws!.port, {}), 403);
    assert.is(server.counters().drops.denied, 1);
  });
});

test('a frame over the limit closes that connection with 1009, the room is told why, and the others keep chatting', async () => {
  await withWeb({ limits: { maxMessageBytes: 100 } }, async ({ server, events, join }) => {
    const [big, b, c] = [await join('big'), await join('b'), await join('c')];
    // The limit's 100 bytes, plus the CRLF it does not count, still make a message.
    big.send('x'.repeat(100) + '\r\n');
    await b.waitFor(`<big> ${'x'.repeat(100)}`);
    big.send('y'.repeat(5000));
    await big.waitForEnd(2000);
    assert.is(big.closeCode, 1009);
    await b.waitFor('* big left (dropped: message too long)');
    b.send('still here');
    await c.waitFor('<b> still here');
    assert.is(server.counters().drops.tooLong, 1);
    assert.not.ok(b.lines.some((l) => l.includes('yyyy')), 'the oversize frame was relayed');
    const leave = events.find((e) => e.type === 'leave');
    assert.equal(leave && leave.type === 'leave' ? [leave.reason, leave.detail] : [], ['dropped', 'message too long']);
    assert.not.ok(events.some((e) => e.type === 'socket-error'), 'an oversize frame is no socket error');
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

test('a silent WebSocket client is expired: told so, closed, and announced left (timeout)', async () => {
  await withWeb({ peerTimeoutMs: 200, sweepIntervalMs: 20 }, async ({ server, join }) => {
    const quiet = await join('quiet');
    const chatty = await join('chatty');
    const beating = setInterval(() => chatty.send('/ping hb'), 40);
    try {
      // Its WebSocket answers every ping: pongs are not chat, and do not keep it in the room.
      await quiet.waitFor('* you were dropped: silent for 200ms (timeout)', 3000);
      await chatty.waitFor('* quiet left (timeout)', 3000);
      await quiet.waitForEnd(1000);
      assert.is(server.counters().expired, 1);
      assert.ok(server.room.find('chatty'));
    } finally {
      clearInterval(beating);
    }
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

test('in a room with a password, a WebSocket client is heard only after /join PASSWORD, and /stats names nobody', async () => {
  await withWeb({ password: 's3cret' }, async ({ server, url, open }) => {
    const a = await open();
    await a.waitFor('* this room needs a password: send /join PASSWORD');
    const b = await open();
    await b.waitFor('* this room needs a password: send /join PASSWORD');
    a.send('/join s3cret');
    await a.waitFor(/^\* welcome /);
    b.send('unheard');
    await b.waitFor(/^! this room needs a password/);
    b.send('/join s3cret');
    await b.waitFor(/^\* welcome /);
    b.send('heard');
    await a.waitFor(`<${b.address}> heard`);
    assert.not.ok(a.lines.some((l) => l.includes('unheard')));
    const s = await stats(url);
    assert.is(s.peers, undefined);
    assert.is(s.counters.peers, 2);
    assert.is(server.counters().drops.notAdmitted, 1);
  });
});

test('a WebSocket beyond maxPeers is told the room is full and closed', async () => {
  await withWeb({ limits: { maxPeers: 1 } }, async ({ server, join, open }) => {
    const a = await join('a');
    const b = await open();
    await b.waitFor(/^! room full/);
    await b.waitForEnd(2000);
    assert.is(b.closeCode, 1008);
    assert.is(server.counters().rejected, 1);
    a.send('/ping still');
    await a.waitFor('/pong still');
  });
});

test('a browser that stops reading is dropped as not reading, while the readers get everything in order', async () => {
  await withWeb({ limits: { maxQueueBytes: 64 * 1024, messageBurst: 0 } }, async ({ server, join }) => {
    const slow = await join('slow');
    // It stops reading: what the server sends piles up in the kernel, then in ws's queue.
    slow.socket.pause();
    const [flood, reader] = [await join('flood'), await join('reader')];
    const pad = 'x'.repeat(1000);
    const line = (n: number) => `${String(n).padStart(6, '0')} ${pad}`;
    let sent = 0;
    const batch = async () => {
      for (let i = 0; i < 20; i++) flood.send(line(sent++));
      // Paced, so that the reader is never a slow reader itself.
      await reader.waitFor(`<flood> ${line(sent - 1)}`, 5000);
    };
    while (!reader.lines.includes('* slow left (dropped: not reading)')) {
      if (sent >= 30_000) throw new Error(`the slow peer was not dropped after ${sent} lines`);
      await batch();
    }
    await batch();
    const got = reader.lines.filter((l) => l.startsWith('<flood> ')).map((l) => l.slice(8));
    assert.is(got.length, sent);
    for (let n = 0; n < sent; n++) if (got[n] !== line(n)) assert.unreachable(`line ${n} is ${got[n]?.slice(0, 12)}`);
    assert.is(server.counters().drops.notReading, 1);
    assert.is(server.counters().drops.notReading, 1);
    assert.not.ok(server.room.find('slow'), 'the slow peer is still in the room');
    await eventually(() => server.transports.ws!.size === 2, 2000, 'two WebSocket peers left');
  });
});

test('a server shutting down tells its WebSocket peers and closes them with 1001', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  let peer: WsPeer | undefined;
  try {
    peer = await WsPeer.open(server.transports.ws!.port);
    await peer.waitFor(/^\* welcome /);
    await server.close();
    await peer.waitFor('* server shutting down');
    await peer.waitForEnd(2000);
    assert.is(peer.closeCode, 1001);
  } finally {
    await peer?.close();
    await server.close();
  }
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
