/**
 * The cluster's store emptied under the servers (Redis restarted with nothing saved, or a
 * FLUSHALL): every server finds itself forgotten and registers its peers again, each on its own
 * beat. Until the others have had their node timeout to do so, their absence from the store is
 * no sign they are gone: no peer is told that anyone left, nor the log that a server went.
 */
import { createClient } from '@redis/client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sync } from '../helpers/chat-room.js';
import { withRedis } from '../helpers/redis.js';
import { clusterEvents, TestCluster, until } from './harness.js';

test('FLUSHALL: both servers register again, and nobody is told a peer left or a server went', async () => {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    const store = createClient({ url: redis.url });
    try {
      const a = await cluster.start('a');
      const b = await cluster.start('b');
      const alice = await cluster.join(a, 'tcp', 'alice');
      const dave = await cluster.join(b, 'tcp', 'dave');
      await alice.waitFor(/^\* .*@b is now dave$/);
      await store.connect();
      await store.flushAll();
      // Both names are back once both servers found themselves forgotten, each on a beat whose
      // answer (the servers alive) it acted on first: by then any wrong conclusion has been drawn.
      let held = '';
      const poll = setInterval(() => void store.hKeys('udp-chat:lab:peers').then((keys) => (held = keys.sort().join())).catch(() => undefined), 20);
      try {
        await until(() => held === 'alice,dave', () => `alice and dave registered again (store: ${held})`);
      } finally {
        clearInterval(poll);
      }
      for (const peer of [alice, dave]) await sync(peer, 'after-flush');
      for (const peer of [alice, dave]) assert.not.ok(peer.lines.some((l) => / left \(/.test(l)), peer.lines.join('\n'));
      for (const node of [a, b]) assert.not.ok(clusterEvents(node.events).some((e) => e.startsWith('gone:')), clusterEvents(node.events).join('\n'));
      alice.send('/who');
      await alice.waitFor('* 2 peers here:');
    } finally {
      await store.close().catch(() => undefined);
      await cluster.close();
    }
  });
});

test.run();
