import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, type Connection } from '../../src/client/connection.js';
import { ChatError } from '../../src/core/errors.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import type { FramingName } from '../../src/transports/framing.js';
import { LineLog } from '../helpers/line-log.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('the chat client over TCP');

/** Records a connection's lines and whether it saw the server end the stream. */
function watch(connection: Connection) {
  const log = new LineLog();
  let ended = false;
  connection.on('line', (line) => log.push(line));
  connection.on('end', () => (ended = true));
  return { log, ended: () => ended };
}

for (const framing of ['line', 'length'] as FramingName[]) {
  test(`a ${framing}-framed client is named by its local address, talks to the room, and hears it close`, async () => {
    const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'tcp', framing });
    // Watched as soon as it is open: the welcome comes at once, and a line with no listener is gone.
    const a = await openConnection({ host: '127.0.0.1', port: server.port, transport: 'tcp', framing });
    const wa = watch(a);
    await wa.log.waitFor(/^\* welcome /);
    const b = await openConnection({ host: '127.0.0.1', port: server.port, transport: 'tcp', framing });
    const wb = watch(b);
    try {
      assert.is(a.transport, 'tcp');
      assert.is(a.remote, `127.0.0.1:${server.port}`);
      await wa.log.waitFor(`* welcome ${a.local}; you are alone here; peer timeout 60s: send /ping (heartbeat) or anything to stay; /help lists commands`);
      await wb.log.waitFor(new RegExp(`^\\* welcome ${b.local.replace(/\./g, '\\.')}; 1 other here`));
      // Text and bytes, with and without their own newline: each is one message.
      a.send('hello');
      a.send(new TextEncoder().encode('bytes\n'));
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
}

test('connecting where nothing listens rejects with ERR_CONNECTION_REFUSED', async () => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const err = await openConnection({ host: '127.0.0.1', port, transport: 'tcp' }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.instance(err, ChatError);
  assert.is((err as ChatError).code, 'ERR_CONNECTION_REFUSED');
});

test('a closed client sends nothing more and closing twice is harmless', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'tcp' });
  const a = await openConnection({ host: '127.0.0.1', port: server.port, transport: 'tcp' });
  const wa = watch(a);
  try {
    await wa.log.waitFor(/^\* welcome /);
    const local = a.local;
    await a.close();
    await a.close();
    a.send('too late');
    await eventually(() => server.room.size === 0, 1000, 'the room forgetting the client');
    assert.is(server.counters().messages, 0);
    assert.not.ok(wa.ended(), "the client's own close was reported as the server's");
    assert.ok(local.startsWith('127.0.0.1:'));
  } finally {
    await a.close();
    await server.close();
  }
});

test.run();
