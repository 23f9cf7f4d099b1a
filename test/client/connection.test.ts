/** openConnection's own checks, before any socket: the transports it speaks, and nothing else. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLIENT_TRANSPORTS, openConnection, type ClientTransport } from '../../src/client/connection.js';
import type { ChatError } from '../../src/core/errors.js';

const test = suite('openConnection');

test('the client speaks udp, tcp and ws', () => {
  assert.equal(CLIENT_TRANSPORTS, ['udp', 'tcp', 'ws']);
});

test('a transport the client has no opener for is refused, not sent over UDP', async () => {
  let error: ChatError | undefined;
  try {
    const c = await openConnection({ host: '127.0.0.1', port: 9, transport: 'quic' as ClientTransport });
    await c.close();
  } catch (err) {
    error = err as ChatError;
  }
  assert.is(error?.code, 'ERR_BAD_ARGUMENT');
  assert.match(error!.message, /udp, tcp, ws/);
});

test.run();
