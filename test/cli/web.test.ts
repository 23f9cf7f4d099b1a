/** The command line of the web transport: serve --web/--origin, chat and send --transport ws. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCli } from '../../src/cli/cli.js';
import { teacherBanner, webBanner } from '../../src/cli/output.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { Output, parsed, run, start, stop } from '../helpers/spawn.js';
import { eventually } from '../helpers/udp-peer.js';
import { WsPeer } from '../helpers/ws-peer.js';

const parse = suite('the web flags, parsed in-process');

parse('serve takes --web PORT and a repeatable --origin', async () => {
  const [, argv] = await parsed(['serve', '--web', '8080', '--origin', 'http://a.local:8080', '--origin', 'http://b.local:8080']);
  assert.is(argv['web'], '8080');
  assert.equal(argv['origin'], ['http://a.local:8080', 'http://b.local:8080']);
  const [, plain] = await parsed(['serve']);
  assert.is(plain['web'], undefined);
  assert.equal(plain['origin'], []);
});

parse('chat and send take --transport ws; serve does not', async () => {
  for (const command of ['chat', 'send']) {
    const [, argv] = await parsed([command, '--transport', 'ws', '--port', '8080']);
    assert.is(argv['transport'], 'ws');
  }
  try {
    await buildCli(['serve', '--transport', 'ws']).parseAsync();
    assert.unreachable('serve took --transport ws');
  } catch (err) {
    assert.match(String(err), /Invalid values/);
  }
});

parse('the banner line names the page, with a bracketed IPv6 host', () => {
  assert.match(webBanner('127.0.0.1', 8080), /^ {2}open http:\/\/127\.0\.0\.1:8080\/ in a browser/);
  assert.match(webBanner('::1', 8080), /open http:\/\/\[::1\]:8080\/ in a browser/);
  assert.match(webBanner('0.0.0.0', 8080), /open http:\/\/\S+:8080\/ in a browser/);
  assert.is(teacherBanner('127.0.0.1', 8080, 'KEY_1-x'), '  teacher: http://127.0.0.1:8080/?teacher=KEY_1-x');
  assert.is(teacherBanner('::1', 8080, 'k'), '  teacher: http://[::1]:8080/?teacher=k');
});

parse.run();

const bin = suite('the built udp-chat binary with the web transport');

bin('--origin without --web, a bad origin or a bad web port is a usage error: one line, exit 2', async () => {
  for (const args of [
    ['serve', '--port', '0', '--origin', 'http://a.local'],
    ['serve', '--port', '0', '--web', '0', '--origin', 'a.local'],
    ['serve', '--port', '0', '--web', '70000'],
    ['send', '--transport', 'ws', '--tcp', 'x'],
    ['serve', '--port', '0', '--teacher-key', 'abcdefgh12'],
    ['serve', '--port', '0', '--web', '0', '--teacher-key', 'short'],
    ['serve', '--port', '0', '--web', '0', '--teacher-key', 'has spaces in it'],
    ['serve', '--port', '0', '--web', '0', '--teacher-key', ''],
  ]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

bin('serve --web 0 prints the page URL, and send --transport ws --wait prints the /who lines', async () => {
  const child = start(['serve', '--port', '0', '--web', '0']);
  const out = new Output(child);
  try {
    const line = await out.next(/^ {2}open http:\/\/127\.0\.0\.1:\d+\/ in a browser/);
    const webPort = Number(/:(\d+)\//.exec(line)![1]);
    // The teacher link, with a random key, on the line after.
    const teacher = await out.next(/^ {2}teacher: /);
    assert.match(teacher, new RegExp(`^ {2}teacher: http://127\\.0\\.0\\.1:${webPort}/\\?teacher=[A-Za-z0-9_-]{24}$`));
    const r = await run(['send', '--transport', 'ws', '--port', String(webPort), '--wait', '300ms', '/who']);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    // Not "1 peer": on a shared machine a stray datagram may reach a fresh port 0 too.
    assert.ok(lines.some((l) => /^\* \d+ peers? here:$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^\*   127\.0\.0\.1:\d+ ws 127\.0\.0\.1:\d+ idle \S+ \(you\)$/.test(l)), r.stdout);
    await out.next(/ joined \(ws 127\.0\.0\.1:\d+\)$/);
    assert.is(await stop(child, 'SIGINT'), 0);
  } finally {
    await stop(child, 'SIGKILL');
  }
});

bin('serve --teacher-key KEY prints that key in the teacher link', async () => {
  const child = start(['serve', '--port', '0', '--web', '0', '--teacher-key', 'Class_2B-key']);
  const out = new Output(child);
  try {
    assert.match(await out.next(/^ {2}teacher: /), /\/\?teacher=Class_2B-key$/);
  } finally {
    await stop(child, 'SIGKILL');
  }
});

bin('serve --json --web 0 reports a start event for ws with its own port', async () => {
  const child = start(['serve', '--port', '0', '--web', '0', '--json']);
  const out = new Output(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    const udp = JSON.parse(await out.next(/"event":"start".*"transport":"udp"/).catch((err: Error) => Promise.reject(new Error(`${err.message}; stderr: ${stderr}`))));
    const ws = JSON.parse(await out.next(/"event":"start".*"transport":"ws"/));
    assert.is(ws.host, '127.0.0.1');
    assert.ok(ws.port > 0 && ws.port !== udp.port);
    // The teacher's link on stderr (stdout stays NDJSON), with the random key.
    await eventually(() => /teacher: /.test(stderr), 2000, 'the teacher link on stderr');
    assert.match(stderr, new RegExp(`^ {2}teacher: http://127\\.0\\.0\\.1:${ws.port}/\\?teacher=[A-Za-z0-9_-]{24}\n$`));
    const peer = await WsPeer.open(ws.port);
    try {
      const join = JSON.parse(await out.next(/"event":"join"/));
      assert.is(join.peer.transport, 'ws');
    } finally {
      await peer.close();
    }
  } finally {
    await stop(child, 'SIGKILL');
  }
});

bin('serve --web on a port in use fails with one line and exit 1', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  try {
    const r = await run(['serve', '--port', '0', '--web', String(server.transports.ws!.port)]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.is(r.stderr.trim().split('\n').length, 1);
  } finally {
    await server.close();
  }
});

bin.run();
