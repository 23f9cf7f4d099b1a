/**
 * docs/json.md is the contract of every --json stream: each command runs here as a user would,
 * and every line it prints is checked against the page's tables (every field documented, every
 * field without `?` present, each of its type; time and event first).
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonLines } from '../helpers/json-lines.js';
import { checkLine, readSchema } from '../helpers/json-schema.js';
import { withRedis } from '../helpers/redis.js';
import { Output, run, start, stop } from '../helpers/spawn.js';
import { UdpPeer } from '../helpers/udp-peer.js';

const schema = readSchema(fileURLToPath(new URL('../../../docs/json.md', import.meta.url)));

/** Fails with every line that does not match the page, and returns the events in order. */
function conforms(command: string, stdout: string): string[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  const errors = lines.flatMap((line) => checkLine(schema, command, line));
  assert.equal(errors, [], `${command} --json against docs/json.md:\n${errors.join('\n')}`);
  return jsonLines(stdout).map((l) => String(l['event']));
}

const test = suite('every --json stream matches docs/json.md');

test('the page reads as a schema: a section for each command, start/stop where a run has them', () => {
  assert.equal([...schema.commands.keys()], ['serve', 'echo', 'proxy', 'send', 'ping', 'demo']);
  for (const c of ['serve', 'echo', 'proxy', 'send', 'ping']) assert.ok(schema.commands.get(c)!.has('start') && schema.commands.get(c)!.has('stop'), c);
  assert.equal(schema.common.map((r) => r.path), ['time', 'event']);
  // A line with a field the page does not list is caught: the check can fail.
  assert.ok(checkLine(schema, 'echo', '{"time":"2025-01-01T00:00:00.000Z","event":"connection","peer":{"address":"1.2.3.4:5","transport":"tcp"},"from":"1.2.3.4"}').length > 0);
  assert.ok(checkLine(schema, 'serve', '{"time":"2025-01-01T00:00:00.000Z","event":"stats","counters":{}}').length > 0, 'missing counters caught');
});

test('serve: start per socket, join, rename, message (private too), error, refused, leave, stats, stop', async () => {
  const child = start(['serve', '--port', '0', '--transport', 'both', '--json', '--stats', '200ms', '--deny', '127.0.0.9', '--max-peers', '2']);
  const out = new Output(child);
  const peers: UdpPeer[] = [];
  let tcp: net.Socket | undefined;
  try {
    const port = Number(JSON.parse(await out.next(/"event":"start".*"transport":"udp"/))['port']);
    await out.next(/"event":"start".*"transport":"tcp"/);
    const alice = await UdpPeer.open();
    peers.push(alice);
    alice.send(port, '/nick alice');
    await out.next(/"event":"rename"/);
    tcp = net.connect(port, '127.0.0.1');
    tcp.on('error', () => {});
    tcp.write('/nick bob\n');
    await out.next(/"event":"rename".*bob/);
    tcp.write('/msg alice psst\nhello all\n/bogus\n');
    await out.next(/"event":"message".*hello all/);
    await out.next(/"event":"error"/);
    const denied = await UdpPeer.open('127.0.0.9');
    const third = await UdpPeer.open('127.0.0.3');
    peers.push(denied, third);
    denied.send(port, 'let me in');
    third.send(port, 'me too');
    await out.next(/"event":"refused".*"denied"/);
    await out.next(/"event":"refused".*"roomFull"/);
    alice.send(port, '/quit');
    await out.next(/"event":"leave"/);
    await out.next(/"event":"stats"/);
    assert.is(await stop(child, 'SIGINT'), 0);
    const events = conforms('serve', out.text);
    assert.equal(events.slice(0, 2), ['start', 'start']);
    assert.is(events.at(-1), 'stop');
    for (const e of ['join', 'rename', 'message', 'error', 'refused', 'leave', 'stats']) assert.ok(events.includes(e), e);
    assert.ok(out.text.includes('"toName":"alice"'), 'the private message says whom to');
    assert.not.ok(out.text.includes('"memory"'), 'no test-only transport in the counters');
  } finally {
    tcp?.destroy();
    for (const p of peers) p.close();
    await stop(child, 'SIGKILL');
  }
});

test('serve --cluster: a second server joins and is killed, Redis restarts: cluster events and counters.cluster', async () => {
  await withRedis(async (redis) => {
    const a = start(['serve', '--cluster', redis.url, '--room', 'lab', '--node', 'a', '--port', '0', '--json']);
    const out = new Output(a);
    let b: ReturnType<typeof start> | undefined;
    const peers: UdpPeer[] = [];
    try {
      await out.next(/"event":"start"/, 10_000);
      b = start(['serve', '--cluster', redis.url, '--room', 'lab', '--node', 'b', '--port', '0', '--json']);
      const bPort = Number(JSON.parse(await new Output(b).next(/"event":"start"/, 10_000))['port']);
      // A peer on b, so a has someone to see leave when b goes without a word (SIGKILL: no goodbye on the bus).
      const dave = await UdpPeer.open();
      peers.push(dave);
      dave.send(bPort, '/nick dave');
      await dave.waitFor(/ is now dave$/, 5000);
      await stop(b, 'SIGKILL');
      // Dead 5 s after its last beat (1 s apart), noticed at a's next beat.
      await out.next(/"event":"cluster".*"what":"gone"/, 10_000);
      await redis.restart();
      await out.next(/"event":"cluster".*"what":"lost"/, 5000);
      await out.next(/"event":"cluster".*"what":"back"/, 10_000);
      assert.is(await stop(a, 'SIGINT'), 0);
      const events = conforms('serve', out.text);
      assert.is(events.at(-1), 'stop');
      assert.ok(out.text.includes('"node":"b"'), 'the gone server is named');
      const counters = (JSON.parse(out.text.split('\n').at(-1)!) as { counters: { cluster?: Record<string, unknown> } }).counters;
      assert.is(counters.cluster?.['node'], 'a');
      assert.is(counters.cluster?.['linkLost'], 1);
    } finally {
      for (const p of peers) p.close();
      if (b && b.exitCode === null && b.signalCode === null) await stop(b, 'SIGKILL');
      if (a.exitCode === null && a.signalCode === null) await stop(a, 'SIGKILL');
    }
  });
});

test('echo, proxy, send, ping: each its start, its events and its stop', async () => {
  const echo = start(['echo', '--port', '0', '--transport', 'both', '--json', '--delay', '1ms', '--seed', '3']);
  const echoOut = new Output(echo);
  let ps: ReturnType<typeof start> | undefined;
  try {
    const port = Number(JSON.parse(await echoOut.next(/"event":"start".*"transport":"udp"/))['port']);
    ps = start(['proxy', '--to', `127.0.0.1:${port}`, '--json']);
    const proxyOut = new Output(ps);
    const proxyPort = Number(JSON.parse(await proxyOut.next(/"event":"start"/))['port']);
    const send = await run(['send', '--port', String(proxyPort), '--seq', '--count', '20', '--interval', '10ms', '--report', '50ms', '--wait', '300ms', '--json']);
    assert.is(send.code, 0, send.stderr);
    const sent = conforms('send', send.stdout);
    assert.is(sent[0], 'start');
    assert.ok(sent.includes('interval'), sent.join(' '));
    assert.is(sent.at(-1), 'stop');
    const ping = await run(['ping', '127.0.0.1', '-p', String(port), '-c', '2', '-i', '20ms', '--json']);
    assert.is(ping.code, 0, ping.stderr);
    assert.equal(conforms('ping', ping.stdout), ['start', 'reply', 'reply', 'stop']);
    const t = net.connect(port, '127.0.0.1');
    t.on('error', () => {});
    t.end('over tcp\n');
    await echoOut.next(/"event":"disconnect"/);
    assert.is(await stop(ps, 'SIGINT'), 0);
    await proxyOut.next(/"event":"stop"/);
    assert.equal(conforms('proxy', proxyOut.text), ['start', 'stop']);
    assert.is(await stop(echo, 'SIGINT'), 0);
    await echoOut.next(/"event":"stop"/);
    const events = conforms('echo', echoOut.text);
    assert.equal(events.slice(0, 2), ['start', 'start']);
    for (const e of ['datagram', 'connection', 'disconnect']) assert.ok(events.includes(e), e);
    assert.is(events.at(-1), 'stop');
  } finally {
    await stop(echo, 'SIGKILL');
    if (ps) await stop(ps, 'SIGKILL');
  }
});

test('demo: one demo line per demo', async () => {
  const r = await run(['demo', 'boundaries', '--json'], undefined, 20_000);
  assert.is(r.code, 0, r.stderr);
  assert.equal(conforms('demo', r.stdout), ['demo']);
});

test.run();
