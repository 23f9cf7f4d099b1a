import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, type Connection } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import { ChatError } from '../../src/core/errors.js';
import type { ServerLine } from '../../src/core/lines.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { LineLog } from '../helpers/line-log.js';
import { eventually } from '../helpers/udp-peer.js';
import { WsPeer } from '../helpers/ws-peer.js';

const test = suite('the chat client over WebSocket');

/** Records a connection's lines and whether it saw the server end the connection. */
function watch(connection: Connection) {
  const log = new LineLog();
  let ended = false;
  connection.on('line', (line) => log.push(line));
  connection.on('end', () => (ended = true));
  return { log, ended: () => ended };
}

async function failure(promise: Promise<unknown>): Promise<ChatError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.instance(err, ChatError);
  return err as ChatError;
}

test('a client is named by its local address, gets the welcome sent with the handshake, talks, and hears the close', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  const port = server.transports.ws!.port;
  // The welcome comes in the same read as the handshake's answer: it must still reach a listener.
  const a = await openConnection({ host: '127.0.0.1', port, transport: 'ws' });
  const wa = watch(a);
  const b = await openConnection({ host: '127.0.0.1', port, transport: 'ws' });
  const wb = watch(b);
  try {
    assert.is(a.transport, 'ws');
    assert.is(a.remote, `127.0.0.1:${port}`);
    await wa.log.waitFor(`* welcome ${a.local}; you are alone here; peer timeout 60s: send /ping (heartbeat) or anything to stay; /help lists commands`);
    await wb.log.waitFor(/^\* welcome .*; 1 other here/);
    a.send('hello');
    a.send(new TextEncoder().encode('bytes'));
    await wb.log.waitFor(`<${a.local}> hello`);
    await wb.log.waitFor(`<${a.local}> bytes`);
    await server.close();
    await wa.log.waitFor('* server shutting down');
    await eventually(() => wa.ended() && wb.ended(), 2000, "both clients hearing the server's close");
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

test('a session over WebSocket joins by name, keeps itself in with heartbeats, and gives the password when asked', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 }, peerTimeoutMs: 300, sweepIntervalMs: 20, password: 'pw' });
  const session = new ChatSession(await openConnection({ host: '127.0.0.1', port: server.transports.ws!.port, transport: 'ws' }), { name: 'ann', password: 'pw' });
  const lines: ServerLine[] = [];
  session.on('line', (l) => lines.push(l));
  try {
    session.start();
    // The welcome comes before the rename on the one connection: by the rename, the heartbeat is set.
    await eventually(() => lines.some((l) => l.kind === 'notice' && l.text.endsWith('is now ann')), 2000, 'the rename notice');
    assert.is(session.heartbeatMs, 100);
    // Two silent peers expiring one after the other are the clock: by then the session, which
    // says nothing but its heartbeats, has been as quiet as each of them.
    for (const n of [1, 2]) {
      const silent = await WsPeer.open(server.transports.ws!.port);
      try {
        silent.send('/join pw');
        await silent.waitFor(/^\* welcome /);
        await silent.waitFor(/^\* you were dropped/, 3000);
      } finally {
        await silent.close();
      }
      assert.is(server.counters().expired, n);
    }
    assert.ok(server.room.find('ann'), 'the session was expired: pongs alone do not keep it');
  } finally {
    await session.close();
    await server.close();
  }
});

test('send --transport ws collects the replies', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  try {
    const result = await sendMessages({ host: '127.0.0.1', port: server.transports.ws!.port, transport: 'ws', messages: ['/who'], waitMs: 200 });
    assert.is(result.sent, 1);
    assert.ok(result.received.some((l) => /^\* \d+ peers? here:$/.test(l)), JSON.stringify(result.received));
    assert.ok(result.received.some((l) => /^\*   \S+ ws 127\.0\.0\.1:\d+ idle .* \(you\)$/.test(l)), JSON.stringify(result.received));
  } finally {
    await server.close();
  }
});

test('connecting where nothing listens rejects with ERR_CONNECTION_REFUSED', async () => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const err = await failure(openConnection({ host: '127.0.0.1', port, transport: 'ws' }));
  assert.is(err.code, 'ERR_CONNECTION_REFUSED');
});

test('a refused upgrade (403, 404) rejects with ERR_CONNECTION_REFUSED and the HTTP status', async () => {
  const web = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 }, deny: ['127.0.0.1'] });
  // Any HTTP server that is not a room: the WebSocket gets 404.
  const plain = http.createServer((_req, res) => res.writeHead(404).end());
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  try {
    const denied = await failure(openConnection({ host: '127.0.0.1', port: web.transports.ws!.port, transport: 'ws' }));
    assert.is(denied.code, 'ERR_CONNECTION_REFUSED');
    assert.match(denied.message, /HTTP 403/);
    const other = await failure(openConnection({ host: '127.0.0.1', port: (plain.address() as net.AddressInfo).port, transport: 'ws' }));
    assert.match(other.message, /HTTP 404.*serve --web/);
  } finally {
    plain.close();
    await web.close();
  }
});

test('a server that never answers the handshake times out with ERR_CONNECT_TIMEOUT', async () => {
  // Accepts the connection, never says a word.
  const mute = net.createServer(() => {});
  const sockets: net.Socket[] = [];
  mute.on('connection', (s) => sockets.push(s));
  mute.listen(0, '127.0.0.1');
  await once(mute, 'listening');
  try {
    const err = await failure(openConnection({ host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port, transport: 'ws', connectTimeoutMs: 100 }));
    assert.is(err.code, 'ERR_CONNECT_TIMEOUT');
  } finally {
    for (const s of sockets) s.destroy();
    mute.close();
  }
});

test('a closed client sends nothing more and closing twice is harmless', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  const a = await openConnection({ host: '127.0.0.1', port: server.transports.ws!.port, transport: 'ws' });
  const wa = watch(a);
  try {
    await wa.log.waitFor(/^\* welcome /);
    await a.close();
    await a.close();
    a.send('too late');
    await eventually(() => server.room.size === 0, 1000, 'the room forgetting the client');
    assert.is(server.counters().messages, 0);
    assert.not.ok(wa.ended(), "the client's own close was reported as the server's");
  } finally {
    await a.close();
    await server.close();
  }
});

test.run();
