/**
 * Item 3 on real sockets: two honest peers exchanging numbered messages under a `/who` flood from
 * 20 loopback addresses (each flooding peer within the message rate) get every message, and the
 * server reports what its own socket dropped. Scaled (see scripts/trust/who-flood.ts): 40 peers
 * at 100 /who a second, 100 numbered messages each way over two seconds.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loopbackAliases } from '../../../scripts/trust/loopback.js';
import { whoFlood } from '../../../scripts/trust/who-flood.js';

const test = suite('honest peers under a /who flood, on real sockets');

test('both honest peers get all 100 numbered messages, and the server says what its socket dropped', async () => {
  if (!(await loopbackAliases())) return console.log('  skipped: 127.0.0.2 to 127.0.0.20 cannot be bound here');
  const r = await whoFlood({ addresses: 20, perAddress: 2, perSecond: 100, count: 100, honestMs: 2000, warmMs: 300 });
  const figures = `received ${r.received.join(' and ')} of ${r.count}; ${r.floodSent} /who sent; kernelDrops ${r.kernelDrops}, whoTooSoon ${r.whoTooSoon}`;
  assert.equal(r.received, [100, 100], figures);
  assert.ok(r.whoTooSoon > r.floodSent / 2, figures);
  if (process.platform === 'linux') assert.type(r.kernelDrops, 'number', figures);
  else assert.is(r.kernelDrops, 'not available');
});

test.run();
