/**
 * demo multicast: the same lines to N receivers, three ways, on real sockets (the group on
 * 127.0.0.1 with TTL 0). The room sends N datagrams a line, the group one, TCP N writes; every
 * receiver gets every line each way. The picture draws one arrow per send but for the group's one.
 */
import { execSync, fork } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { demoSvg } from '../../src/demos/draw/index.js';
import { MAX_MESSAGES, multicastDemo, Receivers, type MulticastRun } from '../../src/demos/multicast.js';
import { testGroup } from '../helpers/group-listener.js';
import { contractProblems, groups, parseXml } from '../helpers/svg.js';

const test = suite('demo multicast');

test('3 receivers: unicast sends 3 a line, the group 1, TCP 3; all delivered; drawn as measured', async () => {
  const result = await multicastDemo({ receivers: 3 });
  const runs = result.data['runs'] as MulticastRun[];
  assert.equal(runs.map((r) => [r.mode, r.sendsPerMessage]), [['unicast', 3], ['multicast', 1], ['tcp', 3]]);
  for (const r of runs) {
    assert.is(r.delivered, r.receivers * r.messages, `${r.mode}: every receiver got every line`);
    assert.ok(r.cpuPerDeliveryUs > 0, `${r.mode}: CPU measured (${r.cpuPerDeliveryUs})`);
  }
  assert.equal(result.rows.map((row) => row[1]), [3, 1, 3]);
  const svg = demoSvg(result);
  assert.equal(contractProblems(svg), []);
  const doc = parseXml(svg);
  const sends = (mode: string) => groups(doc, 'mark', 'send').filter((el) => el.getAttribute('data-mode') === mode).length;
  assert.equal([sends('unicast'), sends('multicast'), sends('tcp')], [3, 1, 3]);
});

test('receivers killed by a signal: the demo fails with its line and ends, never pending for ever', async () => {
  const ran = multicastDemo({ receivers: 2, count: MAX_MESSAGES }).then(
    () => 'resolved',
    (err: Error) => err.message,
  );
  let killed = false;
  for (let i = 0; i < 100 && !killed; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pids = execSync(`pgrep -P ${process.pid} -f 'multicast-receivers[.]js' || true`).toString().trim();
    if (pids) killed = process.kill(Number(pids.split('\n')[0]), 'SIGKILL');
  }
  assert.ok(killed, 'the receivers child was found');
  const timer = new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 20 s'), 20_000).unref());
  assert.match(await Promise.race([ran, timer]), /demo multicast|receivers/);
});

test('a count past MAX_MESSAGES is refused before anything opens (every line is handed to the socket at once)', async () => {
  for (const count of [MAX_MESSAGES + 1, 2_000_000, 0]) {
    try {
      await multicastDemo({ receivers: 1, count });
      assert.unreachable(`${count} accepted`);
    } catch (err) {
      assert.match((err as Error).message, /--count takes a whole number from 1 to 10000/);
    }
  }
});

test('the receivers exit when the demo is gone (killed without a stop), not an orphan holding sockets', async () => {
  const child = fork(fileURLToPath(new URL('../../src/demos/multicast-receivers.js', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = once(child, 'message');
  child.send({ open: 'group', group: '239.255.91.7', port: 0, n: 2 });
  assert.equal((await ready)[0], { ready: 2 });
  const exited = once(child, 'exit').then(() => 'exited');
  child.disconnect();
  const timer = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 3000).unref());
  const how = await Promise.race([exited, timer]);
  if (how !== 'exited') child.kill();
  assert.is(how, 'exited');
});

test('a bad number of receivers is refused before anything opens', async () => {
  for (const n of [0, 201, 2.5]) {
    try {
      await multicastDemo({ receivers: n });
      assert.unreachable(`${n} accepted`);
    } catch (err) {
      assert.match((err as Error).message, /--receivers takes a whole number from 1 to 200/);
    }
  }
});

test('lines that never come (lost in a full buffer) are reported as counted, once the counts stop growing', async () => {
  const { group, port } = await testGroup();
  const receivers = new Receivers();
  const sender = dgram.createSocket('udp4');
  try {
    receivers.order({ open: 'group', group, port, n: 2 });
    assert.ok(await receivers.next(), 'the child opened its receivers');
    await receivers.expect(5);
    sender.bind(0, '127.0.0.1');
    await once(sender, 'listening');
    sender.setMulticastInterface('127.0.0.1');
    sender.setMulticastTTL(0);
    // Three of the five expected: the last two are "lost".
    for (let i = 1; i <= 3; i++) sender.send(`<s> mc-demo ${i}`, port, group);
    assert.equal(await receivers.settled(), [3, 3]);
  } finally {
    sender.close();
    await receivers.close();
  }
});

test.run();
