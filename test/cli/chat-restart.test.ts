/**
 * A server restart, as a class meets it: a real `serve` process killed (SIGKILL, a crash) and
 * started again on the same ports, with a spawned `chat` client in the room. The client gets back
 * in by itself under its name and password (UDP: the server forgot it; TCP and WebSocket: the
 * stream ended), so its next line reaches another peer as `<carol> ...`, not from its address.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UdpPeer } from '../helpers/udp-peer.js';
import { Output, closedPort, start, stop } from '../helpers/spawn.js';

const test = suite('chat gets back into a restarted room');

/** Starts `serve` on fixed ports and waits for its banner. */
async function serve(port: number, web: number, extra: string[] = []): Promise<ChildProcessWithoutNullStreams> {
  // A short peer timeout: the client's heartbeats go every second, so a restart is seen soon.
  const child = start(['serve', '-p', String(port), '-t', 'both', '--web', String(web), '--peer-timeout', '3s', ...extra]);
  const out = new Output(child);
  await out.next(/^udp-chat room on /, 5000);
  return child;
}

async function kill(child: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) await stop(child, 'SIGKILL');
}

for (const transport of ['udp', 'tcp', 'ws'] as const) {
  test(`over ${transport}: a server killed and restarted on the same port has carol back as carol, password and all`, async () => {
    const port = await closedPort('udp');
    const web = await closedPort('tcp');
    const room = ['--password', 'pw'];
    let server: ChildProcessWithoutNullStreams | undefined;
    let carol: ChildProcessWithoutNullStreams | undefined;
    let bob: UdpPeer | undefined;
    try {
      server = await serve(port, web, room);
      carol = start(['chat', '-t', transport, '-p', String(transport === 'ws' ? web : port), '--name', 'carol', '--password', 'pw']);
      const said = new Output(carol);
      await said.next(/is now carol$/);
      await kill(server);
      server = await serve(port, web, room);
      if (transport !== 'udp') await said.next(/^\* reconnecting to /, 5000);
      await said.next(/^\* back in the room as carol$/, 8000);
      bob = await UdpPeer.open();
      bob.send(port, '/join pw');
      await bob.waitFor(/^\* welcome /);
      carol.stdin.write('hello after the restart\n');
      await bob.waitFor('<carol> hello after the restart', 3000);
      // Only one carol: her old self was forgotten with the old process, not left as a guest beside her.
      bob.send(port, '/who');
      await bob.waitFor(/^\* 2 peers here:$/);
    } finally {
      bob?.close();
      await kill(carol);
      await kill(server);
    }
  });
}

test('a stream the server drops us from (a wrong password) is not opened again', async () => {
  const port = await closedPort('udp');
  const web = await closedPort('tcp');
  let server: ChildProcessWithoutNullStreams | undefined;
  try {
    server = await serve(port, web, ['--password', 'pw', '--password-tries', '1']);
    const chat = start(['chat', '--tcp', '-p', String(port), '--name', 'carol', '--password', 'wrong']);
    const said = new Output(chat);
    const code = await new Promise<number | null>((resolve) => chat.once('exit', resolve));
    assert.match(said.text, /you were dropped \(dropped: wrong password\)/);
    assert.not.match(said.text, /reconnecting/);
    assert.is(code, 0);
  } finally {
    await kill(server);
  }
});

test.run();
