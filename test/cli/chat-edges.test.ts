/**
 * The edges a `chat` user meets, with the built CLI as a user runs it: no server over UDP (refused
 * at once, or silent until --connect-timeout), `* bye` after /quit on every transport, the room's
 * confirmation of a private message, an unknown host, and the prompt drawn again after one's own line.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../src/servers/chat-server.js';
import { PYTHON } from '../helpers/python.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { BIN, Output, closedPort, start, stop } from '../helpers/spawn.js';

const test = suite('chat at the edges');

/** Waits for a child to exit by itself within `ms`; its code, and its stderr. */
function exited(child: ReturnType<typeof start>, ms: number): Promise<{ code: number | null; stderr: string; ms: number }> {
  const began = performance.now();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${ms} ms; stderr: ${stderr}`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: performance.now() - began });
    });
  });
}

test('over UDP with nothing listening: one line and exit 1 at once (the ICMP port unreachable), stdin still open', async () => {
  const port = await closedPort('udp');
  // Input stays open: the exit must come from the refusal, not from the end of stdin.
  const chat = start(['chat', '-p', String(port), '--name', 'carol']);
  const r = await exited(chat, 4000);
  assert.is(r.code, 1);
  assert.is(r.stderr, `udp-chat: nothing is listening on udp 127.0.0.1:${port} (ICMP port unreachable)\n`);
});

test('over UDP with a server that never answers (as Windows sees any dead server): exit 1 after --connect-timeout', async () => {
  const silent = dgram.createSocket('udp4');
  silent.bind(0, '127.0.0.1');
  await once(silent, 'listening');
  let heard = 0;
  silent.on('message', () => heard++);
  try {
    const chat = start(['chat', '-p', String(silent.address().port), '--name', 'carol', '--connect-timeout', '600ms']);
    const r = await exited(chat, 5000);
    assert.is(r.code, 1);
    assert.is(r.stderr, `udp-chat: no answer from udp 127.0.0.1:${silent.address().port} within 600ms: is the server running?\n`);
    assert.ok(r.ms >= 600, `exited after ${r.ms} ms`);
    assert.ok(heard >= 2, 'the join was sent again meanwhile');
  } finally {
    silent.close();
  }
});

test('an unknown host name: one line, exit 2', async () => {
  const r = await exited(start(['chat', '-H', 'no-such-host.invalid', '--name', 'carol']), 8000);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^udp-chat: cannot resolve the host no-such-host\.invalid/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

for (const transport of ['udp', 'tcp', 'ws'] as const) {
  test(`over ${transport}: /quit prints the server's * bye, then exits 0; a private message is confirmed to its sender`, async () => {
    const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both', web: { port: 0 } });
    const bob = await UdpPeer.open();
    try {
      bob.send(server.port, '/nick bob');
      await bob.waitFor(/is now bob$/);
      const port = transport === 'ws' ? server.transports.ws!.port : server.port;
      const chat = start(['chat', '-t', transport, '-p', String(port), '--name', 'carol']);
      const out = new Output(chat);
      const done = exited(chat, 10_000);
      done.catch(() => {});
      await out.next(/is now carol$/);
      chat.stdin.write('/msg bob just for you\n');
      await bob.waitFor('[private] <carol> just for you');
      await out.next(/^\[private to bob\] <carol> just for you$/);
      chat.stdin.write('/quit\n');
      await out.next(/^\* bye$/);
      assert.is((await done).code, 0);
    } finally {
      bob.close();
      await server.close();
    }
  });
}

test('on a terminal the prompt is drawn again after the user\'s own line', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  // A pseudo-terminal, as a user's: Python's pty runs the client, types a line, and reports what the screen got.
  const code = [
    'import os, pty, sys, time, select',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    'out = b""',
    'def read_until(pattern, secs):',
    '    global out',
    '    end = time.time() + secs',
    '    while pattern not in out and time.time() < end:',
    '        r, _, _ = select.select([fd], [], [], 0.1)',
    '        if r:',
    '            try: out += os.read(fd, 4096)',
    '            except OSError: break',
    'read_until(b"is now carol", 5)',
    'read_until(b"> ", 2)',
    'mark = len(out)',
    'os.write(fd, b"hello there\\r")',
    'read_until(b"there\\r\\r\\n\\x1b[1G\\x1b[0J> ", 3)',
    'os.write(fd, b"\\x04")',
    'read_until(b"* bye", 3)',
    'sys.stdout.write(repr(out[mark:]))',
  ].join('\n');
  try {
    const child = spawn(PYTHON, ['-c', code, process.execPath, BIN, 'chat', '-p', String(server.port), '--name', 'carol'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const [exit] = await once(child, 'exit', { signal: AbortSignal.timeout(15_000) });
    assert.is(exit, 0, stdout);
    // The echo of the typed line, then the prompt again, before anything else.
    assert.match(stdout, /hello there(\\r)+\\n(\\x1b\[\d*[A-Z])*> /, stdout);
  } finally {
    await server.close();
  }
});

test.run();
