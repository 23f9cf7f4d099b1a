/**
 * A link to Redis cut without a word: no FIN, no RST, the packets just stop (a pulled cable, a
 * frozen middlebox). No socket closes, so only the server's own deadline can notice: a beat
 * unanswered for the node timeout is a lost link, told and counted, and the connections are
 * made again. Here the cut is a proxy that stops forwarding on the connections it has.
 */
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withRedis } from '../helpers/redis.js';
import { clusterEvents, TestCluster } from './harness.js';

/** A TCP proxy to 127.0.0.1:`port` whose freeze() silences every connection it holds (new ones pass). */
async function freezableProxy(port: number) {
  const held: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    held.push(client, upstream);
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const s of held.splice(0)) {
        s.unpipe();
        s.pause();
      }
    },
    async close() {
      for (const s of held) s.destroy();
      server.close();
    },
  };
}

test('a silent cut: lost after the node timeout, told, counted, and back on fresh connections', async () => {
  await withRedis(async (redis) => {
    const proxy = await freezableProxy(redis.port);
    const viaProxy = new TestCluster(`redis://127.0.0.1:${proxy.port}`);
    const direct = new TestCluster(redis.url);
    try {
      const a = await viaProxy.start('a');
      const b = await direct.start('b');
      const alice = await viaProxy.join(a, 'tcp', 'alice');
      const dave = await direct.join(b, 'tcp', 'dave');
      await alice.waitFor(/^\* .*@b is now dave$/);
      proxy.freeze();
      await alice.waitFor('* link to the cluster lost; reconnecting', 5000);
      await alice.waitFor(/^\* link to the cluster back after \d+\.\d+s/, 10_000);
      // b took a for dead meanwhile; a claimed its peers again, and the room is whole.
      alice.send('after the cut');
      await dave.waitFor('<alice> after the cut', 5000).catch((e: Error) => {
        throw new Error(`${e.message}\na: ${JSON.stringify(a.server.counters().cluster)} ${clusterEvents(a.events).join(' | ')}\nb: ${JSON.stringify(b.server.counters().cluster)} ${clusterEvents(b.events).join(' | ')}`);
      });
      assert.is(a.server.counters().cluster!.linkLost, 1);
      assert.ok(clusterEvents(a.events).some((e) => e.startsWith('lost: link to the cluster lost (no answer from Redis for 1s)')), clusterEvents(a.events).join('\n'));
    } finally {
      await viaProxy.close();
      await direct.close();
      await proxy.close();
    }
  });
});

test.run();
