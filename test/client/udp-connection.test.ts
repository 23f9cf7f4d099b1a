/**
 * What only the UDP client does: connect without a packet, and report ICMP refusals and
 * oversized datagrams as errors of one send, not of the connection. The rest of its behaviour is
 * the client contract (contract.test.ts).
 */
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, type Connection } from '../../src/client/connection.js';
import type { ChatError } from '../../src/core/errors.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { closedPort } from '../helpers/spawn.js';
import { watch } from './contract.js';

const test = suite('the chat client over UDP');

/** The next error the connection reports, within a deadline. */
async function nextError(connection: Connection): Promise<ChatError> {
  const [err] = (await once(connection, 'error', { signal: AbortSignal.timeout(2000) })) as [ChatError];
  return err;
}

test('connecting sends nothing: the room meets a UDP client only when it speaks', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const quiet = await openConnection({ host: '127.0.0.1', port: server.port });
  const talker = await openConnection({ host: '127.0.0.1', port: server.port });
  const heard = watch(talker);
  try {
    // The socket is bound at connect, so its address is known before any datagram.
    assert.match(quiet.local, /^127\.0\.0\.1:[1-9]\d*$/);
    talker.send('/ping here');
    await heard.log.waitFor('/pong here');
    // Only the talker: the quiet client never sent a datagram.
    assert.is(server.room.size, 1);
  } finally {
    await quiet.close();
    await talker.close();
    await server.close();
  }
});

test('a refusal (ICMP port unreachable) is an error of that send: the client hears a server that comes back', async () => {
  const port = await closedPort('udp');
  const client = await openConnection({ host: '127.0.0.1', port });
  const seen = watch(client);
  let echo: Awaited<ReturnType<typeof startEchoServer>> | undefined;
  try {
    const refused = nextError(client);
    client.send('anyone?');
    assert.is((await refused).code, 'ERR_CONNECTION_REFUSED');
    echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port });
    client.send('back again');
    await seen.log.waitFor('back again');
    assert.not.ok(seen.ended());
  } finally {
    await client.close();
    await echo?.close();
  }
});

test('a datagram over 65507 bytes is an ERR_MESSAGE_TOO_LONG error, and the next one still goes', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const client = await openConnection({ host: '127.0.0.1', port: echo.port });
  const seen = watch(client);
  try {
    const tooLong = nextError(client);
    client.send(new Uint8Array(65508));
    assert.is((await tooLong).code, 'ERR_MESSAGE_TOO_LONG');
    client.send('small');
    await seen.log.waitFor('small');
  } finally {
    await client.close();
    await echo.close();
  }
});

test.run();
