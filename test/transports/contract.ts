/**
 * The room's contract, written once and run over every transport mix (as MQTT.js runs its
 * abstract_client over each transport): what a peer sees must not depend on whether it, or the
 * others, came over UDP, TCP or WebSocket, nor on how TCP frames its messages.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent, type ServerTransport } from '../../src/servers/chat-server.js';
import type { FramingName } from '../../src/transports/framing.js';
import { isStream, literal, openPeer, type PeerKind, type TestPeer } from '../helpers/peers.js';

/** A transport mix: how the server listens and which transport each peer a test opens uses. */
export interface TransportSetup {
  name: string;
  transport: ServerTransport;
  framing?: FramingName;
  /** Serve the web page and its WebSocket too (needed by `ws` peers). */
  web?: boolean;
  /** The transport of the i-th peer a test opens (0, 1, 2, ...). */
  peer(index: number): PeerKind;
}

interface Room {
  server: ChatServer;
  events: ServerEvent[];
  /** Opens the next peer; it has not necessarily joined yet (a UDP peer joins with its first message). */
  open(): Promise<TestPeer>;
  /** Opens the next peer and waits until it has joined (and taken `name`, when given). */
  join(name?: string): Promise<TestPeer>;
}

/** A server for one test, its peers, and everything closed afterwards whatever happened. */
async function withRoom(setup: TransportSetup, options: Partial<ChatServerOptions>, body: (room: Room) => Promise<void>): Promise<void> {
  const events: ServerEvent[] = [];
  const server = await startChatServer({
    host: '127.0.0.1',
    port: 0,
    transport: setup.transport,
    ...(setup.framing ? { framing: setup.framing } : {}),
    ...(setup.web ? { web: { port: 0 } } : {}),
    ...options,
    onEvent: (e) => events.push(e),
  });
  const peers: TestPeer[] = [];
  const open = async () => {
    for (;;) {
      const kind = setup.peer(peers.length);
      const peer = await openPeer(kind, kind === 'ws' ? server.transports.ws!.port : server.port, setup.framing);
      // Two sockets of different transports may get the same port number, and the room then names the second
      // `tcp/ADDRESS`: rare, but the tests name peers by address, so take another port.
      if (!peers.some((p) => p.address === peer.address)) {
        peers.push(peer);
        return peer;
      }
      await peer.close();
    }
  };
  const join = async (name?: string) => {
    const peer = await open();
    peer.send('/ping joined');
    await peer.waitFor('/pong joined');
    if (name) {
      peer.send(`/nick ${name}`);
      await peer.waitFor(`* ${peer.address} is now ${name}`);
    }
    return peer;
  };
  try {
    await body({ server, events, open, join });
  } finally {
    for (const peer of peers) await peer.close();
    await server.close();
  }
}

/** Sends a ping and waits for its pong: every line the server sent this peer before is in by then. */
async function sync(peer: TestPeer, token: string): Promise<void> {
  peer.send(`/ping ${token}`);
  await peer.waitFor(`/pong ${token}`);
}

function errorCodes(events: ServerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
}

/** Registers the contract's tests for one transport mix and runs them. */
export function runContract(setup: TransportSetup): void {
  const test = suite(`the room's contract over ${setup.name}`);
  const kinds = [0, 1, 2].map((i) => setup.peer(i)).join(', ');

  test(`a new peer is welcomed by its address and the others are told it joined (${kinds})`, async () => {
    await withRoom(setup, {}, async ({ server, events, open }) => {
      const a = await open();
      a.send('/ping 1');
      await a.waitFor(new RegExp(`^\\* welcome ${literal(a.address)}; you are alone here; peer timeout 60s`));
      await a.waitFor('/pong 1');
      const b = await open();
      b.send('/ping 2');
      await b.waitFor(new RegExp(`^\\* welcome ${literal(b.address)}; 1 other here`));
      await a.waitFor(`* ${b.address} joined`);
      await b.waitFor('/pong 2');
      assert.is(server.room.size, 2);
      const joins = events.flatMap((e) => (e.type === 'join' ? [e.peer] : []));
      assert.equal(joins, [
        { name: a.address, address: a.address, transport: a.kind },
        { name: b.address, address: b.address, transport: b.kind },
      ]);
      assert.not.ok(b.lines.some((l) => l.endsWith(' joined')), 'a peer was told of its own join');
    });
  });

  test('a chat line reaches every other peer, whichever sends it, and never its sender', async () => {
    await withRoom(setup, {}, async ({ server, join }) => {
      const peers = [await join(), await join(), await join()];
      for (const [i, sender] of peers.entries()) {
        sender.send(`hello from ${i}`);
        for (const other of peers) if (other !== sender) await other.waitFor(`<${sender.address}> hello from ${i}`);
        // A probe after the chat line: once its pong is back, the chat line would have come first.
        await sync(sender, `after ${i}`);
        assert.not.ok(sender.lines.some((l) => l.includes(`hello from ${i}`)), `peer ${i} got its own line back`);
      }
      assert.is(server.counters().messages, 3);
    });
  });

  test('a peer renames in both dialects and everyone is told', async () => {
    await withRoom(setup, {}, async ({ server, events, join }) => {
      const [a, b] = [await join(), await join()];
      a.send('rename|alice');
      await a.waitFor(`* ${a.address} is now alice`);
      await b.waitFor(`* ${a.address} is now alice`);
      b.send('/nick bob');
      await b.waitFor(`* ${b.address} is now bob`);
      await a.waitFor(`* ${b.address} is now bob`);
      a.send('named now');
      await b.waitFor('<alice> named now');
      assert.ok(server.room.find('ALICE'), 'the room does not know alice');
      const renames = events.flatMap((e) => (e.type === 'rename' ? [[e.from, e.peer.name]] : []));
      assert.equal(renames, [
        [a.address, 'alice'],
        [b.address, 'bob'],
      ]);
    });
  });

  test('a name another peer holds, in any case, is refused with ERR_NAME_TAKEN', async () => {
    await withRoom(setup, {}, async ({ server, events, join }) => {
      const a = await join('alice');
      const b = await join();
      b.send('rename|ALICE');
      await b.waitFor(/^! name taken/);
      b.send('/nick Alice');
      await b.waitFor((l) => l.startsWith('! name taken') && l.includes('Alice'));
      assert.equal(errorCodes(events), ['ERR_NAME_TAKEN', 'ERR_NAME_TAKEN']);
      await sync(a, 'a');
      assert.not.ok(a.lines.some((l) => l.startsWith('!')), 'the holder of the name was told of the clash');
      assert.is(server.room.find('alice')?.link.address, a.address);
      assert.ok(server.room.find(b.address), 'the refused peer lost its old name');
    });
  });

  test('who lists every peer with its transport and address, in both dialects', async () => {
    await withRoom(setup, {}, async ({ join }) => {
      const peers = [await join('alice'), await join('bob'), await join('carol')];
      const names = ['alice', 'bob', 'carol'];
      for (const [asker, command] of [
        [1, 'who'],
        [2, '/who'],
      ] as const) {
        const me = peers[asker]!;
        me.send(command);
        await me.waitFor('* 3 peers here:');
        for (const [i, p] of peers.entries()) {
          const you = i === asker ? ' \\(you\\)' : '';
          await me.waitFor(new RegExp(`^\\*   ${names[i]} ${p.kind} ${literal(p.address)} idle \\d+(\\.\\d+)?m?s${you}$`));
        }
      }
    });
  });

  test('a private message reaches its target alone, marked [private]', async () => {
    await withRoom(setup, {}, async ({ events, join }) => {
      const [a, b, c] = [await join('alice'), await join('bob'), await join('carol')];
      a.send('to|bob|psst');
      await b.waitFor('[private] <alice> psst');
      a.send('/msg BOB again');
      await b.waitFor('[private] <alice> again');
      await sync(a, 'a');
      await sync(c, 'c');
      for (const p of [a, c]) assert.not.ok(p.lines.some((l) => l.includes('psst') || l.includes('again')), 'a private message leaked');
      a.send('to|nobody|hi');
      await a.waitFor(/^! no such peer/);
      assert.equal(errorCodes(events), ['ERR_NO_SUCH_PEER']);
      const messages = events.flatMap((e) => (e.type === 'message' ? [e.to] : []));
      assert.equal(messages, ['bob', 'bob']);
    });
  });

  test('an unknown command gets a ! line, for its sender alone', async () => {
    await withRoom(setup, {}, async ({ events, join }) => {
      const [a, b] = [await join(), await join()];
      a.send('/frobnicate now');
      await a.waitFor(/^! /);
      assert.equal(errorCodes(events), ['ERR_UNKNOWN_COMMAND']);
      await sync(b, 'b');
      assert.not.ok(b.lines.some((l) => l.startsWith('!') || l.includes('frobnicate')), 'the others heard of it');
    });
  });

  test('/ping TOKEN is answered /pong TOKEN, in order, and /ping alone with /pong', async () => {
    await withRoom(setup, {}, async ({ join }) => {
      const a = await join();
      for (const token of ['t1', 'x-2', 'ünï3']) a.send(`/ping ${token}`);
      a.send('/ping');
      await a.waitFor('/pong');
      assert.equal(
        a.lines.filter((l) => l.startsWith('/pong')),
        ['/pong joined', '/pong t1', '/pong x-2', '/pong ünï3', '/pong'],
      );
    });
  });

  test('quit says bye, announces the departure at once, and forgets the peer', async () => {
    await withRoom(setup, {}, async ({ server, events, join }) => {
      const [a, b, c] = [await join('alice'), await join('bob'), await join('carol')];
      a.send('quit');
      await a.waitFor('* bye');
      await c.waitFor('* alice left (quit)');
      b.send('/quit');
      await b.waitFor('* bye');
      await c.waitFor('* bob left (quit)');
      // TCP, WebSocket: the server ends the connection at once (well before its 1s grace for a peer that keeps its end open).
      for (const p of [a, b]) if (isStream(p)) await p.waitForEnd(500);
      assert.is(server.room.size, 1);
      const leaves = events.flatMap((e) => (e.type === 'leave' ? [[e.peer.name, e.reason]] : []));
      assert.equal(leaves, [
        ['alice', 'quit'],
        ['bob', 'quit'],
      ]);
    });
  });

  test('a silent peer is expired, told so and announced, while a heartbeating one stays', async () => {
    await withRoom(setup, { peerTimeoutMs: 200, sweepIntervalMs: 20 }, async ({ server, events, join }) => {
      // Two silent peers, so that a mixed room expires one of each transport.
      const [quiet1, quiet2] = [await join('quiet1'), await join('quiet2')];
      const chatty = await join('chatty');
      const beating = setInterval(() => chatty.send('/ping hb'), 40);
      try {
        for (const [p, name] of [
          [quiet1, 'quiet1'],
          [quiet2, 'quiet2'],
        ] as const) {
          await p.waitFor('* you were dropped: silent for 200ms (timeout)', 3000);
          await chatty.waitFor(`* ${name} left (timeout)`, 3000);
          // TCP, WebSocket: the server closes the connection of the peer it dropped.
          if (isStream(p)) await p.waitForEnd(500);
        }
        assert.is(server.room.size, 1);
        assert.ok(server.room.find('chatty'), 'the peer sending heartbeats was expired');
        assert.is(server.counters().expired, 2);
        const reasons = events.flatMap((e) => (e.type === 'leave' ? [e.reason] : []));
        assert.equal(reasons, ['timeout', 'timeout']);
      } finally {
        clearInterval(beating);
      }
    });
  });

  test('a message one byte over the limit is refused with a ! and not relayed; one at the limit is', async () => {
    await withRoom(setup, { limits: { maxMessageBytes: 1200 } }, async ({ events, join }) => {
      const [a, b] = [await join(), await join()];
      a.send('A'.repeat(1201));
      await a.waitFor(/^! message too long/);
      assert.equal(errorCodes(events), ['ERR_MESSAGE_TOO_LONG']);
      await sync(b, 'b');
      assert.not.ok(b.lines.some((l) => l.includes('AAAA')), 'the oversize message was relayed');
      a.send('B'.repeat(1200));
      await b.waitFor(`<${a.address}> ${'B'.repeat(1200)}`);
      await sync(a, 'still served');
    });
  });

  test.run();
}
