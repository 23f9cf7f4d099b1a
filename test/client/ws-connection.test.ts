/**
 * What only the WebSocket client meets: the HTTP handshake, refused or never answered. The rest of
 * its behaviour is the client contract (contract.test.ts).
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection } from '../../src/client/connection.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { failure } from './contract.js';

const test = suite('the chat client over WebSocket');

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

test.run();
