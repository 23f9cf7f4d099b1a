/**
 * One room over two servers on a real redis-server: peers over UDP, TCP and WebSocket on each
 * chat, list and whisper to each other as in one room, names are unique room-wide, and Redis
 * lost and back is counted, announced and healed. Skipped, saying why, without redis-server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issueTicket } from '../../src/servers/tickets.js';
import { sync } from '../helpers/chat-room.js';
import { withRedis, type TestRedis } from '../helpers/redis.js';
import { clusterEvents, TestCluster, until, type Node } from './harness.js';

/** Runs `body` with servers a and b of one room on a fresh redis-server, all closed after. */
async function twoServers(body: (cluster: TestCluster, a: Node, b: Node, redis: TestRedis) => Promise<void>): Promise<void> {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    try {
      await body(cluster, await cluster.start('a'), await cluster.start('b'), redis);
    } finally {
      await cluster.close();
    }
  });
}

test('two servers are one room: UDP, TCP and WebSocket peers on each chat, /who and /msg across, names unique room-wide', async () => {
  await twoServers(async (cluster, a, b) => {
    const alice = await cluster.join(a, 'udp', 'alice');
    const bob = await cluster.join(a, 'tcp', 'bob');
    const carol = await cluster.join(a, 'ws', 'carol');
    const dave = await cluster.join(b, 'udp', 'dave');
    const erin = await cluster.join(b, 'tcp', 'erin');
    const frank = await cluster.join(b, 'ws', 'frank');
    const everyone = [alice, bob, carol, dave, erin, frank];
    // The peers already in are told of the other server's joins and renames.
    for (const peer of [alice, bob, carol]) await peer.waitFor(/^\* .*@b is now frank$/);

    alice.send('hello from a over udp');
    for (const peer of everyone.filter((p) => p !== alice)) await peer.waitFor('<alice> hello from a over udp');
    frank.send('hello from b over ws');
    for (const peer of everyone.filter((p) => p !== frank)) await peer.waitFor('<frank> hello from b over ws');

    dave.send('/who');
    await dave.waitFor('* 6 peers here:');
    await dave.waitFor(/^\* {3}dave udp 127\.0\.0\.1:\d+ idle \S+ \(you\)$/);
    for (const [name, transport] of [
      ['alice', 'udp'],
      ['bob', 'tcp'],
      ['carol', 'ws'],
    ]) {
      await dave.waitFor(new RegExp(`^\\* {3}${name} ${transport} on a idle \\S+$`));
    }

    erin.send('/msg carol psst');
    await carol.waitFor('[private] <erin> psst');
    await erin.waitFor('[private to carol] <erin> psst');
    // Nobody else heard it: each peer's next pong comes after anything the whisper would have sent it.
    for (const peer of everyone) await sync(peer, 'after-msg');
    for (const peer of [alice, bob, dave, frank]) assert.not.ok(peer.lines.some((l) => l.includes('psst')), `${peer.address} heard a private line`);

    frank.send('/nick alice');
    await frank.waitFor('! name taken: alice (on server a)');
    frank.send('/nick AIice');
    await frank.waitFor('! name taken: AIice looks like alice, who is here (on server a)');

    // Two servers asked for one name at once: the cluster gives it to exactly one.
    bob.send('/nick zed');
    dave.send('/nick zed');
    // Each waits for its own answer (the other's rename is broadcast to it too).
    const outcome = await Promise.all(
      ([
        [bob, 'bob'],
        [dave, 'dave'],
      ] as const).map(([p, was]) => p.waitFor(new RegExp(`^(\\* ${was} is now zed|! name taken: zed.*)$`))),
    );
    assert.equal(outcome.filter((l) => l.startsWith('* ')).length, 1, outcome.join(' | '));
    assert.equal(outcome.filter((l) => l.startsWith('! ')).length, 1, outcome.join(' | '));

    // One peer's lines keep their order on the other server.
    for (let i = 0; i < 30; i++) erin.send(`n${i}`);
    await alice.waitFor('<erin> n29');
    const seen = alice.lines.filter((l) => /^<erin> n\d+$/.test(l)).map((l) => Number(l.slice('<erin> n'.length)));
    assert.equal(seen, [...Array(30).keys()]);
    assert.ok(a.server.counters().cluster!.received > 0);
    assert.equal(a.server.counters().cluster!.refused, 0);
    assert.equal(a.server.counters().cluster!.remotePeers, 3);
  });
});

test('a server that shuts down: its peers leave (server shutting down) on the others, at once', async () => {
  await twoServers(async (cluster, a, b) => {
    const alice = await cluster.join(a, 'tcp', 'alice');
    await cluster.join(b, 'udp', 'dave');
    await alice.waitFor(/^\* .*@b is now dave$/);
    await b.server.close();
    await alice.waitFor('* dave left (server shutting down)');
    alice.send('/who');
    await alice.waitFor('* 1 peer here:');
    await until(() => clusterEvents(a.events).includes('gone: server b shut down and left the cluster'), "a logs b's clean goodbye");
  });
});

test('Redis stopped and started again: counted, announced to the peers, and the room heals', async () => {
  await twoServers(async (cluster, a, b, redis) => {
    const alice = await cluster.join(a, 'tcp', 'alice');
    const bob = await cluster.join(a, 'udp', 'bob');
    const dave = await cluster.join(b, 'tcp', 'dave');
    await alice.waitFor(/^\* .*@b is now dave$/);

    await redis.stop();
    for (const peer of [alice, bob, dave]) await peer.waitFor('* link to the cluster lost; reconnecting');
    // The peers on one server go on chatting while the cluster is away.
    alice.send('while redis is down');
    await bob.waitFor('<alice> while redis is down');
    await until(() => a.server.counters().cluster!.unsent >= 1, 'the line that could not reach b counted as unsent');

    await redis.restart();
    for (const peer of [alice, bob, dave]) await peer.waitFor(/^\* link to the cluster back after \d+\.\d+s/, 15_000);
    // Redis came back empty: each server claimed its peers again, and /who is whole.
    dave.send('/who');
    await dave.waitFor('* 3 peers here:');
    await dave.waitFor(/^\* {3}alice tcp on a idle/);
    alice.send('after the restart');
    await dave.waitFor('<alice> after the restart');
    // The line a could not publish is a gap in a's numbering, which b counts as missed.
    assert.ok(b.server.counters().cluster!.missed >= 1, JSON.stringify(b.server.counters().cluster));
    for (const node of [a, b]) {
      const c = node.server.counters().cluster!;
      assert.equal(c.linkLost, 1, `${node.name}: ${JSON.stringify(c)}`);
      assert.ok(clusterEvents(node.events).some((e) => e.startsWith('lost: link to the cluster lost')));
      assert.ok(clusterEvents(node.events).some((e) => e.startsWith('back: link to the cluster back')));
    }
  });
});

test('a second live server with the same --node in the room is refused, and the first keeps its name', async () => {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    try {
      await cluster.start('a');
      const err = await cluster.start('a').then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      assert.ok(err, 'the second server started');
      assert.is(err.code, 'ERR_CLUSTER_NODE_TAKEN');
      assert.match(err.message, 'a live server in room lab is called a already');
    } finally {
      await cluster.close();
    }
  });
});

test('every server of a room lets peers in alike: one without the others\' password is refused, one with it joins', async () => {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    try {
      await cluster.start('a', { password: 'class-pass' });
      for (const options of [{}, { password: 'other-pass' }, { password: 'class-pass', tickets: { secret: 'x'.repeat(32) } }]) {
        const err = await cluster.start('b', options).then(
          () => null,
          (e: Error) => e,
        );
        assert.ok(err, `b started with ${JSON.stringify(options)}`);
        assert.match(err.message, 'the servers running room lab let peers in otherwise: give every server of a room the same --password');
      }
      await cluster.start('c', { password: 'class-pass' });
      // Nothing of the password is in Redis but a slow hash.
      const { createClient } = await import('@redis/client');
      const client = createClient({ url: redis.url });
      await client.connect();
      try {
        const door = await client.get('udp-chat:lab:door');
        assert.match(String(door), /^[0-9a-f]{64}$/);
        const keys = await client.keys('udp-chat:lab:*');
        for (const key of keys) assert.not.match(key, 'class-pass');
        // The last server to go takes the door (and everything else) with it: the room can start again otherwise.
        await cluster.close();
        assert.equal(await client.keys('udp-chat:lab:*'), []);
        const again = new TestCluster(redis.url);
        try {
          await again.start('d', { password: 'next-class' });
        } finally {
          await again.close();
        }
      } finally {
        await client.close();
      }
    } finally {
      await cluster.close();
    }
  });
});

test('a ticket wins its name across servers, as on one: the holder without one gets its first name back, and keeps off it', async () => {
  await withRedis(async (redis) => {
    const secret = 'a ticket secret of the class, 32+ bytes long';
    const tickets = { secret, room: 'lab' };
    const cluster = new TestCluster(redis.url);
    try {
      const a = await cluster.start('a', { tickets });
      const b = await cluster.start('b', { tickets });
      const impostor = await cluster.join(b, 'tcp', 'alice');
      const alice = await cluster.join(a, 'tcp', 'al');
      alice.send(`/join ${await issueTicket({ name: 'alice', secret, room: 'lab' })}`);
      await alice.waitFor('* signed in by ticket as alice', 5000);
      await impostor.waitFor(`! you are ${impostor.address}@b again: alice signs in with a ticket on server a`);
      await alice.waitFor('* al is now alice');
      await impostor.waitFor('* al is now alice');
      // The name stays the ticket's, on every server: taken while alice is here, a ticket's name after.
      impostor.send('/nick alice');
      await impostor.waitFor('! name taken: alice (on server a)');
      alice.send('/quit');
      await impostor.waitFor('* alice left (quit)');
      impostor.send('/nick alice');
      await impostor.waitFor('! that name belongs to a ticket holder; choose another');
    } finally {
      await cluster.close();
    }
  });
});

test.run();
