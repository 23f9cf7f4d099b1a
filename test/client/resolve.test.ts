/**
 * Host names resolve as the system says, every address in its order, and a client finds the one a
 * server listens on: `-H localhost` where localhost is 127.0.0.1 first and the server is on ::1
 * alone. The lookup is given here (this machine's /etc/hosts has no ::1 name); the CLI over the
 * real resolver is tested in a namespace with its own /etc/hosts (test/cli/localhost.test.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, resolveHost } from '../../src/client/connection.js';
import { ChatSession } from '../../src/client/session.js';
import type { ChatError } from '../../src/core/errors.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('host names and their addresses');

// localhost as many systems have it: IPv4 first, then ::1.
const bothFamilies = async () => ['127.0.0.1', '::1'];

test('a literal is its own address; a name nothing resolves is ERR_BAD_HOST, said with the name', async () => {
  assert.equal(await resolveHost('::1'), ['::1']);
  assert.equal(await resolveHost('x', async () => ['::1', '::1', '127.0.0.1']), ['::1', '127.0.0.1']);
  const err = (await resolveHost('no-such-host.invalid').catch((e: unknown) => e)) as ChatError;
  assert.is(err.code, 'ERR_BAD_HOST');
  assert.is(err.message, 'cannot resolve the host no-such-host.invalid');
});

for (const transport of ['udp', 'tcp', 'ws'] as const) {
  test(`over ${transport}: a server on ::1 alone is reached through a name whose first address is 127.0.0.1`, async () => {
    const server = await startChatServer({ host: '::1', port: 0, transport: 'both', web: { port: 0, host: '::1' } });
    const port = transport === 'ws' ? server.transports.ws!.port : server.port;
    const connection = await openConnection({ host: 'localhost', port, transport, lookup: bothFamilies });
    const session = new ChatSession(connection, { name: 'six', answerTimeoutMs: 3000 });
    const failed: string[] = [];
    session.on('failed', (err) => failed.push(err.message));
    try {
      session.start();
      await eventually(() => server.room.find('six') !== undefined || failed.length > 0, 3000, 'six in the room');
      assert.equal(failed, []);
      assert.is(session.connection.remote, `[::1]:${port}`);
    } finally {
      await session.close();
      await server.close();
    }
  });
}

test.run();
