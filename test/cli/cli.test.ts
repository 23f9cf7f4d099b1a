import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCli } from '../../src/cli/cli.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { closedPort, Output, parseError, parsed, run, start, stop } from '../helpers/spawn.js';

const parse = suite('the command line, parsed in-process');

parse('serve takes its defaults from DESIGN.md', async () => {
  const [name, argv] = await parsed(['serve']);
  assert.is(name, 'serve');
  assert.is(argv['host'], '127.0.0.1');
  assert.is(argv['port'], '9000');
  assert.is(argv['peer-timeout'], '60s');
  assert.is(argv['json'], false);
});

parse('send collects its messages and short flags', async () => {
  const [name, argv] = await parsed(['send', '-p', '9001', '-w', '500ms', '-c', '3', 'a b', 'c']);
  assert.is(name, 'send');
  assert.equal(argv['message'], ['a b', 'c']);
  assert.is(argv['port'], '9001');
  assert.is(argv['wait'], '500ms');
  assert.is(argv['count'], '3');
});

parse('an unknown flag is a usage error', async () => {
  let error: unknown;
  try {
    await buildCli(['send', '--bogus']).parseAsync();
  } catch (err) {
    error = err;
  }
  assert.instance(error, Error);
  assert.match(String(error), /Unknown argument/);
});

parse.run();

const bin = suite('the built udp-chat binary');

bin('usage mistakes print one line and exit 2, without a stack trace', async () => {
  for (const args of [['serve', '--port', '70000'], ['serve', '--port', '0x1F90'], ['serve', '--peer-timeout', '10x'], ['serve', '--port', '0', '--peer-timeout', '0'], ['send', '--port', 'abc', 'x'], ['bogus'], []]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.not.match(r.stderr, /\n\s+at /);
  }
});

bin('send to a port where nothing listens says so and exits 1', async () => {
  const port = await closedPort('udp');
  const r = await run(['send', '--port', String(port), 'anyone?']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /nothing is listening on udp 127\.0\.0\.1:\d+/, JSON.stringify(r));
});

bin('send delivers each argument as a datagram and --wait prints the replies', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const listener = await UdpPeer.open();
  try {
    listener.send(server.port, '/nick listener');
    await listener.waitFor(/is now listener/);
    const r = await run(['send', '--port', String(server.port), '--wait', '300ms', 'one', 'two', '/ping x']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\* welcome /m);
    assert.match(r.stdout, /^\/pong x$/m);
    await listener.waitFor(/> one$/);
    await listener.waitFor(/> two$/);
  } finally {
    listener.close();
    await server.close();
  }
});

bin('send reads stdin lines and numbers repeats with --count', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const listener = await UdpPeer.open();
  try {
    listener.send(server.port, '/ping');
    await listener.waitFor('/pong');
    const r = await run(['send', '--port', String(server.port), '--count', '3', '--interval', '5ms'], 'tick\n');
    assert.is(r.code, 0, r.stderr);
    for (const n of [1, 2, 3]) await listener.waitFor(new RegExp(`> tick #${n}$`));
  } finally {
    listener.close();
    await server.close();
  }
});

// SIGHUP is a terminal closed under a running room (an ssh session dropped): Node's default for
// it is to die at once, which would leave the peers talking to nobody until their timeout.
for (const signal of ['SIGINT', 'SIGHUP'] as const) {
  bin(`serve prints a banner with the real port, logs the room, and on ${signal} tells its peers and exits 0`, async () => {
    const child = start(['serve', '--port', '0']);
    const out = new Output(child);
    const peer = await UdpPeer.open();
    try {
      const banner = await out.next(/^udp-chat room on udp 127\.0\.0\.1 port \d+/);
      const port = Number(/port (\d+)/.exec(banner)![1]);
      assert.ok(port > 0);
      peer.send(port, 'rename|zed');
      await out.next(/is now zed/);
      const code = await stop(child, signal);
      assert.is(code, 0);
      await peer.waitFor('* server shutting down');
    } finally {
      peer.close();
      await stop(child, 'SIGKILL');
    }
  });
}

bin('serve --json prints one NDJSON object per event', async () => {
  const child = start(['serve', '--port', '0', '--json']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const first = JSON.parse(await out.next(/"event":"start"/));
    assert.is(first.transport, 'udp');
    peer.send(first.port, 'hi all');
    const join = JSON.parse(await out.next(/"event":"join"/));
    assert.equal(join.peer, { name: peer.address, address: peer.address, transport: 'udp' });
    const message = JSON.parse(await out.next(/"event":"message"/));
    assert.is(message.text, 'hi all');
    child.kill('SIGTERM');
    const stopped = JSON.parse(await out.next(/"event":"stop"/));
    assert.is(stopped.counters.joins, 1);
  } finally {
    peer.close();
    await stop(child, 'SIGKILL');
  }
});

bin('a second server on the same port fails with one line and exit 1', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['serve', '--port', String(server.port)]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.is(r.stderr.trim().split('\n').length, 1);
  } finally {
    await server.close();
  }
});

bin('send --tcp to a port where nothing listens says so on one line and exits 1', async () => {
  const port = await closedPort('tcp');
  const r = await run(['send', '--tcp', '--port', String(port), 'anyone?']);
  assert.is(r.code, 1, JSON.stringify(r));
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /nothing is listening on tcp 127\.0\.0\.1:\d+/);
});

bin('send --tcp --wait prints the welcome of a serve --transport tcp room', async () => {
  const child = start(['serve', '--port', '0', '--transport', 'tcp']);
  const out = new Output(child);
  try {
    const banner = await out.next(/^udp-chat room on tcp 127\.0\.0\.1 port \d+/);
    await out.next(/^ {2}join with: {2}nc 127\.0\.0\.1 \d+ /);
    const port = /port (\d+)/.exec(banner)![1]!;
    const r = await run(['send', '--tcp', '--port', port, '--wait', '300ms', '/ping t']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\* welcome 127\.0\.0\.1:\d+; you are alone here/m);
    assert.match(r.stdout, /^\/pong t$/m);
    // The server saw the connection come and go: a TCP peer leaves at once, not at its timeout.
    await out.next(/left \(disconnected\)/);
    assert.is(await stop(child, 'SIGINT'), 0);
  } finally {
    await stop(child, 'SIGKILL');
  }
});

bin('echo --transport both prints its banners, answers UDP and TCP on one port, and exits 0 on SIGINT with its stats', async () => {
  const child = start(['echo', '--port', '0', '--transport', 'both']);
  const out = new Output(child);
  const udp = dgram.createSocket('udp4');
  let tcp: net.Socket | undefined;
  try {
    const port = Number(/port (\d+)/.exec(await out.next(/^echo on udp 127\.0\.0\.1 port \d+$/))![1]);
    await out.next(new RegExp(`^echo on tcp 127\\.0\\.0\\.1 port ${port}$`));
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const answer = once(udp, 'message', { signal: AbortSignal.timeout(2000) });
    udp.send('ping over udp', port, '127.0.0.1');
    assert.is(String((await answer)[0]), 'ping over udp');
    await out.next(/ udp 127\.0\.0\.1:\d+ 13 bytes$/);
    tcp = net.connect({ host: '127.0.0.1', port });
    await once(tcp, 'connect', { signal: AbortSignal.timeout(2000) });
    const line = once(tcp, 'data', { signal: AbortSignal.timeout(2000) });
    tcp.write('ping over tcp\n');
    assert.is(String((await line)[0]), 'ping over tcp\n');
    await out.next(/ tcp 127\.0\.0\.1:\d+ connected$/);
    assert.is(await stop(child, 'SIGINT'), 0);
    const stats = await out.next(/^stats: /);
    // Each counter on its own: the server may count more things than these.
    for (const counter of ['datagrams=1', 'answered=1', 'refused=0', 'connections=1', 'bytes=27']) assert.match(stats, new RegExp(`\\b${counter}\\b`));
  } finally {
    udp.close();
    tcp?.destroy();
    await stop(child, 'SIGKILL');
  }
});

bin('send --tcp --transport both is a usage error: one line, exit 2', async () => {
  const r = await run(['send', '--tcp', '--transport', 'both', 'x']);
  assert.is(r.code, 2, JSON.stringify(r));
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(r.stderr, /\n\s+at /);
});

bin('send --seq --count 20 against an echo prints the stats line: received 20, lost 0', async () => {
  const server = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['send', '--port', String(server.port), '--seq', '--count', '20', '--interval', '1ms', '--wait', '300ms']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sent 20, received 20, lost 0 \(0%\), duplicates 0, out of order 0, latency p50 [\d.]+ ms p99 [\d.]+ ms$/m);
  } finally {
    await server.close();
  }
});

bin.run();

const wording = suite('one wording and exit code per mistake, from every command');

/** NODE_OPTIONS for a child whose `.invalid` names fail at once, without a DNS query (test/helpers/offline-dns.ts). */
const OFFLINE_DNS = { NODE_OPTIONS: `--import=${new URL('../helpers/offline-dns.js', import.meta.url).href}` };

/** Runs udp-chat with offline name lookups, to the end. */
function runOffline(args: string[]) {
  return collectRun(start(args, OFFLINE_DNS), args, 20_000);
}

/** `work` over every item, three at a time: two cores shared with other suites, and each a node start-up. */
async function inTurns<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 3) out.push(...(await Promise.all(items.slice(i, i + 3).map(work))));
  return out;
}

async function collectRun(child: ReturnType<typeof start>, args: string[], ms = 10_000) {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr, what: `udp-chat ${args.join(' ')}` };
}

wording('an unknown host: exit 2 and `cannot resolve the host NAME` from serve (its --cluster too), echo, proxy, ping, chat and send', async () => {
  const cases = [
    ['serve', '-H', 'nosuch.invalid', '--port', '0'],
    ['serve', '--transport', 'tcp', '-H', 'nosuch.invalid', '--port', '0'],
    ['echo', '-H', 'nosuch.invalid', '--port', '0'],
    ['proxy', '--listen-host', 'nosuch.invalid', '--to', '127.0.0.1:9'],
    ['proxy', '--to', 'nosuch.invalid:9'],
    ['ping', 'nosuch.invalid', '-c', '1'],
    ['ping', '--host', 'nosuch.invalid', '-c', '1'],
    ['chat', '-H', 'nosuch.invalid'],
    ['chat', '--tcp', '-H', 'nosuch.invalid'],
    ['send', '-H', 'nosuch.invalid', 'hello'],
    ['serve', '--cluster', 'redis://nosuch.invalid:6379', '--port', '0'],
  ];
  const results = await inTurns(cases, runOffline);
  for (const r of results) {
    assert.is(r.code, 2, `${r.what}: ${r.stderr}`);
    assert.is(r.stderr, `udp-chat: cannot resolve the host nosuch.invalid (udp-chat ${r.what.split(' ')[1]} --help for usage)\n`, r.what);
    assert.is(r.stdout, '', r.what);
  }
});

wording('a port in use: exit 1, one line naming the transport and the flag to set to 0, from every command that listens', async () => {
  const udp = dgram.createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const tcp = net.createServer();
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const u = String(udp.address().port);
  const t = String((tcp.address() as net.AddressInfo).port);
  try {
    const cases: Array<[string[], string]> = [
      [['serve', '--port', u], `udp port ${u} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --port 0`],
      [['serve', '--transport', 'tcp', '--port', t], `tcp port ${t} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --port 0`],
      [['serve', '--transport', 'both', '--port', t], `tcp port ${t} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --port 0`],
      [['serve', '--port', '0', '--web', t], `web (HTTP) port ${t} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --web 0`],
      [['echo', '--port', u], `udp port ${u} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --port 0`],
      [['echo', '--tcp', '--port', t], `tcp port ${t} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --port 0`],
      [['proxy', '--listen', u, '--to', '127.0.0.1:9'], `udp port ${u} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --listen 0`],
      [['proxy', '--tcp', '--listen', t, '--to', '127.0.0.1:9'], `tcp port ${t} on 127.0.0.1 is in use (EADDRINUSE): stop the other program or pick a free port with --listen 0`],
    ];
    const results = await inTurns(cases, ([args]) => run(args, undefined, 20_000));
    results.forEach((r, i) => {
      const [args, line] = cases[i]!;
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      // One line in all: nothing before it on stdout (the page's server once logged its bind error there too).
      assert.is(r.stderr, `udp-chat: ${line}\n`, args.join(' '));
      assert.is(r.stdout, '', args.join(' '));
    });
  } finally {
    udp.close();
    tcp.close();
  }
});

wording('--peer-timeout 0 and a negative duration are refused with one line and exit 2, wherever the flag is', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '--port', '0', '--peer-timeout', '0'], /^udp-chat: --peer-timeout must be more than 0 \(udp-chat serve --help for usage\)$/],
    [['chat', '--multicast', '239.1.2.3', '--interface', '127.0.0.1', '--name', 'a', '--peer-timeout', '0'], /^udp-chat: --peer-timeout must be more than 0 /],
    [['serve', '--port', '0', '--peer-timeout', '-5s'], /^udp-chat: --peer-timeout must be a positive duration \(500ms, 10s, 5m\), not '-5s' /],
    [['chat', '--multicast', '239.1.2.3', '--name', 'a', '--peer-timeout', '-5s'], /^udp-chat: --peer-timeout must be a positive duration/],
    [['chat', '--connect-timeout', '0', '-p', '9'], /^udp-chat: --connect-timeout must be more than 0 /],
    [['send', '--connect-timeout', '-1s', 'x'], /^udp-chat: --connect-timeout must be a positive duration/],
    [['send', '--wait', '-500ms', 'x'], /^udp-chat: --wait must be a positive duration/],
    [['ping', '-W', '-5s'], /^udp-chat: --timeout must be a positive duration/],
    [['ping', '--interval', '0'], /^udp-chat: --interval must be more than 0 /],
    [['echo', '--port', '0', '--delay', '-5s'], /^udp-chat: --delay must be a positive duration/],
    [['proxy', '--to', '127.0.0.1:9', '--rto', '-5s'], /^udp-chat: --rto must be a positive duration/],
    [['ticket', 'alice', '--secret', 'x'.repeat(32), '--ttl', '-5s'], /^udp-chat: --ttl must be a positive duration/],
  ];
  const results = await inTurns(cases, ([args]) => run(args, undefined, 20_000));
  results.forEach((r, i) => {
    const [args, line] = cases[i]!;
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), line, args.join(' '));
  });
});

wording('echo --rate and proxy --rate still work, under their new names, with one line saying so', async () => {
  const echoed = await parseError(['echo', '--port', '0', '--rate', 'x']);
  assert.match(String(echoed), /--answer-rate takes a whole number/);
  const [, argv] = await parsed(['proxy', '--to', '127.0.0.1:9', '--bandwidth', '64k']);
  assert.is(argv['bandwidth'], '64k');
  // Spawned: the deprecation line, then the run goes on under the new name (here to its usage error).
  const r = await run(['proxy', '--to', '127.0.0.1:9', '--rate', '64k', '--tcp', '--queue', '3'], undefined, 20_000);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.split('\n')[0], 'udp-chat: --rate is now --bandwidth (bytes a second the link carries); the old name goes in the next release');
  assert.match(r.stderr.split('\n')[1]!, /^udp-chat: --queue counts datagrams/);
  const both = await run(['echo', '--port', '0', '--rate', '5', '--answer-rate', '5'], undefined, 20_000);
  assert.is(both.code, 2, both.stderr);
  assert.match(both.stderr, /^udp-chat: --rate is the old name of --answer-rate: give --answer-rate only /);
  // serve keeps --rate: messages a second per peer.
  const [, served] = await parsed(['serve', '--rate', '10']);
  assert.is(served['rate'], '10');
});

wording('the netcat habit: chat HOST PORT (and HOST:PORT) joins; send HOST PORT MESSAGE gets a one-line hint', async () => {
  const [, spaced] = await parsed(['chat', '127.0.0.1', '9001']);
  assert.is(spaced['host'], '127.0.0.1');
  assert.is(spaced['port'], '9001');
  const [, joined] = await parsed(['chat', '[::1]:9002']);
  assert.is(joined['host'], '::1');
  assert.is(joined['port'], '9002');
  const room = start(['serve', '--port', '0']);
  const out = new Output(room);
  const listener = await UdpPeer.open();
  const chat = { child: undefined as ReturnType<typeof start> | undefined };
  try {
    const port = /port (\d+)/.exec(await out.next(/^udp-chat room on udp /, 15_000))![1]!;
    listener.send(Number(port), '/nick listener');
    await listener.waitFor(/is now listener/);
    chat.child = start(['chat', '127.0.0.1', port, '--name', 'carol']);
    await new Output(chat.child).next(/welcome|you are|carol/, 15_000);
    chat.child.stdin.write('hello from nc habits\n');
    await listener.waitFor(/<carol> hello from nc habits$/, 10_000);
  } finally {
    listener.close();
    if (chat.child) await stop(chat.child, 'SIGKILL');
    await stop(room, 'SIGKILL');
  }
  const hint = await run(['send', '127.0.0.1', '9000', 'hi'], undefined, 20_000);
  assert.is(hint.code, 2, hint.stderr);
  assert.is(hint.stderr, 'udp-chat: send takes the server as flags: udp-chat send -H 127.0.0.1 -p 9000 MESSAGE (to send these words as messages: udp-chat send -- 127.0.0.1 9000) (udp-chat send --help for usage)\n');
});

wording.run();
