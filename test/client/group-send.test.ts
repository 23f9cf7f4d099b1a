/**
 * send --multicast and --broadcast (client/group-send.ts), on real sockets: groups on 127.0.0.1
 * with TTL 0, broadcasts to lo's 127.255.255.255, so nothing leaves this machine.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBroadcast, sendToGroup } from '../../src/client/group-send.js';
import { ChatError } from '../../src/core/errors.js';
import { GroupListener, testGroup } from '../helpers/group-listener.js';

const test = suite('send to a group or a broadcast address');

test('one message is one datagram, and each of the group\'s receivers gets it once', async () => {
  const { group, port } = await testGroup();
  const listeners = [await GroupListener.open(group, port), await GroupListener.open(group, port), await GroupListener.open(group, port)];
  try {
    const result = await sendToGroup({ to: group, port, interface: '127.0.0.1', ttl: 0, messages: ['hello group'] });
    assert.is(result.sent, 1);
    assert.is(result.to, `${group}:${port}`);
    for (const l of listeners) await l.waitFor('hello group');
    // Three receivers, each holding one datagram: the sender sent one, not one per receiver.
    assert.equal(listeners.map((l) => l.datagrams), [1, 1, 1]);
    // It came from the sender's own port, not the group's (receivers reply there).
    assert.not.equal(listeners[0]!.sources[0], `127.0.0.1:${port}`);
  } finally {
    for (const l of listeners) l.close();
  }
});

test('replies from several receivers come back with who sent each', async () => {
  const { group, port } = await testGroup();
  const listeners = [await GroupListener.open(group, port), await GroupListener.open(group, port)];
  // Each receiver answers the sender's address by unicast, as an echo would.
  for (const [i, l] of listeners.entries()) l.socket.on('message', (_msg, rinfo) => l.socket.send(`here ${i}`, rinfo.port, rinfo.address));
  const heard: string[] = [];
  try {
    const result = await sendToGroup({ to: group, port, interface: '127.0.0.1', ttl: 0, messages: ['who is there?'], waitMs: 300, onLine: (line, from) => heard.push(`${from}: ${line}`) });
    assert.equal(result.replies.map((r) => r.line).sort(), ['here 0', 'here 1']);
    // A listener binds the group's port: each reply says so, and the lines handed on say who.
    for (const r of result.replies) assert.is(r.from, `127.0.0.1:${port}`);
    assert.equal(heard.sort(), [`127.0.0.1:${port}: here 0`, `127.0.0.1:${port}: here 1`]);
  } finally {
    for (const l of listeners) l.close();
  }
});

test('a broadcast to 127.255.255.255 reaches a socket bound to 0.0.0.0 on the port', async () => {
  const { port } = await testGroup();
  const receiver = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  try {
    receiver.bind(port, '0.0.0.0');
    await once(receiver, 'listening', { signal: AbortSignal.timeout(1000) });
    const got = once(receiver, 'message', { signal: AbortSignal.timeout(2000) });
    const result = await sendToGroup({ to: '127.255.255.255', port, broadcast: true, messages: ['hello subnet'] });
    const [msg] = (await got) as [Buffer];
    assert.is(String(msg), 'hello subnet');
    assert.is(result.to, `127.255.255.255:${port}`);
  } finally {
    receiver.close();
  }
});

test('count and seq number the datagrams as a send to a server does', async () => {
  const { group, port } = await testGroup();
  const listener = await GroupListener.open(group, port);
  try {
    const result = await sendToGroup({ to: group, port, interface: '127.0.0.1', ttl: 0, messages: ['tick'], count: 3 });
    assert.is(result.sent, 3);
    await listener.waitFor('tick #3');
    assert.equal(listener.lines, ['tick #1', 'tick #2', 'tick #3']);
  } finally {
    listener.close();
  }
});

test('broadcast addresses: IPv4 only, not a group, 255.255.255.255 when none is given', () => {
  assert.is(parseBroadcast(''), '255.255.255.255');
  assert.is(parseBroadcast('192.168.1.255'), '192.168.1.255');
  for (const bad of ['239.1.2.3', 'ff02::1', '::1', '[fe80::1]', 'hello', '192.168.1']) {
    try {
      parseBroadcast(bad);
      assert.unreachable(`${bad} was taken`);
    } catch (err) {
      assert.instance(err, ChatError, bad);
      assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', bad);
    }
  }
});

test('a unicast address is refused as a group before any socket opens', async () => {
  try {
    await sendToGroup({ to: '127.0.0.1', port: 9, messages: ['x'] });
    assert.unreachable('a unicast group was taken');
  } catch (err) {
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
  }
});

test.run();
