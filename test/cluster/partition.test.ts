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
import { createClient } from '@redis/client';
import { clusterEvents, TestCluster, until } from './harness.js';

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

test('lines said during a silent cut, before it is noticed: each counted once, as unsent, not also as published', async () => {
  await withRedis(async (redis) => {
    const proxy = await freezableProxy(redis.port);
    const viaProxy = new TestCluster(`redis://127.0.0.1:${proxy.port}`);
    try {
      const a = await viaProxy.start('a');
      const alice = await viaProxy.join(a, 'tcp', 'alice');
      const c = () => a.server.counters().cluster!;
      // Everything a sent so far has been answered: alice's entry, written after her rename went, is in the store.
      const store = createClient({ url: redis.url });
      await store.connect();
      let held = false;
      const poll = setInterval(() => void store.hExists('udp-chat:lab:peers', 'alice').then((h) => (held = Boolean(h))).catch(() => undefined), 20);
      try {
        await until(() => held, "alice's entry in the store");
      } finally {
        clearInterval(poll);
        await store.close();
      }
      const before = c().published + c().unsent;
      proxy.freeze();
      for (const text of ['one', 'two', 'three']) alice.send(text);
      await alice.waitFor('* link to the cluster lost; reconnecting', 5000);
      const back = await alice.waitFor(/^\* link to the cluster back after/, 10_000);
      assert.match(back, "; 3 messages from here did not reach the other servers", `${back} ${JSON.stringify(a.server.counters().cluster)}`);
      // The three lines, then alice announced again and the `sync` of a server back on the bus.
      assert.is(c().published + c().unsent - before, 3 + 2, JSON.stringify(c()));
      assert.ok(c().unsent >= 3, JSON.stringify(c()));
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});

test.run();
