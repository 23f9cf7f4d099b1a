/**
 * `send --multicast`, `send --broadcast` and `serve --multicast` through the built binary: groups
 * on 127.0.0.1 with TTL 0, broadcasts to lo's 127.255.255.255; nothing leaves this machine.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openGroupReceiver, openSender } from '../../src/transports/multicast/group.js';
import { GroupListener, testGroup } from '../helpers/group-listener.js';
import { multicastBanner } from '../../src/cli/output.js';
import { lastJson, untimed } from '../helpers/json-lines.js';
import { selfCommand } from '../../src/cli/invocation.js';
import { BIN, Output, parsed, run, start, stop } from '../helpers/spawn.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';

const test = suite('udp-chat send/serve --multicast, send --broadcast');

test('--help says what --interface does and defaults to in each command (serve keeps a loopback room\'s group on loopback)', async () => {
  const flat = async (cmd: string) => (await run([cmd, '--help'])).stdout.replace(/\s+/g, ' ');
  assert.match(await flat('serve'), /the interface to send the group on, .*default: 127\.0\.0\.1 \(lo for an IPv6 group\) for a room on loopback/);
  assert.match(await flat('send'), /the interface to send on, .*default: the system's choice/);
  assert.match(await flat('chat'), /the interface to join and send on, .*default: the system's choice/);
});

test('messages after -- are sent, not dropped for stdin (send --broadcast -- MSG, as its error line says)', async () => {
  const { group, port } = await testGroup();
  const listener = await GroupListener.open(group, port);
  try {
    const r = await run(['send', '--multicast', group, '-p', String(port), '--interface', '127.0.0.1', '--ttl', '0', '--json', '--', '-1 below zero'], '');
    assert.is(r.code, 0, r.stderr);
    assert.is(lastJson<{ sent: number }>(r.stdout).sent, 1);
    await listener.waitFor('-1 below zero');
  } finally {
    listener.close();
  }
});

test('send --multicast reaches two receivers with one datagram; --json says so and where', async () => {
  const { group, port } = await testGroup();
  const listeners = [await GroupListener.open(group, port), await GroupListener.open(group, port)];
  try {
    const r = await run(['send', '--multicast', group, '-p', String(port), '--interface', '127.0.0.1', '--ttl', '0', '--json', 'hello group']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(untimed(lastJson(r.stdout)), { event: 'stop', sent: 1, replies: [], to: `${group}:${port}` });
    for (const l of listeners) await l.waitFor('hello group');
    assert.equal(listeners.map((l) => l.datagrams), [1, 1]);
  } finally {
    for (const l of listeners) l.close();
  }
});

test('send --multicast reads stdin lines and prints each reply with who sent it', async () => {
  const { group, port } = await testGroup();
  const listener = await GroupListener.open(group, port);
  listener.socket.on('message', (msg, rinfo) => listener.socket.send(`got ${String(msg)}`, rinfo.port, rinfo.address));
  try {
    const r = await run(['send', '--multicast', group, '-p', String(port), '--interface', '127.0.0.1', '--ttl', '0', '--wait', '300ms'], 'one\ntwo\n');
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n'), [`127.0.0.1:${port}: got one`, `127.0.0.1:${port}: got two`]);
  } finally {
    listener.close();
  }
});

test('send --broadcast 127.255.255.255 reaches a socket bound to 0.0.0.0 on the port', async () => {
  const { port } = await testGroup();
  const receiver = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  try {
    receiver.bind(port, '0.0.0.0');
    await once(receiver, 'listening', { signal: AbortSignal.timeout(1000) });
    const got = once(receiver, 'message', { signal: AbortSignal.timeout(5000) });
    const r = await run(['send', '--broadcast', '127.255.255.255', '-p', String(port), 'hello subnet']);
    assert.is(r.code, 0, r.stderr);
    const [msg] = (await got) as [Buffer];
    assert.is(String(msg), 'hello subnet');
  } finally {
    receiver.close();
  }
});

test('mistakes with --multicast and --broadcast are one line and exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--multicast', '10.0.0.1'], /not a multicast address/],
    [['--multicast', '239.1.2.3', '--host', '10.0.0.1'], /drop --host/],
    [['--multicast', '239.1.2.3', '--tcp'], /UDP only/],
    [['--multicast', '239.1.2.3', '--transport', 'ws'], /UDP only/],
    [['--multicast', '239.1.2.3', '--broadcast'], /give one/],
    [['--broadcast', '239.1.2.3'], /use --multicast 239\.1\.2\.3/],
    [['--broadcast', '::1'], /IPv6 has no broadcast.*ff02::1/],
    [['--broadcast', 'hello'], /not an IPv4 address/],
    [['--multicast', '239.1.2.3', '--ttl', '256'], /--ttl/],
    [['--multicast', '239.1.2.3', '--interface', 'eth0'], /--interface/],
    [['--interface', '127.0.0.1'], /--interface is for --multicast or --broadcast/],
  ];
  for (const [args, message] of cases) {
    const r = await run(['send', ...args, 'x']);
    const what = args.join(' ');
    assert.is(r.code, 2, `${what}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line for ${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.not.match(r.stderr, /\n\s+at /);
  }
});

test('IPv6: send --multicast ff02::1:N --interface lo, or the one-line no-route error where lo has no multicast', async () => {
  const { port } = await testGroup();
  const group = `ff02::1:${(port % 0xffff).toString(16)}`;
  // Probe with the same sockets the command uses: join on lo, send on lo, hop limit 0.
  let reason: string | undefined;
  let receiver: dgram.Socket | undefined;
  try {
    receiver = await openGroupReceiver({ group, port, interface: 'lo' });
    const sender = await openSender({ type: 'udp6', interface: 'lo', ttl: 0 });
    try {
      const got = once(receiver, 'message', { signal: AbortSignal.timeout(1000) });
      got.catch(() => {}); // awaited below unless the send fails first
      await new Promise<void>((resolve, reject) => sender.send('probe', port, group, (err) => (err ? reject(err) : resolve())));
      await got;
    } finally {
      sender.close();
    }
  } catch (err) {
    reason = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim();
  }
  try {
    const r = await run(['send', '--multicast', group, '-p', String(port), '--interface', 'lo', '--ttl', '0', 'hello v6']);
    if (reason === undefined) {
      assert.is(r.code, 0, r.stderr);
      await eventually(() => receiver!.listenerCount('message') > 0, 100, 'a receiver');
      return;
    }
    console.log(`skipped: IPv6 multicast on lo does not work here (${reason}); checked the CLI's error instead`);
    assert.is(r.code, 1, r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /ENETUNREACH/);
    assert.match(r.stderr, /--interface/);
    assert.not.match(r.stderr, /\n\s+at /);
  } finally {
    receiver?.close();
  }
});

/** Starts `serve --multicast` on a free port, pinned to loopback with TTL 0; returns its output and ports. */
async function serveMulticast(group: string, port: number, extra: string[] = []) {
  const child = start(['serve', '--port', '0', '--multicast', group, '--multicast-port', String(port), '--interface', '127.0.0.1', '--ttl', '0', ...extra]);
  return { child, out: new Output(child) };
}

test('serve --multicast prints where the group is and how to follow it; a listener hears the room', async () => {
  const { group, port } = await testGroup();
  const { child, out } = await serveMulticast(group, port);
  const listener = await GroupListener.open(group, port);
  const peer = await UdpPeer.open();
  try {
    const roomPort = Number(/port (\d+)/.exec(await out.next(/^udp-chat room on udp/))![1]);
    const line = await out.next(/^ {2}multicast:/);
    assert.is(line, `  multicast: every line also goes to ${group}:${port} (ttl 0, interface 127.0.0.1); follow with: ${selfCommand(process.env, BIN)} chat --multicast ${group} -p ${port} --listen-only --interface 127.0.0.1`);
    peer.send(roomPort, '/nick alice');
    await peer.waitFor(/is now alice/);
    peer.send(roomPort, 'hi everyone');
    await listener.waitFor('<alice> hi everyone');
    assert.is(await stop(child, 'SIGINT'), 0);
  } finally {
    listener.close();
    peer.close();
    await stop(child, 'SIGKILL');
  }
});

/**
 * One run of a room with `listeners` group listeners and `peers` UDP peers: each peer says one
 * line. Returns the counters of a --json stats event taken after every listener heard the last.
 */
async function countedRun(listeners: number, peers: number) {
  const { group, port } = await testGroup();
  const { child, out } = await serveMulticast(group, port, ['--json', '--stats', '100ms']);
  const ls: GroupListener[] = [];
  const ps: UdpPeer[] = [];
  try {
    const udp = JSON.parse(await out.next(/"event":"start".*"transport":"udp"/));
    const start = JSON.parse(await out.next(/"event":"start".*"transport":"multicast"/));
    assert.equal({ host: start.host, port: start.port }, { host: group, port });
    for (let i = 0; i < listeners; i++) ls.push(await GroupListener.open(group, port));
    for (let i = 0; i < peers; i++) ps.push(await UdpPeer.open());
    for (const [i, p] of ps.entries()) {
      p.send(udp.port, `/nick p${i}`);
      await p.waitFor(`* ${p.address} is now p${i}`);
    }
    for (const [i, p] of ps.entries()) p.send(udp.port, `line ${i}`);
    const last = `<p${peers - 1}> line ${peers - 1}`;
    for (const l of ls) await l.waitFor(last);
    // A sender is not sent its own line back (no --echo-self): the others hear it.
    for (const p of ps.slice(0, -1)) await p.waitFor(last);
    // The counters every 100 ms: skip those printed before every line was heard (on a loaded
    // machine the joins take longer than 100 ms, and the first one read held 2 of the 9 sends).
    const heard = Date.now();
    let stats: { time: string; counters: { traffic: { udp: { messagesOut: number }; multicast: { messagesOut: number } } } };
    do stats = JSON.parse(await out.next(/"event":"stats"/));
    while (Date.parse(stats.time) <= heard);
    const counters = stats.counters;
    // Every listener holds every datagram the group was sent, each once.
    for (const l of ls) assert.is(l.datagrams, counters.traffic.multicast.messagesOut);
    return counters.traffic as { udp: { messagesOut: number }; multicast: { messagesOut: number } };
  } finally {
    for (const l of ls) l.close();
    for (const p of ps) p.close();
    await stop(child, 'SIGKILL');
  }
}

test('serve --multicast --json: the group is sent one datagram per line whatever the number of listeners', async () => {
  const peers = 3;
  const one = await countedRun(1, peers);
  const five = await countedRun(5, peers);
  // The same room's lines: as many group datagrams with five listeners as with one.
  assert.is(five.multicast.messagesOut, one.multicast.messagesOut);
  // Each peer's join, rename and line: one group datagram each (3 a peer).
  assert.is(one.multicast.messagesOut, 3 * peers, JSON.stringify(one));
  // The unicast room sends each chat line to every other peer (N - 1 datagrams a line, not 1),
  // besides welcomes and notices: more than the group for the same lines.
  assert.ok(one.udp.messagesOut >= peers * (peers - 1), JSON.stringify(one));
  assert.ok(one.udp.messagesOut > one.multicast.messagesOut, JSON.stringify(one));
});

test('serve --multicast refuses --password, and a group it has no route to, in one line', async () => {
  const pw = await run(['serve', '--port', '0', '--multicast', '239.255.1.1', '--interface', '127.0.0.1', '--password', 'pw']);
  assert.is(pw.code, 2, pw.stderr);
  assert.match(pw.stderr, /--multicast.*--password/);
  const bad = await run(['serve', '--port', '0', '--multicast', '239.255.1.1', '--interface', '10.255.255.254']);
  assert.is(bad.code, 1, bad.stderr);
  assert.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /interface/);
  const group = await run(['serve', '--port', '0', '--multicast', '10.1.1.1']);
  assert.is(group.code, 2, group.stderr);
  assert.match(group.stderr, /not a multicast address/);
});

test('the banner names the interface, or the system\'s choice, and the follow command joins where the room sends', () => {
  assert.is(
    multicastBanner({ group: '239.1.2.3', port: 9000, ttl: 1, interface: undefined }),
    "  multicast: every line also goes to 239.1.2.3:9000 (ttl 1, interface the system's choice); follow with: udp-chat chat --multicast 239.1.2.3 -p 9000 --listen-only",
  );
  assert.is(
    multicastBanner({ group: 'ff15::1', port: 9000, ttl: 1, interface: '::%lo' }),
    '  multicast: every line also goes to [ff15::1]:9000 (ttl 1, interface lo); follow with: udp-chat chat --multicast ff15::1 -p 9000 --listen-only --interface lo',
  );
});

test('send and serve parse the group flags; send keeps no --host of its own so --multicast can tell one was typed', async () => {
  const [, send] = await parsed(['send', '--multicast', '239.1.2.3', '--ttl', '0', '--interface', '127.0.0.1', 'x']);
  assert.equal([send['multicast'], send['ttl'], send['interface'], send['host']], ['239.1.2.3', '0', '127.0.0.1', undefined]);
  const [, broadcast] = await parsed(['send', '--broadcast', '-p', '9002', 'x']);
  assert.equal([broadcast['broadcast'], broadcast['ttl']], ['', '1']);
  const [, serve] = await parsed(['serve', '--multicast', '239.1.2.3', '--multicast-port', '9001']);
  assert.equal([serve['multicast'], serve['multicast-port'], serve['ttl']], ['239.1.2.3', '9001', '1']);
});

test.run();
