import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCli } from '../../src/cli/cli.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { Output, run, start, stop } from '../helpers/spawn.js';

const parse = suite('the command line, parsed in-process');

async function parsed(argv: string[]): Promise<[string, Record<string, unknown>]> {
  let seen: [string, Record<string, unknown>] | undefined;
  await buildCli(argv, async (name, args) => {
    seen = [name, args];
  }).parseAsync();
  if (!seen) throw new Error('no command ran');
  return seen;
}

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
  for (const args of [['serve', '--port', '70000'], ['serve', '--port', '0x1F90'], ['serve', '--peer-timeout', '10x'], ['send', '--port', 'abc', 'x'], ['bogus'], []]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.not.match(r.stderr, /\n\s+at /);
  }
});

bin('send to a port where nothing listens says so and exits 1', async () => {
  // Bind then free a port, so nothing is listening on it.
  const probe = dgram.createSocket('udp4');
  probe.bind(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = probe.address().port;
  probe.close();
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

bin('serve prints a banner with the real port, logs the room, and exits 0 on SIGINT', async () => {
  const child = start(['serve', '--port', '0']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const banner = await out.next(/^udp-chat room on udp 127\.0\.0\.1 port \d+/);
    const port = Number(/port (\d+)/.exec(banner)![1]);
    assert.ok(port > 0);
    peer.send(port, 'rename|zed');
    await out.next(/is now zed/);
    const code = await stop(child, 'SIGINT');
    assert.is(code, 0);
    await peer.waitFor('* server shutting down');
  } finally {
    peer.close();
    await stop(child, 'SIGKILL');
  }
});

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

bin.run();
