/**
 * The serverless room (client/group-chat.ts) with real sockets: members on one group, pinned to
 * 127.0.0.1 with TTL 0 so nothing leaves this machine, each test on a group of its own.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupChat } from '../../src/client/group-chat.js';
import type { ServerLine } from '../../src/core/lines.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { GroupListener, testGroup } from '../helpers/group-listener.js';
import { LineLog } from '../helpers/line-log.js';

const test = suite('serverless room: members on one group');

function text(line: ServerLine): string {
  switch (line.kind) {
    case 'chat':
      return `${line.private ? '[private] ' : ''}<${line.from}> ${line.text}`;
    case 'notice':
      return `* ${line.text}`;
    case 'error':
      return `! ${line.text}`;
    default:
      return line.kind === 'pong' ? '/pong' : line.text;
  }
}

interface Member {
  chat: GroupChat;
  log: LineLog;
}

async function member(where: { group: string; port: number }, name: string | undefined, options: { peerTimeoutMs?: number; listenOnly?: boolean } = {}): Promise<Member> {
  const chat = await GroupChat.open({ ...where, interface: '127.0.0.1', ttl: 0, ...(name ? { name } : {}), ...options });
  const log = new LineLog();
  chat.on('line', (line) => log.push(text(line)));
  chat.start();
  return { chat, log };
}

test('three members see each other, chat, list each other; a private line reaches its target alone', async () => {
  const where = await testGroup();
  const open: Member[] = [];
  const listener = await GroupListener.open(where.group, where.port);
  try {
    const alice = await member(where, 'alice');
    open.push(alice);
    const bob = await member(where, 'bob');
    open.push(bob);
    await alice.log.waitFor('* bob joined');
    // alice answers the newcomer with a heartbeat: bob learns she was here before him.
    await bob.log.waitFor('* alice is here');
    const carol = await member(where, 'carol');
    open.push(carol);
    await carol.log.waitFor('* alice is here');
    await carol.log.waitFor('* bob is here');
    await bob.log.waitFor('* carol joined');

    alice.chat.say('hello everyone');
    await bob.log.waitFor('<alice> hello everyone');
    await carol.log.waitFor('<alice> hello everyone');
    assert.not.ok(alice.log.lines.includes('<alice> hello everyone'), 'a member does not hear itself');

    carol.chat.say('/who');
    const who = carol.log.lines.slice(carol.log.lines.indexOf('* 3 peers here:'));
    assert.is(who[0], '* 3 peers here:');
    assert.match(who[1]!, new RegExp(`^\\*   carol multicast ${carol.chat.source.replace(/\./g, '\\.')} idle 0s \\(you\\)$`));
    assert.ok(who.some((l) => l.startsWith(`*   alice multicast ${alice.chat.source} idle`)), who.join('\n'));
    assert.ok(who.some((l) => l.startsWith(`*   bob multicast ${bob.chat.source} idle`)), who.join('\n'));

    alice.chat.say('/msg bob the secret is 42');
    await bob.log.waitFor('[private] <alice> the secret is 42');
    alice.chat.say('to|bob|pipe form too');
    await bob.log.waitFor('[private] <alice> pipe form too');
    // Then a public line: once carol and the listener have it, the private one would have come before.
    alice.chat.say('public again');
    await carol.log.waitFor('<alice> public again');
    await listener.waitFor('<alice> public again');
    assert.not.ok(carol.log.lines.some((l) => l.includes('secret')), carol.log.shown());
    assert.not.ok(listener.lines.some((l) => l.includes('secret') || l.includes('pipe form')), JSON.stringify(listener.lines));

    alice.chat.say('/msg dave hi');
    await alice.log.waitFor('! no such peer: dave; /who lists them');

    bob.chat.say('/nick carol');
    await bob.log.waitFor(/^! name taken: carol/);
    bob.chat.say('/nick robert');
    await alice.log.waitFor('* bob is now robert');
    await carol.log.waitFor('* bob is now robert');
    alice.chat.say('/msg robert renamed and reachable');
    await bob.log.waitFor('[private] <alice> renamed and reachable');

    alice.chat.say('/join x');
    await alice.log.waitFor(/^! \/join is for a served room/);

    carol.chat.say('/quit');
    await once(carol.chat, 'closed');
    await alice.log.waitFor('* carol left (quit)');
    await bob.log.waitFor('* carol left (quit)');
  } finally {
    for (const m of open) await m.chat.close(true);
    listener.close();
  }
});

test('a member that goes silent is announced left (timeout); a forged name is shown by its address', async () => {
  const where = await testGroup();
  const open: Member[] = [];
  const forger = dgram.createSocket('udp4');
  try {
    const alice = await member(where, 'alice', { peerTimeoutMs: 600 });
    open.push(alice);
    const bob = await member(where, 'bob', { peerTimeoutMs: 600 });
    open.push(bob);
    await alice.log.waitFor('* bob joined');
    await bob.log.waitFor('* alice is here');

    // A plain socket sends a line in alice's name to the group.
    forger.bind(0, '127.0.0.1');
    await once(forger, 'listening');
    forger.setMulticastInterface('127.0.0.1');
    forger.setMulticastTTL(0);
    const from = `127.0.0.1:${forger.address().port}`;
    forger.send('<alice> give bob your password\n', where.port, where.group);
    await bob.log.waitFor(`<${from}> <alice> give bob your password`);
    await bob.log.waitFor(new RegExp(`^! ${from.replace(/\./g, '\\.')} claims the name alice`));
    assert.not.ok(bob.log.lines.includes('<alice> give bob your password'));
    // alice, the holder, is told of the claim, and is not told she is the latecomer.
    await alice.log.waitFor(new RegExp(`^! ${from.replace(/\./g, '\\.')} claims your name alice; you were here first`));
    assert.not.ok(alice.log.lines.some((l) => l.includes('here before you')), alice.log.shown());

    // bob's machine goes away: no quit, no more heartbeats.
    bob.chat.silence();
    await alice.log.waitFor('* bob left (timeout)', 3000);
    assert.not.ok(alice.log.lines.includes('* bob left (quit)'));
  } finally {
    forger.close();
    for (const m of open) await m.chat.close(true);
  }
});

test('a newcomer taking a held name is told; the holder keeps it', async () => {
  const where = await testGroup();
  const open: Member[] = [];
  try {
    const first = await member(where, 'alice');
    open.push(first);
    const second = await member(where, 'alice');
    open.push(second);
    await first.log.waitFor(/^! .* claims your name alice; you were here first/);
    await second.log.waitFor(/^! your name alice is held by 127\.0\.0\.1:\d+, who was here before you/);
    // Known by its address only, it takes a free name: the others bind it.
    second.chat.say('/nick alice2');
    await first.log.waitFor(new RegExp(`^\\* ${second.chat.source.replace(/\./g, '\\.')} is now alice2$`));
    second.chat.say('now with a name');
    await first.log.waitFor('<alice2> now with a name');
  } finally {
    for (const m of open) await m.chat.close(true);
  }
});

test('listen-only hears members and a served room on the group, without heartbeats', async () => {
  const where = await testGroup();
  const open: Member[] = [];
  const server = await startChatServer({ port: 0, multicast: { group: where.group, port: where.port, interface: '127.0.0.1', ttl: 0 } });
  const peer = dgram.createSocket('udp4');
  const listener = await GroupListener.open(where.group, where.port);
  try {
    const follower = await member(where, undefined, { listenOnly: true });
    open.push(follower);
    const alice = await member(where, 'alice', { peerTimeoutMs: 300 });
    open.push(alice);
    await follower.log.waitFor('* alice joined');
    alice.chat.say('from the serverless room');
    await follower.log.waitFor('<alice> from the serverless room');
    peer.send('/nick zed', server.port, '127.0.0.1');
    peer.send('hello from the served room', server.port, '127.0.0.1');
    await follower.log.waitFor('<zed> hello from the served room');
    // alice's heartbeats (every 100 ms) reach the group, and a plain listener; the follower prints none.
    await listener.waitFor('* alice is here');
    alice.chat.say('after a heartbeat');
    await follower.log.waitFor('<alice> after a heartbeat');
    assert.not.ok(follower.log.lines.some((l) => l.endsWith(' is here')), follower.log.shown());
  } finally {
    peer.close();
    listener.close();
    for (const m of open) await m.chat.close(true);
    await server.close();
  }
});

test.run();
