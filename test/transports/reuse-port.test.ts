/** Where a server may share its port with others (SO_REUSEPORT): Node 22.12+ on an OS that has it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeHasReusePort, reusePortMissing } from '../../src/transports/reuse-port.js';

test('Node 22.12 and later offer reusePort; 20 and 22.11 do not', () => {
  for (const v of ['22.12.0', '22.13.1', '23.1.0', '24.0.0']) assert.ok(nodeHasReusePort(v), v);
  for (const v of ['20.19.0', '20.20.2', '22.11.0', '18.0.0']) assert.not.ok(nodeHasReusePort(v), v);
});

test('the reason names what is missing: the Node version, or the OS', () => {
  assert.is(reusePortMissing('22.12.0', 'linux'), undefined);
  assert.match(reusePortMissing('20.20.2', 'linux')!, 'Node 20.20.2 cannot share a port between processes (SO_REUSEPORT came in Node 22.12)');
  assert.match(reusePortMissing('22.12.0', 'win32')!, 'on Linux and the BSDs, not on win32');
  assert.match(reusePortMissing('24.0.0', 'darwin')!, 'not on darwin');
});

test.run();
