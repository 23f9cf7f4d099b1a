/**
 * IPv6 multicast, which this machine's loopback cannot carry: the test makes its own network
 * namespace with a veth pair (helpers/netns.ts), so the group is real and nothing leaves the machine:
 * `send --multicast` to two receivers, and a serverless room of two members.
 * Skipped, with the reason printed, where no namespace can be made.
 */
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN } from '../../helpers/spawn.js';
import { inNetns, netnsUnavailable, NETNS_IF } from '../../helpers/netns.js';

const test = suite('IPv6 multicast in a network namespace');
const CHILD = fileURLToPath(new URL('../../helpers/ipv6-group-child.js', import.meta.url));
const ROOM_CHILD = fileURLToPath(new URL('../../helpers/ipv6-room-child.js', import.meta.url));

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

test('a serverless room over IPv6: members meet, chat, and a private line reaches its target by unicast', async () => {
  const why = netnsUnavailable();
  if (why) {
    console.log(`skipped: ${why}`);
    return;
  }
  const seen = JSON.parse((await inNetns(ROOM_CHILD, ['ff15::1:9', '9401', NETNS_IF])).trim().split('\n').pop()!) as Record<string, string[]>;
  assert.ok(seen['bob']!.includes('notice alice joined'), JSON.stringify(seen));
  assert.ok(seen['bob']!.includes('<alice> hello over IPv6'), JSON.stringify(seen));
  assert.ok(seen['bob']!.includes('[private] <alice> psst'), JSON.stringify(seen));
  assert.not.ok(seen['alice']!.some((l) => l.includes('psst')), 'the sender does not hear its private line back');
});

test.run();
