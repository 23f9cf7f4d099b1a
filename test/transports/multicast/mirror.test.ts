/**
 * serve --multicast (transports/multicast/mirror.ts): the room's broadcasts go once to a group,
 * on 127.0.0.1 with TTL 0 so nothing leaves this machine, whatever the number of listeners.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { GroupListener, testGroup } from '../../helpers/group-listener.js';
import { UdpPeer, eventually } from '../../helpers/udp-peer.js';

const test = suite('serve --multicast mirror');

test('every broadcast reaches each listener once, sent to the group once', async () => {
  const { group, port } = await testGroup();
  const server = await startChatServer({ port: 0, multicast: { group, port, interface: '127.0.0.1', ttl: 0 } });
  const listeners: GroupListener[] = [];
  const peers: UdpPeer[] = [];
  try {
    for (let i = 0; i < 3; i++) listeners.push(await GroupListener.open(group, port));
    for (let i = 0; i < 2; i++) peers.push(await UdpPeer.open());
    const [alice, bob] = peers as [UdpPeer, UdpPeer];
    alice.send(server.port, '/nick alice');
    await alice.waitFor(/welcome|alice/);
    bob.send(server.port, '/nick bob');
    await alice.waitFor(/is now bob$/);
    const before = server.counters().traffic.multicast!.messagesOut;
    for (let i = 1; i <= 5; i++) alice.send(server.port, `hello ${i}`);
    await bob.waitFor('<alice> hello 5');
    for (const l of listeners) await l.waitFor('<alice> hello 5');
    await eventually(() => server.counters().traffic.multicast!.messagesOut - before === 5, 2000, 'five group sends');
    for (const l of listeners) {
      assert.equal(l.lines.filter((x) => x.startsWith('<alice> hello')).length, 5, 'each line once per listener');
      assert.ok(l.lines.some((x) => x.endsWith('is now bob')), 'notices go to the group too');
    }
    assert.equal(server.mirror?.port, port);
  } finally {
    for (const l of listeners) l.close();
    for (const p of peers) p.close();
    await server.close();
  }
});

test('the room\'s last line, * server shutting down, reaches the group before the socket closes', async () => {
  const { group, port } = await testGroup();
  const server = await startChatServer({ port: 0, multicast: { group, port, interface: '127.0.0.1', ttl: 0 } });
  const listener = await GroupListener.open(group, port);
  const peer = await UdpPeer.open();
  try {
    peer.send(server.port, 'hi');
    await listener.waitFor(/joined$/);
    await server.close();
    await listener.waitFor(/shutting down/);
  } finally {
    listener.close();
    peer.close();
    await server.close();
  }
});

test('a group the library is given is checked as the command line\'s is, before any socket', async () => {
  for (const group of ['10.0.0.1', '239.1.2.3%lo']) {
    try {
      const server = await startChatServer({ port: 0, multicast: { group, interface: '127.0.0.1', ttl: 0 } });
      await server.close();
      assert.unreachable(`${group} accepted`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_BAD_ARGUMENT', String(err));
    }
  }
});

test.run();
