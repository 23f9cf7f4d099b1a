/**
 * `udp-chat serve --cluster` as a user runs it: a server killed with SIGKILL has its peers leave
 * the others' room within the node timeout, and the mistakes at the start are one line each.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reusePortMissing } from '../../src/transports/reuse-port.js';
import { openPeer } from '../helpers/peers.js';
import { closedPort, Output, run, start, stop } from '../helpers/spawn.js';
import { withRedis } from '../helpers/redis.js';
import { clusterEvents, TestCluster } from './harness.js';

test('a server killed with SIGKILL: its peers leave (server gone) on the other within the timeout', async () => {
  await withRedis(async (redis) => {
    const cluster = new TestCluster(redis.url);
    const child = start(['serve', '--cluster', redis.url, '--room', 'lab', '--node', 'b', '--port', '0', '--transport', 'both', '--json']);
    try {
      const a = await cluster.start('a');
      const alice = await cluster.join(a, 'tcp', 'alice');
      const out = new Output(child);
      const started = JSON.parse(await out.next(/"event":"start"/, 10_000)) as { port: number };
      const dave = await openPeer('udp', started.port);
      try {
        dave.send('/nick dave');
        await dave.waitFor(/ is now dave$/);
        await alice.waitFor(/^\* .*@b is now dave$/);
        const killedAt = Date.now();
        child.kill('SIGKILL');
        // The default node timeout (5 s) and a beat (1 s) at most.
        await alice.waitFor('* dave left (server gone)', 9000);
        assert.ok(Date.now() - killedAt < 9000);
        assert.ok(clusterEvents(a.events).includes('gone: server b is gone from the cluster: 1 peer left'), clusterEvents(a.events).join('\n'));
        alice.send('/who');
        await alice.waitFor('* 1 peer here:');
      } finally {
        await dave.close();
      }
    } finally {
      await stop(child, 'SIGKILL').catch(() => undefined);
      await cluster.close();
    }
  });
});

test('Redis unreachable at the start: one line, exit 1, nothing bound', async () => {
  const port = await closedPort('tcp');
  const r = await run(['serve', '--cluster', `redis://:hunter2@127.0.0.1:${port}`, '--port', '0']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, `cannot reach the cluster's Redis at redis://:***@127.0.0.1:${port}: ECONNREFUSED`);
  assert.not.match(r.stderr, 'hunter2');
});

test('a Redis with a password: none or a wrong one is one line and exit 1; the right one joins, shown as ***', async () => {
  await withRedis(async (redis) => {
    const at = `127.0.0.1:${redis.port}`;
    const none = await run(['serve', '--cluster', `redis://${at}`, '--port', '0']);
    assert.is(none.code, 1);
    assert.is(none.stderr, `udp-chat: the cluster's Redis at redis://${at} needs a password: give it in the URL, redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@HOST:PORT for an ACL user)\n`);
    const wrong = await run(['serve', '--cluster', `redis://:guess@${at}`, '--port', '0']);
    assert.is(wrong.code, 1);
    assert.is(wrong.stderr, `udp-chat: the cluster's Redis at redis://:***@${at} refused the password: check the URL's :PASSWORD@ part\n`);
    const child = start(['serve', '--cluster', redis.url, '--port', '0', '--node', 'pw']);
    try {
      const line = await new Output(child).next(/cluster: room/, 10_000);
      assert.is(line, `  cluster: room main on redis://:***@${at}, this server is pw; first names end in @pw`);
    } finally {
      await stop(child);
    }
  }, 's3cret-word');
});

test('cluster mistakes on the command line: one line each, exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['--cluster', 'http://127.0.0.1:6379'], '--cluster takes redis://HOST:PORT'],
    [['--cluster', 'redis://127.0.0.1:6379', '--node', 'a b'], '--node takes 1 to 32 of A-Z a-z 0-9 _ . -'],
    [['--room', 'lab/1'], '--room takes 1 to 32 of A-Z a-z 0-9 _ . -'],
    [['--node', 'a'], '--node is for --cluster redis://HOST:PORT'],
  ];
  if (reusePortMissing()) cases.push([['--reuse-port'], '--reuse-port: ']);
  for (const [args, text] of cases) {
    const r = await run(['serve', '--port', '0', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, text);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
