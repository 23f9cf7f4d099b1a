/**
 * Names claimed in the cluster while other peers of the same server race for them: the store
 * must end up saying who holds each name, or a server that reads it (a new one, or one healing
 * from a lost link) gives a held name away again or lists a peer that is not there.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { knock } from '../helpers/chat-room.js';
import { openPeer, type TestPeer } from '../helpers/peers.js';
import { withRedis } from '../helpers/redis.js';
import { TestCluster, type Node } from './harness.js';

/** Two fresh TCP peers of `node`, welcomed, under their first names. */
async function twoPeers(node: Node, opened: TestPeer[]): Promise<[TestPeer, TestPeer]> {
  const peers: TestPeer[] = [];
  for (let i = 0; i < 2; i++) {
    const p = await openPeer('tcp', node.server.port);
    opened.push(p);
    knock(p);
    await p.waitFor(/^\* welcome /);
    peers.push(p);
  }
  return peers as [TestPeer, TestPeer];
}

test('two peers of one server racing for a name (one leaving, one a look-alike): the store keeps the winner and no ghost', async () => {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    const opened: TestPeer[] = [];
    try {
      const a = await cluster.start('a');
      // The same name at once, and the loser leaves before the cluster's answer comes back.
      const [p1, p2] = await twoPeers(a, opened);
      p1.send('/nick zed');
      p2.send('/nick zed');
      p2.send('/quit');
      await p1.waitFor(/ is now zed$/);
      // Look-alikes at once: one gets its name, the other is refused.
      const [p3, p4] = await twoPeers(a, opened);
      p3.send('/nick alice');
      p4.send('/nick AIice');
      await p3.waitFor(/^(\* .* is now alice|! .*)$/);
      await p4.waitFor(/^(\* .* is now AIice|! .*)$/);
      // A server that starts now knows the room from the store alone.
      const c = await cluster.start('c');
      const dave = await cluster.join(c, 'tcp', 'dave');
      dave.send('/nick zed');
      assert.match(await dave.waitFor(/^(\* dave is now zed|! name taken.*)$/), '! name taken: zed (on server a)');
      dave.send('/who');
      await dave.waitFor('* 4 peers here:');
      await dave.waitFor(/^\* {3}127\.0\.0\.1:\d+@a tcp on a idle/);
      // Three peers on a, under the names they hold: no ghost of the refused look-alike.
      const onA = dave.lines.filter((l) => / on a idle/.test(l)).map((l) => l.split(' ')[3]!.replace(/@a$/, '@a (first name)').replace(/^127\.0\.0\.1:\d+/, ''));
      assert.equal(onA.sort(), ['@a (first name)', 'alice', 'zed'], dave.lines.join('\n'));
    } finally {
      for (const p of opened) await p.close().catch(() => undefined);
      await cluster.close();
    }
  });
});

test.run();
