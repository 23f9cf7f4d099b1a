/** The one line a user reads for a socket error: EMSGSIZE says which system's limit a figure is. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { socketError } from '../../src/client/connection.js';
import { datagramLimit } from '../../src/transports/udp/datagram-limit.js';

const test = suite('socket errors');

test("EMSGSIZE names 65507 as IPv4's limit on Linux, and macOS's 9216 on a Mac", () => {
  const err = Object.assign(new Error('send EMSGSIZE'), { code: 'EMSGSIZE' });
  const line = socketError(err, 'udp', '127.0.0.1:9000').message;
  assert.ok(line.startsWith('a datagram to 127.0.0.1:9000 was too long for UDP (EMSGSIZE: '), line);
  assert.match(datagramLimit('linux'), /65507 bytes over IPv4, the limit on Linux; macOS's default is 9216/);
  assert.match(datagramLimit('darwin'), /^macOS's default limit is 9216 bytes \(sysctl net\.inet\.udp\.maxdgram\)/);
  assert.ok(line.includes(datagramLimit(process.platform)));
});

test.run();
