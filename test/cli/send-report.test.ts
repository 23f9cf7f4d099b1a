/**
 * `send` runs that report: --report interval lines (text and JSON), Ctrl-C and SIGTERM printing
 * what was counted so far, a room's silence explained, no answer at all failing, the live line.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { closedPort, Output, run, start, stop } from '../helpers/spawn.js';

const test = suite('send: runs that report');

const INTERVAL = /^\[(\d+\.\d\d)-(\d+\.\d\d) s\] sent (\d+), received (\d+), lost (-?\d+) \([-\d.]+%\), (?:.*, )?latency (?:avg \d+\.\d{3} ms max \d+\.\d{3} ms|none)$/;

/** A UDP echo on loopback that counts what it answered. */
async function countingEcho(): Promise<{ socket: dgram.Socket; port: number; answered: () => number }> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let answered = 0;
  socket.on('message', (msg, rinfo) => {
    answered += 1;
    socket.send(msg, rinfo.port, rinfo.address);
  });
  return { socket, port: socket.address().port, answered: () => answered };
}

test('--report 200ms prints iperf3-style interval lines that add up to the run, then the stats block', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['send', '--port', String(echo.port), '--seq', '-c', '60', '-i', '10ms', '-w', '200ms', '--report', '200ms']);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const intervals = lines.filter((l) => l.startsWith('['));
    assert.ok(intervals.length >= 2, r.stdout);
    let sent = 0;
    let end = '0.00';
    for (const line of intervals) {
      const m = INTERVAL.exec(line);
      assert.ok(m, line);
      assert.is(m![1], end, 'each interval starts where the last ended');
      end = m![2]!;
      sent += Number(m![3]);
    }
    assert.is(sent, 60);
    assert.match(lines.at(-1)!, /^sent 60, received 60, lost 0 \(0%\), duplicates 0, out of order 0, latency p50/);
  } finally {
    await echo.close();
  }
});

test('--json: a start event with where it sends from and to, interval events, a stop event with the totals', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['send', '--port', String(echo.port), '--seq', '-c', '40', '-i', '10ms', '-w', '200ms', '--report', '100ms', '--json']);
    assert.is(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      assert.equal(Object.keys(e).slice(0, 2), ['time', 'event']);
      assert.ok(!Number.isNaN(Date.parse(e['time'] as string)));
    }
    const [first, last] = [events[0]!, events.at(-1)!];
    assert.is(first['event'], 'start');
    assert.is(first['transport'], 'udp');
    assert.is(first['to'], `127.0.0.1:${echo.port}`);
    assert.match(first['from'] as string, /^127\.0\.0\.1:\d+$/);
    assert.is(first['total'], 40);
    const intervals = events.filter((e) => e['event'] === 'interval');
    assert.ok(intervals.length >= 2, r.stdout);
    assert.is(intervals.reduce((n, e) => n + (e['sent'] as number), 0), 40);
    assert.is(intervals.reduce((n, e) => n + (e['received'] as number), 0), 40);
    for (const e of intervals) for (const k of ['startMs', 'endMs', 'lost', 'lossPercent', 'latencyMs']) assert.ok(k in e, k);
    assert.is(last['event'], 'stop');
    assert.is(last['sent'], 40);
    assert.is(last['to'], `127.0.0.1:${echo.port}`);
    assert.is((last['stats'] as { received: number }).received, 40);
    assert.is(events.length, intervals.length + 2);
  } finally {
    await echo.close();
  }
});

test('SIGINT in the middle of a run prints the statistics over what was sent, and exits 0', async () => {
  const echo = await countingEcho();
  const child = start(['send', '--port', String(echo.port), '--seq', '-c', '100000', '-i', '1ms', '-w', '1s', '--report', '100ms']);
  const out = new Output(child);
  try {
    await out.next(INTERVAL);
    assert.is(await stop(child, 'SIGINT'), 0);
    const stopped = /^stopped by SIGINT after (\d+) of 100000 datagrams$/m.exec(out.text);
    assert.ok(stopped, out.text);
    const n = Number(stopped![1]);
    assert.ok(n > 0 && n < 100000 && n === echo.answered(), `${n} sent, ${echo.answered()} answered`);
    // Over the datagrams sent, not the 100000 announced; a loopback echo answered every one.
    assert.match(out.text, new RegExp(`^sent ${n}, received ${n}, lost 0 \\(0%\\), `, 'm'));
  } finally {
    await stop(child, 'SIGKILL');
    echo.socket.close();
  }
});

test('SIGTERM with no --report and --json still ends with a stop event saying so', async () => {
  const echo = await countingEcho();
  const child = start(['send', '--port', String(echo.port), '--seq', '-c', '100000', '-i', '1ms', '-w', '1s', '--json']);
  const out = new Output(child);
  try {
    await out.next(/"event":"start"/);
    const deadline = Date.now() + 5000;
    while (echo.answered() < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(echo.answered() >= 20, 'the echo heard the run');
    assert.is(await stop(child, 'SIGTERM'), 0);
    const end = JSON.parse(await out.next(/"event":"stop"/)) as { sent: number; interrupted: string; stats: { expected: number; received: number } };
    assert.is(end.interrupted, 'SIGTERM');
    assert.is(end.stats.expected, end.sent);
    assert.is(end.stats.received, end.sent);
  } finally {
    await stop(child, 'SIGKILL');
    echo.socket.close();
  }
});

test('a numbered run into a chat room says why no reply came instead of a loss figure; with --echo-self it counts', async () => {
  const room = await startChatServer({ host: '127.0.0.1', port: 0 });
  const echoing = await startChatServer({ host: '127.0.0.1', port: 0, echoSelf: true });
  try {
    const r = await run(['send', '--port', String(room.port), '--seq', '-c', '5', '-w', '200ms']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\* welcome /m);
    assert.match(r.stdout, /^sent 5; no replies: a chat room does not send your own lines back; count them at a receiver with udp-chat chat --stats, or serve with --echo-self$/m);
    assert.not.match(r.stdout, /lost 5/);
    const json = await run(['send', '--port', String(room.port), '--seq', '-c', '5', '-w', '200ms', '--json']);
    const end = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { answerer: string; note: string };
    assert.is(end.answerer, 'room');
    assert.match(end.note, /^no replies: a chat room/);
    const counted = await run(['send', '--port', String(echoing.port), '--seq', '-c', '5', '-w', '200ms']);
    assert.match(counted.stdout, /^sent 5, received 5, lost 0 \(0%\)/m);
  } finally {
    await room.close();
    await echoing.close();
  }
});

test('--wait with nothing answering and no ICMP (as on Windows): "no answer within" and exit 1; a closed port: nothing is listening', async () => {
  // A bound socket that never answers: no port unreachable comes back, only silence.
  const silent = dgram.createSocket('udp4');
  silent.bind(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const port = silent.address().port;
    const r = await run(['send', '--port', String(port), '--wait', '200ms', 'hello?']);
    assert.is(r.code, 1);
    assert.is(r.stderr, `udp-chat: no answer from udp 127.0.0.1:${port} within 200ms: is the server running?\n`);
    const numbered = await run(['send', '--port', String(port), '--seq', '-c', '3', '--wait', '200ms']);
    assert.is(numbered.code, 1);
    assert.match(numbered.stdout, /^sent 3, received 0, lost 3 \(100%\)/m);
    assert.match(numbered.stderr, /no answer from udp/);
    // Without --wait nothing is expected back: a datagram sent is the whole job, as nc -u.
    assert.is((await run(['send', '--port', String(port), 'fire and forget'])).code, 0);
  } finally {
    silent.close();
  }
  const closed = await closedPort('udp');
  const refused = await run(['send', '--port', String(closed), '--wait', '200ms', 'hello?']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^udp-chat: nothing is listening on udp 127\.0\.0\.1:\d+ \(ICMP port unreachable\)\n$/);
  // Under --json the stream still ends with its stop line, saying what went wrong (docs/json.md).
  const json = await run(['send', '--port', String(closed), '--wait', '200ms', '--json', 'hello?']);
  assert.is(json.code, 1);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.map((l) => l['event']), ['start', 'stop'], json.stdout);
  assert.is(lines[1]!['to'], `127.0.0.1:${closed}`);
  assert.is(lines[1]!['sent'], 1);
  assert.equal(lines[1]!['replies'], []);
  assert.match(String(lines[1]!['error']), /^nothing is listening on udp 127\.0\.0\.1:\d+ \(ICMP port unreachable\)$/);
});

test('--report without --seq is a usage mistake', async () => {
  const r = await run(['send', '--port', '9', '--report', '1s', 'hi']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^udp-chat: --report counts numbered datagrams: add --seq/);
});

// `script` (util-linux) runs the command on a pseudo-terminal; BSD script (macOS) takes other flags.
const scriptPty = process.platform === 'linux' && existsSync('/usr/bin/script');

test('on a terminal, a numbered run redraws one live line in place; in a pipe it does not', async () => {
  if (!scriptPty) return;
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const { BIN } = await import('../helpers/spawn.js');
    const { spawn } = await import('node:child_process');
    const command = `'${process.execPath}' '${BIN}' send --port ${echo.port} --seq -c 60 -i 5ms -w 200ms`;
    const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    const [code] = (await once(child, 'exit', { signal: AbortSignal.timeout(10_000) })) as [number];
    assert.is(code, 0, text);
    const redraws = text.split('\r\x1b[K').length - 1;
    assert.ok(redraws >= 3, `${redraws} redraws: ${JSON.stringify(text)}`);
    assert.match(text, /\r\x1b\[Ksent \d+\/60, received \d+, lost \d+/);
    assert.match(text, /sent 60, received 60, lost 0 \(0%\)/);
    const piped = await run(['send', '--port', String(echo.port), '--seq', '-c', '10', '-w', '100ms']);
    assert.not.match(piped.stdout, /\r/);
  } finally {
    await echo.close();
  }
});

test.run();
