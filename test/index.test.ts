/**
 * The public API (src/index.ts, the package's only export): what an instructor scripting a lab
 * reaches for is there and works, and the room's internals are not.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from '../src/index.js';

const test = suite('the public API');

test('servers, clients, the room and parser, the proxy and the demos are exported', () => {
  for (const name of ['startChatServer', 'startEchoServer', 'openConnection', 'sendMessages', 'ChatSession', 'Room', 'parseCommand', 'startProxy', 'startUdpProxy', 'startTcpProxy', 'DEMOS', 'demoSvg', 'demoHtml', 'TRANSPORT_NAMES', 'GroupChat', 'sendToGroup', 'isMulticast', 'parseGroup']) {
    assert.ok(name in api, `${name} is exported`);
  }
  for (const name of ['udp', 'tcp', 'ws']) assert.ok(api.TRANSPORT_NAMES.includes(name as api.TransportName), name);
  assert.equal(Object.keys(api.DEMOS).sort(), ['boundaries', 'duplicate', 'liveness', 'loss', 'multicast', 'reorder', 'size']);
});

test('mutable internals are not exported', () => {
  for (const name of ['encodeLine', 'wallClockMs', 'Peer', 'Outbox', 'Roster']) assert.not.ok(name in api, `${name} is not exported`);
});

test('a lab script can run a room and talk to it through the API alone', async () => {
  const server = await api.startChatServer({ host: '127.0.0.1', port: 0 });
  try {
    const result = await api.sendMessages({ host: '127.0.0.1', port: server.port, transport: 'udp', messages: ['/who'], waitMs: 300 });
    assert.ok(result.received.some((line) => line.startsWith('* 1 peer here')), JSON.stringify(result.received));
    assert.is(api.parseCommand('rename|bob').kind, 'nick');
  } finally {
    await server.close();
  }
});

test('a lab script can ping an echo through the API alone', async () => {
  const echo = await api.startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const result = await api.ping({ host: '127.0.0.1', port: echo.port, count: 2, intervalMs: 10 });
    assert.equal([result.transmitted, result.received], [2, 2]);
  } finally {
    await echo.close();
  }
});

test.run();
