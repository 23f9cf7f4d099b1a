/**
 * `udp-chat chat --menu`: seed 002's numbered client. The state machine alone, then the built
 * CLI with piped stdin in a real room beside two UDP peers.
 */
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Menu, MENU_LINES } from '../../src/client/menu.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { Output, start } from '../helpers/spawn.js';
import { UdpPeer } from '../helpers/udp-peer.js';

const machine = suite('the menu, line by line');

/** Types each line into a fresh menu; returns what was sent, in order, and whether it quit. */
function typed(lines: string[]): { sent: string[]; quit: boolean } {
  const menu = new Menu();
  const sent: string[] = [];
  let quit = false;
  for (const line of lines) {
    const step = menu.input(line);
    sent.push(...step.send);
    quit ||= step.quit;
  }
  return { sent, quit };
}

machine('it starts with the numbered menu', () => {
  assert.equal(new Menu().start().show, ['1. public chat', '2. private chat', '3. rename', '0. exit']);
});

machine('1: every line to the room as typed, until exit', () => {
  assert.equal(typed(['1', 'hello', '', '/who', 'exit', 'not sent']), { sent: ['hello', '/who'], quit: false });
});

machine('2: /who, a name, then private messages to it until exit', () => {
  assert.equal(typed(['2', 'alice', 'psst', 'and more', 'exit', 'x']), { sent: ['/who', '/msg alice psst', '/msg alice and more'], quit: false });
  // exit at the name returns too; a name with a space is asked for again.
  assert.equal(typed(['2', 'exit', '1', 'hi']), { sent: ['/who', 'hi'], quit: false });
  assert.equal(typed(['2', 'a b', 'bob', 'yo']), { sent: ['/who', '/msg bob yo'], quit: false });
});

machine('3: a new name as /nick, then the menu again; 0 quits', () => {
  assert.equal(typed(['3', 'carol2', '0']), { sent: ['/nick carol2'], quit: true });
  assert.equal(typed(['3', '', '1', 'x']), { sent: ['x'], quit: false });
});

machine('another choice shows the menu again and sends nothing', () => {
  const menu = new Menu();
  assert.equal(menu.input('7'), { send: [], show: ['choose 1, 2, 3 or 0', ...MENU_LINES], quit: false });
  assert.equal(menu.input('hello').send, []);
});

machine.run();

const cli = suite('udp-chat chat --menu against a real room');

cli('a private message reaches only its target, a public one everyone, and the rename shows', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const alice = await UdpPeer.open();
  const bob = await UdpPeer.open();
  const child = start(['chat', '--menu', '--port', String(server.port), '--name', 'carol']);
  const out = new Output(child);
  try {
    for (const [peer, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
      peer.send(server.port, `/nick ${name}`);
      await peer.waitFor(`* ${peer.address} is now ${name}`);
    }
    await out.next(/^0\. exit$/);
    await out.next(/is now carol$/);
    const type = (line: string) => child.stdin.write(`${line}\n`);

    type('1');
    await out.next(/^public chat: /);
    type('hello all');
    await alice.waitFor('<carol> hello all');
    await bob.waitFor('<carol> hello all');
    type('exit');
    await out.next(/^0\. exit$/);

    type('2');
    await out.next(/^private chat: send to whom\?/);
    await out.next(/^\* {3}bob udp /);
    type('alice');
    await out.next(/^private chat with alice: /);
    type('psst');
    await alice.waitFor('[private] <carol> psst');
    type('exit');
    await out.next(/^0\. exit$/);

    type('3');
    await out.next(/^new name:$/);
    type('carol2');
    await alice.waitFor('* carol is now carol2');
    await bob.waitFor('* carol is now carol2');
    // The room keeps talking while the menu waits: carol's screen shows it.
    bob.send(server.port, 'still there?');
    await out.next(/^<bob> still there\?$/);
    const exited = once(child, 'exit', { signal: AbortSignal.timeout(3000) });
    type('0');
    await alice.waitFor('* carol2 left (quit)');
    // 0 leaves by itself, as /quit: no signal needed.
    assert.equal(await exited, [0, null]);
    // Bob saw the public line and the rename, never the private one.
    assert.not.ok(bob.lines.some((l) => l.includes('psst')), `bob saw: ${bob.lines.join(' | ')}`);
  } finally {
    child.kill('SIGKILL');
    alice.close();
    bob.close();
    await server.close();
  }
});

cli.run();
