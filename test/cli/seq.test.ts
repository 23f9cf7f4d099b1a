import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { formatSeqStats } from '../../src/cli/output.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { lastJson } from '../helpers/json-lines.js';
import { Output, run, start, stop } from '../helpers/spawn.js';

const block = suite('the stats block of a numbered run');

const base: SeqResult = {
  expected: 20,
  received: 20,
  lost: 0,
  refused: 0,
  refusedPercent: 0,
  duplicates: 0,
  outOfOrder: 0,
  lossPercent: 0,
  latency: { p50: 0.1234, p99: 1.5, min: 0.05, max: 2 },
  lostSeqs: [],
  lateSeqs: [],
  duplicateSeqs: [],
  ignored: 0,
};

block('a clean run is one line', () => {
  assert.equal(formatSeqStats(base), ['sent 20, received 20, lost 0 (0%), duplicates 0, out of order 0, latency p50 0.123 ms p99 1.500 ms']);
});

block('lost, late, duplicated and ignored seqs are listed on lines of their own', () => {
  const lines = formatSeqStats({ ...base, received: 18, lost: 2, lossPercent: 10, duplicates: 1, outOfOrder: 1, lostSeqs: [3, 7], lateSeqs: [9], duplicateSeqs: [5], ignored: 4 });
  assert.equal(lines, [
    'sent 20, received 18, lost 2 (10%), duplicates 1, out of order 1, latency p50 0.123 ms p99 1.500 ms',
    'lost: 3 7',
    'late: 9',
    'duplicated: 5',
    'ignored: 4 numbered lines of another run',
  ]);
});

block('a long list stops at 50 numbers and counts the rest, and no reply means no latency', () => {
  const lostSeqs = Array.from({ length: 120 }, (_, i) => i + 1);
  const lines = formatSeqStats({ ...base, expected: 120, received: 0, lost: 120, lossPercent: 100, latency: null, lostSeqs });
  assert.is(lines[0], 'sent 120, received 0, lost 120 (100%), duplicates 0, out of order 0, latency none');
  assert.ok(lines[1]!.endsWith(' 49 50 ... and 70 more'), lines[1]);
});

block('refusals are printed apart from loss, and the missing list says it holds both', () => {
  const lines = formatSeqStats({ ...base, expected: 1000, received: 43, lost: 0, refused: 957, refusedPercent: 95.7, lostSeqs: [31, 32] });
  assert.equal(lines, [
    'sent 1000, received 43, lost 0 (0%), refused by the room 957 (95.7%), duplicates 0, out of order 0, latency p50 0.123 ms p99 1.500 ms',
    'lost or refused: 31 32',
  ]);
});

block('a small loss keeps three significant digits', () => {
  assert.match(formatSeqStats({ ...base, expected: 3, received: 2, lost: 1, lossPercent: 100 / 3 })[0]!, /lost 1 \(33\.3%\)/);
});

block.run();

const bin = suite('numbered runs through the built binary');

/** The child's exit code, once it has exited by itself; fails after `ms`. */
async function exited(child: ChildProcess, ms = 5000): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit', { signal: AbortSignal.timeout(ms) });
  return code as number | null;
}

bin('send --seq --json prints one object with the stats', async () => {
  const server = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['send', '--port', String(server.port), '--seq', '--count', '5', '--wait', '200ms', '--json', 'hi']);
    assert.is(r.code, 0, r.stderr);
    const out = lastJson<{ event: string; sent: number; replies: string[]; stats: SeqResult }>(r.stdout);
    assert.is(out.event, 'stop');
    assert.is(out.sent, 5);
    assert.equal(out.replies, []);
    assert.is(out.stats.received, 5);
    assert.equal(out.stats.lostSeqs, []);
  } finally {
    await server.close();
  }
});

bin('send --seq refuses more than a million datagrams with a usage error', async () => {
  const r = await run(['send', '--port', '9', '--seq', '--count', '600000', 'a', 'b']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--count/);
});

bin('chat --stats counts a numbered run through the room and prints the block when stdin ends', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const child = start(['chat', '--port', String(server.port), '--name', 'rx', '--stats']);
  const out = new Output(child);
  try {
    await out.next(/is now rx/);
    const sender = await run(['send', '--port', String(server.port), '--seq', '--count', '20', '--interval', '1ms', 'tick']);
    assert.is(sender.code, 0, sender.stderr);
    await out.next(/ seq=20\/20 t=[\d.]+ tick$/);
    child.stdin.end();
    const line = await out.next(/^sent \d+, received/);
    assert.match(line, /^sent 20, received 20, lost 0 \(0%\), duplicates 0, out of order 0, latency p50 \d+\.\d{3} ms p99 \d+\.\d{3} ms$/);
    assert.is(await exited(child), 0);
  } finally {
    await stop(child, 'SIGKILL');
    await server.close();
  }
});

/** Starts `serve` with these flags on a free port; its output and the port its banner states. */
async function serve(...flags: string[]) {
  const child = start(['serve', '--port', '0', ...flags]);
  const out = new Output(child);
  const banner = await out.next(/^udp-chat room on udp 127\.0\.0\.1 port \d+/);
  return { child, out, port: String(Number(/port (\d+)/.exec(banner)![1])) };
}

bin("the README's numbered run through a plain `serve` on loopback arrives whole at chat --stats", async () => {
  const room = await serve();
  const rx = start(['chat', '--port', room.port, '--name', 'rx', '--stats']);
  const out = new Output(rx);
  try {
    assert.match(await room.out.next(/per-peer message rate/), /1000 a second after a burst of 1000/);
    await out.next(/is now rx/);
    const sender = await run(['send', '--port', room.port, '--seq', '-c', '1000', '-i', '1ms']);
    assert.is(sender.code, 0, sender.stderr);
    await out.next(/ seq=1000\/1000 t=/);
    rx.stdin.end();
    assert.match(await out.next(/^sent \d+, received/), /^sent 1000, received 1000, lost 0 \(0%\), duplicates 0/);
  } finally {
    await stop(rx, 'SIGKILL');
    await stop(room.child, 'SIGKILL');
  }
});

bin('through a rate-limited room, send --seq --wait prints the refusals apart from loss, and serve logs why', async () => {
  const room = await serve('--rate', '10', '--burst', '30', '--echo-self');
  try {
    const sender = await run(['send', '--port', room.port, '--seq', '-c', '100', '-i', '1ms', '-w', '200ms']);
    assert.is(sender.code, 0, sender.stderr);
    const line = /^sent 100, .*$/m.exec(sender.stdout)?.[0] ?? sender.stdout;
    const m = /^sent 100, received (\d+), lost 0 \(0%\), refused by the room (\d+) \([\d.]+%\), /.exec(line);
    assert.ok(m, line);
    assert.is(Number(m![1]) + Number(m![2]), 100);
    const told = [...sender.stdout.matchAll(/^! slow down: (\d+) dropped/gm)].reduce((n, t) => n + Number(t[1]), 0);
    assert.is(told, Number(m![2]));
    assert.match(await room.out.next(/sending too fast/), /! 127\.0\.0\.1:\d+: sending too fast: messages dropped past 10 a second \(bursts of 30/);
    await stop(room.child, 'SIGINT');
    assert.match(room.out.text, new RegExp(`drops\\.rateLimited=${m![2]} `));
  } finally {
    await stop(room.child, 'SIGKILL');
  }
});

bin('chat --stats still prints the block when stopped by SIGTERM', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const child = start(['chat', '--port', String(server.port), '--name', 'rx2', '--stats']);
  const out = new Output(child);
  try {
    await out.next(/is now rx2/);
    child.kill('SIGTERM');
    assert.match(await out.next(/^sent /), /^sent 0, received 0, lost 0 \(0%\).*latency none$/);
    assert.is(await exited(child), 0);
  } finally {
    await stop(child, 'SIGKILL');
    await server.close();
  }
});

bin.run();
