/**
 * IPv6 multicast, which this machine's loopback cannot carry: the test makes its own network
 * namespace with a veth pair (helpers/netns.ts), so the group is real and nothing leaves the machine.
 * Skipped, with the reason printed, where no namespace can be made.
 */
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN } from '../../helpers/spawn.js';
import { inNetns, netnsUnavailable, NETNS_IF } from '../../helpers/netns.js';

const test = suite('IPv6 multicast in a network namespace');
const CHILD = fileURLToPath(new URL('../../helpers/ipv6-group-child.js', import.meta.url));

test('send --multicast to ff15:: reaches two receivers joined on the interface', async () => {
  const why = netnsUnavailable();
  if (why) {
    console.log(`skipped: ${why}`);
    return;
  }
  const out = await inNetns(CHILD, ['ff15::1:7', '9400', NETNS_IF, BIN]);
  const result = JSON.parse(out.trim().split('\n').pop()!) as { got: string[][]; code: number; stderr: string };
  assert.equal(result.code, 0, `the CLI exits 0 (stderr: ${result.stderr})`);
  assert.equal(result.got, [['hello over IPv6'], ['hello over IPv6']]);
});

test.run();
