/**
 * --allow and --deny (servers/access.ts): the rules as a table, then on real sockets, with
 * clients bound to other addresses of 127.0.0.0/8, which Linux routes to loopback as a whole.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import { accessList } from '../../src/servers/access.js';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../../src/servers/chat-server.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';

const rules = suite('accessList');

const rows: Array<[why: string, allow: string[], deny: string[], ip: string, admitted: boolean]> = [
  ['no rules admit everyone', [], [], '203.0.113.9', true],
  ['no rules admit IPv6 too', [], [], '2001:db8::1', true],
  ['a denied IPv4 range keeps its addresses out', [], ['10.0.0.0/8'], '10.200.1.1', false],
  ['a denied IPv4 range lets others in', [], ['10.0.0.0/8'], '11.0.0.1', true],
  ['a single address without a prefix is a /32', [], ['192.0.2.7'], '192.0.2.7', false],
  ['a single address without a prefix is only that address', [], ['192.0.2.7'], '192.0.2.8', true],
  ['a denied IPv6 range keeps its addresses out', [], ['fd00::/8'], 'fd12:3456::1', false],
  ['a denied IPv6 range lets others in', [], ['fd00::/8'], '2001:db8::1', true],
  ['a v4-mapped address is checked as the IPv4 it is, against an IPv4 deny', [], ['10.0.0.0/8'], '::ffff:10.1.2.3', false],
  ['a v4-mapped address is checked as IPv4 against an IPv4 allow', ['10.0.0.0/8'], [], '::ffff:10.1.2.3', true],
  ['an IPv4 address matches a v4-mapped IPv6 rule', [], ['::ffff:10.0.0.0/104'], '10.1.2.3', false],
  ['deny wins over allow', ['10.0.0.0/8'], ['10.1.0.0/16'], '10.1.2.3', false],
  ['allow still admits outside the denied part', ['10.0.0.0/8'], ['10.1.0.0/16'], '10.2.0.1', true],
  ['with only allow rules, others are kept out', ['10.0.0.0/8', 'fd00::/8'], [], '192.0.2.1', false],
  ['with only allow rules, each allowed range gets in', ['10.0.0.0/8', 'fd00::/8'], [], 'fd00::5', true],
  ['/0 allows everything of its family', ['0.0.0.0/0'], [], '198.51.100.1', true],
  ['an IPv4 /0 does not allow IPv6', ['0.0.0.0/0'], [], '2001:db8::1', false],
  ['something that is no address is kept out once there are rules', [], ['10.0.0.0/8'], 'not-an-ip', false],
  ['an empty address is kept out once there are rules', ['10.0.0.0/8'], [], '', false],
  ['spaces around a rule are forgiven', [' 10.0.0.0/8 '], [], '10.0.0.1', true],
];

for (const [why, allow, deny, ip, admitted] of rows) {
  rules(why, () => {
    assert.is(accessList(allow, deny)(ip), admitted);
  });
}

const bad = ['abc', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/9', '10.0.0/8', '', '/8', '10.0.0.0/0x8', 'example.com/24'];

rules('a bad rule throws ERR_BAD_ARGUMENT, whether it is an allow or a deny', () => {
  for (const rule of bad) {
    for (const [allow, deny] of [[[rule], []], [[], [rule]]] as const) {
      let error: unknown;
      try {
        accessList(allow, deny);
      } catch (err) {
        error = err;
      }
      assert.instance(error, ChatError, `${JSON.stringify(rule)} was accepted`);
      assert.is((error as ChatError).code, 'ERR_BAD_ARGUMENT');
    }
  }
});

rules('startChatServer refuses a bad rule before binding anything', async () => {
  let error: unknown;
  try {
    await startChatServer({ host: '127.0.0.1', port: 0, allow: ['10.0.0.0/40'] });
  } catch (err) {
    error = err;
  }
  assert.is((error as ChatError).code, 'ERR_BAD_ARGUMENT');
});

rules.run();

const sockets = suite('--allow and --deny on real sockets');

// Linux routes all of 127.0.0.0/8 to loopback; other systems (macOS) only 127.0.0.1 by default.
const OTHER = '127.0.0.2';
let otherWorks = false;
{
  const probe = dgram.createSocket('udp4');
  probe.on('error', () => {});
  try {
    probe.bind(0, OTHER);
    await once(probe, 'listening', { signal: AbortSignal.timeout(1000) });
    otherWorks = true;
  } catch {
    process.stdout.write(`  (skipping the socket tests of --allow/--deny: cannot bind ${OTHER} on this system)\n`);
  } finally {
    probe.close();
  }
}
const maybe = otherWorks ? sockets : sockets.skip;

async function withServer(options: Partial<ChatServerOptions>, body: (server: ChatServer) => Promise<void>): Promise<void> {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both', ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** A UDP socket bound to 127.0.0.2, recording what it receives. */
async function otherUdp(): Promise<{ socket: dgram.Socket; got: string[] }> {
  const socket = dgram.createSocket('udp4');
  const got: string[] = [];
  socket.on('message', (msg) => got.push(String(msg)));
  socket.bind(0, OTHER);
  await once(socket, 'listening');
  return { socket, got };
}

/** Connects from `local` and resolves with what happened first: connected and welcomed, or closed. */
async function tcpFrom(port: number, local: string): Promise<{ socket: net.Socket; closed: Promise<void>; data: string[] }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: local });
  const data: string[] = [];
  socket.on('data', (d: Buffer) => data.push(String(d)));
  // A reset shows up as ECONNRESET: that is the expected end here, not a failure.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
  return { socket, closed, data };
}

async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

maybe('a denied UDP address gets no answer and leaves no state, and the drop is counted', async () => {
  await withServer({ deny: [`${OTHER}/32`] }, async (server) => {
    const denied = await otherUdp();
    const allowed = await UdpPeer.open();
    try {
      denied.socket.send('/ping hello?', server.port, '127.0.0.1');
      await eventually(() => server.room.counters.drops.denied === 1, 2000, 'the denied datagram read');
      allowed.send(server.port, '/ping ok');
      await allowed.waitFor('/pong ok');
      // Anything sent to the denied socket left before the pong did.
      assert.equal(denied.got, []);
      assert.is(server.room.size, 1);
      assert.is(server.transports.udp!.size, 1);
    } finally {
      denied.socket.close();
      allowed.close();
    }
  });
});

maybe('a denied TCP connection is closed at once, and an allowed one joins', async () => {
  await withServer({ deny: [`${OTHER}/32`] }, async (server) => {
    const denied = await tcpFrom(server.port, OTHER);
    const allowed = await tcpFrom(server.port, '127.0.0.1');
    try {
      await within(denied.closed, 2000, 'the denied connection closing');
      assert.equal(denied.data, [], 'the denied connection was told something');
      await eventually(() => allowed.data.join('').includes('* welcome '), 2000, 'the allowed welcome');
      assert.is(server.room.counters.drops.denied, 1);
      assert.is(server.room.size, 1);
    } finally {
      denied.socket.destroy();
      allowed.socket.destroy();
    }
  });
});

maybe('with --allow, only the allowed range gets in, over UDP and TCP alike', async () => {
  await withServer({ allow: ['127.0.0.1/32'] }, async (server) => {
    const outsider = await otherUdp();
    const insider = await UdpPeer.open();
    const tcpOutsider = await tcpFrom(server.port, OTHER);
    try {
      outsider.socket.send('hi', server.port, '127.0.0.1');
      await within(tcpOutsider.closed, 2000, 'the outside connection closing');
      await eventually(() => server.room.counters.drops.denied === 2, 2000, 'both outsiders turned away');
      insider.send(server.port, '/ping in');
      await insider.waitFor('/pong in');
      assert.equal(outsider.got, []);
      assert.is(server.room.size, 1);
    } finally {
      outsider.socket.close();
      insider.close();
      tcpOutsider.socket.destroy();
    }
  });
});

sockets.run();
