/**
 * `udp-chat chat --multicast` end to end: the built binary, three members and a follower as a
 * class would run them, on 127.0.0.1 with TTL 0 (nothing leaves this machine), a group per test.
 */
import dgram from 'node:dgram';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../src/servers/chat-server.js';
import { GroupListener, testGroup } from '../helpers/group-listener.js';
import { Output, run, start, stop } from '../helpers/spawn.js';

const test = suite('udp-chat chat --multicast (the binary)');

type Child = ReturnType<typeof start>;

function member(group: string, port: number, name: string, extra: string[] = []): { child: Child; out: Output } {
  const child = start(['chat', '--multicast', group, '-p', String(port), '--interface', '127.0.0.1', '--ttl', '0', '--name', name, ...extra]);
  return { child, out: new Output(child) };
}

/** The exit code of a child that ends by itself, within `ms`. */
function exited(child: Child, ms = 3000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('three members: join, chat, /who, /msg to one, a killed member times out', async () => {
  const { group, port } = await testGroup();
  const children: Child[] = [];
  try {
    const timeout = ['--peer-timeout', '900ms'];
    const alice = member(group, port, 'alice', timeout);
    children.push(alice.child);
    await alice.out.next(/^in group .* as alice, sending from 127\.0\.0\.1:\d+/);
    const bob = member(group, port, 'bob', timeout);
    children.push(bob.child);
    await bob.out.next(/^in group/);
    await alice.out.next(/^\* bob joined$/);
    await bob.out.next(/^\* alice is here$/);
    const carol = member(group, port, 'carol', timeout);
    children.push(carol.child);
    await carol.out.next(/^in group/);
    await alice.out.next(/^\* carol joined$/);
    await bob.out.next(/^\* carol joined$/);
    // The others answer the newcomer with a heartbeat: carol learns who was here.
    const answers = [await carol.out.next(/^\* (alice|bob) is here$/), await carol.out.next(/^\* (alice|bob) is here$/)];
    assert.equal(answers.sort(), ['* alice is here', '* bob is here']);

    alice.child.stdin.write('hi all\n');
    await bob.out.next(/^<alice> hi all$/);
    await carol.out.next(/^<alice> hi all$/);

    carol.child.stdin.write('/who\n');
    await carol.out.next(/^\* 3 peers here:$/);
    const rows = [await carol.out.next(/^\*   /), await carol.out.next(/^\*   /), await carol.out.next(/^\*   /)];
    assert.match(rows[0]!, /^\*   carol multicast 127\.0\.0\.1:\d+ idle 0s \(you\)$/);
    assert.ok(rows.some((r) => /^\*   alice multicast 127\.0\.0\.1:\d+ idle \d+m?s$/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /^\*   bob multicast 127\.0\.0\.1:\d+ idle \d+m?s$/.test(r)), rows.join('\n'));

    alice.child.stdin.write('/msg bob only for you\n');
    await bob.out.next(/^\[private\] <alice> only for you$/);
    alice.child.stdin.write('after the private one\n');
    await carol.out.next(/^<alice> after the private one$/);
    assert.not.match(carol.out.text, /only for you/);

    // carol's process dies without a word: the others say so when her peer timeout passes.
    carol.child.kill('SIGKILL');
    await alice.out.next(/^\* carol left \(timeout\)$/, 4000);
    await bob.out.next(/^\* carol left \(timeout\)$/, 4000);

    bob.child.stdin.write('/quit\n');
    await alice.out.next(/^\* bob left \(quit\)$/);
    assert.is(await exited(bob.child), 0, '/quit ends the process with 0');
  } finally {
    for (const c of children) await stop(c).catch(() => c.kill('SIGKILL'));
  }
});

test('--listen-only hears a member and a served room, and not the heartbeats', async () => {
  const { group, port } = await testGroup();
  const server = await startChatServer({ port: 0, multicast: { group, port, interface: '127.0.0.1', ttl: 0 } });
  const peer = dgram.createSocket('udp4');
  const listener = await GroupListener.open(group, port);
  const children: Child[] = [];
  try {
    const follower = start(['chat', '--multicast', group, '-p', String(port), '--interface', '127.0.0.1', '--listen-only']);
    children.push(follower);
    const heard = new Output(follower);
    await heard.next(/^listening to group /);
    const alice = member(group, port, 'alice', ['--peer-timeout', '300ms']);
    children.push(alice.child);
    await heard.next(/^\* alice joined$/);
    alice.child.stdin.write('from a member\n');
    await heard.next(/^<alice> from a member$/);
    peer.send('/nick zed', server.port, '127.0.0.1');
    peer.send('from the served room', server.port, '127.0.0.1');
    await heard.next(/^<zed> from the served room$/);
    // alice's heartbeats (every 100 ms) reach a plain listener; then one more line: none of them was shown.
    await listener.waitFor('* alice is here');
    alice.child.stdin.write('last\n');
    await heard.next(/^<alice> last$/);
    assert.not.match(heard.text, /is here/);
  } finally {
    peer.close();
    listener.close();
    for (const c of children) await stop(c).catch(() => c.kill('SIGKILL'));
    await server.close();
  }
});

test('usage mistakes with --multicast: one line, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['chat', '--multicast', '239.255.1.1'], /needs --name/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--host', '10.0.0.1'], /--host is for a served room/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--tcp'], /--tcp is for a served room/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--password', 'x'], /--password is for a served room/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--menu'], /--menu is for a served room/],
    [['chat', '--listen-only'], /--listen-only goes with --multicast/],
    [['chat', '--peer-timeout', '5s'], /--peer-timeout goes with --multicast/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--peer-timeout', '0'], /more than 0/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--peer-timeout', '-1s'], /positive duration/],
    [['chat', '--multicast', '10.1.2.3', '--name', 'a'], /not a multicast address/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'root'], /--name: 'root' is reserved/],
    [['chat', '--multicast', '239.255.1.1', '--name', 'a', '--ttl', '300'], /--ttl takes a whole number/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});

test('an interface the system cannot use: the one line of groupError, exit 1', async () => {
  // 192.0.2.0/24 is TEST-NET-1, documentation only: no interface of this machine has 192.0.2.254.
  const { group, port } = await testGroup();
  const r = await run(['chat', '--multicast', group, '-p', String(port), '--interface', '192.0.2.254', '--ttl', '0', '--name', 'a']);
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^udp-chat: cannot listen to group [\d.]+:\d+: the system cannot use that interface/);
});

test('--help describes each new flag', async () => {
  const r = await run(['chat', '--help']);
  for (const flag of ['--multicast', '--listen-only', '--peer-timeout', '--interface', '--ttl']) assert.ok(r.stdout.includes(flag), flag);
});

test.run();
