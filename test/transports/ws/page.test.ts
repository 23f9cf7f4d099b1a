/**
 * The web page the WebSocket transport serves (transports/ws/page.ts): its files over HTTP, what
 * the script may do with text from the network, and GET /stats.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueTicket } from '../../../src/servers/tickets.js';
import type { WebStats } from '../../../src/transports/ws/page.js';
import { withChatRoom, type ChatRoom } from '../../helpers/chat-room.js';

const test = suite('the web page and /stats on real sockets');

/** A room on UDP with the page on a web port of its own, and the page's URL. */
async function withWeb(options: Parameters<typeof withChatRoom>[0], body: (web: ChatRoom & { url: string }) => Promise<void>): Promise<void> {
  await withChatRoom({ web: { port: 0 }, ...options }, (room) => body({ ...room, url: `http://127.0.0.1:${room.server.transports.ws!.port}` }));
}

async function stats(url: string): Promise<WebStats> {
  const response = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(2000) });
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return (await response.json()) as WebStats;
}

test('GET / serves the page with its scripts (modules) and style, each with its type; anything else is 404', async () => {
  await withWeb({}, async ({ url }) => {
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    assert.is(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    // Nothing from elsewhere may run in the page, whatever a peer manages to put in it.
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="app\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="style\.css">/);
    assert.not.match(html, /https?:\/\//, 'the page loads something from another host');
    for (const [path, type] of [
      ['/app.js', /^text\/javascript/],
      // The modules app.js imports: the timeline, the teacher's chart, the Demos view, and what they share.
      ['/timeline.js', /^text\/javascript/],
      ['/chart.js', /^text\/javascript/],
      ['/demos.js', /^text\/javascript/],
      ['/svg.js', /^text\/javascript/],
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
  await withWeb({ transport: 'udp' }, async ({ url, join, open }) => {
    const ann = await join('ws', 'ann');
    const udp = await open('udp');
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
    // Asked from 127.0.0.1, the server's own machine: the teacher panel gets the addresses.
    assert.equal(s.peers?.find((p) => p.name === 'carl')?.address, `127.0.0.1:${udp.udp.port}`);
  });
});

test('off loopback, /stats gives addresses to a browser on the server\'s own machine only; /who never does', async () => {
  // Bound to 0.0.0.0 (names, not addresses, for the peers), reached over 127.0.0.1 only.
  await withChatRoom({ host: '0.0.0.0', web: { port: 0, host: '0.0.0.0' }, transport: 'udp', open: true }, async ({ server, open }) => {
    const ann = await open('ws');
    await ann.waitFor(/^\* welcome guest\d+;/);
    ann.send('/nick ann');
    await ann.waitFor(/^\* guest\d+ is now ann$/);
    const local = server.webStats(true);
    const remote = server.webStats(false);
    assert.match(local.peers?.find((p) => p.name === 'ann')?.address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.is(remote.peers?.find((p) => p.name === 'ann')?.address, undefined);
    assert.ok(remote.peers?.some((p) => p.name === 'ann'));
    ann.send('/who');
    const who = await ann.waitFor(/^\* {3}ann /);
    assert.not.match(who, /127\.0\.0\.1/);
  });
});

test('a room that takes only tickets does not publish who is in it on /stats either', async () => {
  const secret = 'the secret of the page test, 32 bytes or more';
  await withWeb({ tickets: { secret, required: true } }, async ({ url, open }) => {
    const alice = await open('udp');
    alice.send(`/join ${await issueTicket({ name: 'alice', secret })}`);
    await alice.waitFor(/^\* welcome alice/);
    const s = await stats(url);
    assert.is(s.counters.peers, 1);
    assert.is(s.peers, undefined, 'names of a closed room, to anyone who asks');
  });
});

test('in a room with a password, a WebSocket client is heard only after /join PASSWORD, and /stats names nobody', async () => {
  await withWeb({ password: 's3cret' }, async ({ server, url, open }) => {
    const a = await open('ws');
    await a.waitFor('* this room needs a password: send /join PASSWORD');
    const b = await open('ws');
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

test.run();
