/**
 * The page's Demos endpoints on real sockets (transports/ws/demos-endpoint.ts): `GET /demos` for
 * anyone, `POST /demos/NAME` for the teacher only, one demo at a time, and the CSRF guard.
 */
import http from 'node:http';
import os from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer, type ChatServer } from '../../../src/servers/chat-server.js';
import { DemoDesk, type DemoRunner } from '../../../src/transports/ws/demos-endpoint.js';
import { eventually } from '../../helpers/udp-peer.js';

const test = suite('the demos endpoints on real sockets');

/** A runner of two small demos; `gate` holds `slow` until released, so a second run can come meanwhile. */
function runner() {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const runs: string[] = [];
  const demos: DemoRunner = {
    list: () => [
      { name: 'quick', summary: 'answers at once' },
      { name: 'slow', summary: 'waits for the test' },
      { name: 'broken', summary: 'fails' },
    ],
    async run(name) {
      runs.push(name);
      if (name === 'slow') await gate;
      if (name === 'broken') throw new Error('no socket');
      return { result: { demo: name, lost: [7] }, svg: `<svg xmlns="http://www.w3.org/2000/svg"><title>${name}</title></svg>` };
    },
  };
  return { demos, runs, release: () => release() };
}

async function withDemos(body: (server: ChatServer, url: string, r: ReturnType<typeof runner>) => Promise<void>, host = '127.0.0.1'): Promise<void> {
  const r = runner();
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0, host, teacherKey: 'the-teacher-key', demos: r.demos } });
  try {
    await body(server, `http://127.0.0.1:${server.transports.ws!.port}`, r);
  } finally {
    r.release();
    await server.close();
  }
}

async function post(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; cors: string | null }> {
  const res = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cors: res.headers.get('access-control-allow-origin') };
}

test('GET /demos lists the demos to anyone; POST runs one and answers its result and its diagram', async () => {
  await withDemos(async (_server, url, r) => {
    const list = await fetch(`${url}/demos`, { signal: AbortSignal.timeout(2000) });
    assert.is(list.status, 200);
    assert.match(list.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await list.json(), r.demos.list());
    // From this machine the header may be empty, but it must be there.
    const ran = await post(`${url}/demos/quick`, { 'x-udp-chat-key': '' });
    assert.is(ran.status, 200);
    assert.equal(ran.body['result'], { demo: 'quick', lost: [7] });
    assert.match(String(ran.body['svg']), /^<svg /);
    assert.equal(r.runs, ['quick']);
  });
});

test('the header is required, even from loopback: a form or a fetch from another site cannot start a demo', async () => {
  await withDemos(async (_server, url, r) => {
    const bare = await post(`${url}/demos/quick`);
    assert.is(bare.status, 403, 'no x-udp-chat-key header');
    // A cross-site form's POST carries its Origin and no custom header.
    const form = await post(`${url}/demos/quick`, { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' });
    assert.is(form.status, 403);
    const foreign = await post(`${url}/demos/quick`, { origin: 'http://evil.example', 'x-udp-chat-key': '' });
    assert.is(foreign.status, 403, 'another origin, even with the header');
    // The preflight a cross-site fetch with the header needs is answered without any CORS header.
    const preflight = await fetch(`${url}/demos/quick`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' }, signal: AbortSignal.timeout(2000) });
    assert.is(preflight.status, 405);
    assert.is(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
    assert.is(bare.cors, null);
    // fetch will not set Host: node:http will.
    const { port } = new URL(url);
    const host = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/demos/quick', method: 'POST', headers: { host: 'evil.example', 'x-udp-chat-key': '' }, timeout: 2000 });
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('timeout', () => req.destroy(new Error('no answer')));
      req.on('error', reject);
      req.end();
    });
    assert.is(host, 403, 'a foreign Host (DNS rebinding)');
    assert.equal(r.runs, [], 'nothing ran');
  });
});

test('an unknown demo is 404; one at a time (409 while another runs); a demo that fails is 500 and frees the desk', async () => {
  await withDemos(async (_server, url, r) => {
    const key = { 'x-udp-chat-key': '' };
    assert.is((await post(`${url}/demos/nope`, key)).status, 404);
    assert.is((await post(`${url}/demos/NOT A NAME`, key)).status, 404);
    const slow = post(`${url}/demos/slow`, key);
    await eventually(() => r.runs.includes('slow'), 2000, 'the slow demo started');
    const busy = await post(`${url}/demos/quick`, key);
    assert.is(busy.status, 409);
    assert.match(String(busy.body['error']), /slow/);
    r.release();
    assert.is((await slow).status, 200);
    const broken = await post(`${url}/demos/broken`, key);
    assert.is(broken.status, 500);
    assert.match(String(broken.body['error']), /no socket/);
    assert.is((await post(`${url}/demos/quick`, key)).status, 200, 'free again');
    // Only POST runs; GET of a demo's path is no such page.
    const get = await fetch(`${url}/demos/quick`, { signal: AbortSignal.timeout(2000) });
    assert.is(get.status, 404);
    await get.arrayBuffer();
  });
});

test('a runner that throws or answers what JSON cannot hold is a 500, and the server goes on', async () => {
  let listThrows = false;
  const demos: DemoRunner = {
    list: () => {
      if (listThrows) throw new Error('no list');
      return [{ name: 'big', summary: 'a BigInt in its result' }];
    },
    run: async () => ({ result: { n: 1n }, svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' }),
  };
  const errors: string[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, onEvent: (e) => void (e.type === 'socket-error' && errors.push(e.message)), web: { port: 0, demos } });
  try {
    const url = `http://127.0.0.1:${server.transports.ws!.port}`;
    assert.is((await post(`${url}/demos/big`, { 'x-udp-chat-key': '' })).status, 500, 'a result JSON cannot hold');
    assert.is(errors.length, 1, 'told as a socket error');
    listThrows = true;
    assert.is((await post(`${url}/demos/big`, { 'x-udp-chat-key': '' })).status, 500, 'a list that throws, on POST');
    const listed = await fetch(`${url}/demos`, { signal: AbortSignal.timeout(2000) });
    assert.is(listed.status, 500, 'and on GET');
    await listed.arrayBuffer();
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    assert.is(page.status, 200, 'the server still answers');
    await page.arrayBuffer();
  } finally {
    await server.close();
  }
});

test('a demo that hangs is answered 504 at the deadline, and the desk takes the next one', async () => {
  const r = runner();
  const desk = new DemoDesk(r.demos, undefined, 50);
  // What the desk reads of a request: the key header (empty from loopback) and the peer's address.
  const req = { headers: { 'x-udp-chat-key': '' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
  try {
    const hung = await desk.run(req, 'slow');
    assert.is(hung.status, 504);
    assert.match(String((hung.body as { error: string }).error), /did not finish within 0.05 s/);
    assert.is((await desk.run(req, 'quick')).status, 200);
  } finally {
    r.release();
  }
});

test('off loopback only the teacher key runs a demo (this machine\'s LAN address: nothing leaves it)', async () => {
  const lan = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (!lan) return void console.log('  (no address off loopback on this machine: not run)');
  await withDemos(async (server, _url, r) => {
    const url = `http://${lan}:${server.transports.ws!.port}`;
    assert.is((await post(`${url}/demos/quick`, { 'x-udp-chat-key': '' })).status, 403, 'an empty key');
    assert.is((await post(`${url}/demos/quick`, { 'x-udp-chat-key': 'wrong' })).status, 403, 'a wrong key');
    assert.is((await post(`${url}/demos/quick`, { 'x-udp-chat-key': 'the-teacher-key' })).status, 200, 'the key');
    assert.equal(r.runs, ['quick']);
  }, '0.0.0.0');
});

test('without demos the endpoints are not there, and the server makes a teacher key of its own', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  try {
    const url = `http://127.0.0.1:${server.transports.ws!.port}`;
    const list = await fetch(`${url}/demos`, { signal: AbortSignal.timeout(2000) });
    assert.is(list.status, 404);
    await list.arrayBuffer();
    const run = await fetch(`${url}/demos/quick`, { method: 'POST', headers: { 'x-udp-chat-key': '' }, signal: AbortSignal.timeout(2000) });
    assert.is(run.status, 405);
    await run.arrayBuffer();
    assert.match(server.teacherKey ?? '', /^[A-Za-z0-9_-]{24}$/);
    const other = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
    assert.is.not(other.teacherKey, server.teacherKey, 'random at each start');
    await other.close();
    const none = await startChatServer({ host: '127.0.0.1', port: 0 });
    assert.is(none.teacherKey, undefined, 'no page, no key');
    await none.close();
  } finally {
    await server.close();
  }
});

test.run();
