/**
 * The room's contract, written once and run over every transport mix (as MQTT.js runs its
 * abstract_client over each transport): what a peer sees must not depend on whether it, or the
 * others, came over UDP, TCP or WebSocket, nor on how TCP frames its messages. Where a transport
 * truly differs (a connection to end, a queue to overflow, a frame limit), the difference is
 * data in TRAITS, which the tests read.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatServer, ChatServerOptions, ServerEvent, ServerTransport } from '../../src/servers/chat-server.js';
import type { FramingName } from '../../src/transports/framing.js';
import { errorCodes, knock, leaves, rename, sync, withChatRoom } from '../helpers/chat-room.js';
import { isStream, literal, type PeerKind, type StreamTestPeer, type TestPeer } from '../helpers/peers.js';
import { eventually } from '../helpers/udp-peer.js';

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

/** What the contract expects of a peer, by its transport. */
interface Traits {
  /**
   * A peer that never reads: a stream's send queue passes maxQueueBytes and the peer is dropped
   * (`not reading`); a UDP peer is not, since nothing queues for it (the datagrams are just lost).
   */
  droppedWhenNotReading: boolean;
  /**
   * A message far over maxMessageBytes: refused with a `!` while the peer stays (UDP, TCP), or
   * refused by the WebSocket before it is read, with the connection closed with this code (1009).
   */
  farOversizeCloses?: number;
  /** The close code (WebSocket) when turned away by a full room, and at shutdown. */
  turnedAwayCode?: number;
  shutdownCode?: number;
}

const TRAITS: Record<PeerKind, Traits> = {
  udp: { droppedWhenNotReading: false },
  tcp: { droppedWhenNotReading: true },
  ws: { droppedWhenNotReading: true, farOversizeCloses: 1009, turnedAwayCode: 1008, shutdownCode: 1001 },
};

/** The close code a stream peer ended with (WebSocket), or undefined (TCP, UDP). */
function closeCode(peer: TestPeer): number | undefined {
  return (peer as { closeCode?: number }).closeCode;
}

/** How many peers a transport holds (UDP: addresses it knows). */
function transportPeers(server: ChatServer, kind: PeerKind): number {
  return server.transports[kind]!.stats().peers;
}

interface Room {
  server: ChatServer;
  events: ServerEvent[];
  /** Opens the next peer; it has not necessarily joined yet (a UDP peer joins with its first message). */
  open(): Promise<TestPeer>;
  /** Opens the next peer and waits until it has joined (and taken `name`, when given). */
  join(name?: string): Promise<TestPeer>;
}

/** A server for one test, its peers opened in the setup's order of transports. */
async function withRoom(setup: TransportSetup, options: Partial<ChatServerOptions>, body: (room: Room) => Promise<void>): Promise<void> {
  let opened = 0;
  const server = {
    transport: setup.transport,
    ...(setup.framing ? { framing: setup.framing } : {}),
    ...(setup.web ? { web: { port: 0 } } : {}),
    ...options,
  };
  await withChatRoom(server, ({ server, events, open, join }) =>
    body({ server, events, open: () => open(setup.peer(opened++)), join: (name) => join(setup.peer(opened++), name) }),
  );
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

  test('a private message reaches its target alone, marked [private], and its sender gets a confirmation', async () => {
    await withRoom(setup, {}, async ({ events, join }) => {
      const [a, b, c] = [await join('alice'), await join('bob'), await join('carol')];
      a.send('to|bob|psst');
      await b.waitFor('[private] <alice> psst');
      await a.waitFor('[private to bob] <alice> psst');
      a.send('/msg BOB again');
      await b.waitFor('[private] <alice> again');
      await a.waitFor('[private to bob] <alice> again');
      await sync(c, 'c');
      assert.not.ok(c.lines.some((l) => l.includes('psst') || l.includes('again')), 'a private message leaked');
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
        ['/pong t1', '/pong x-2', '/pong ünï3', '/pong'],
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
      assert.equal(leaves(events), [
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

  test('with echoSelf a chat line goes back to its sender too', async () => {
    await withRoom(setup, { echoSelf: true }, async ({ join }) => {
      const [a, b] = [await join(), await join()];
      a.send('me too');
      await a.waitFor(`<${a.address}> me too`);
      await b.waitFor(`<${a.address}> me too`);
    });
  });

  test('a message far over the limit is never relayed: refused with a ! on UDP and TCP, the WebSocket closed with 1009', async () => {
    await withRoom(setup, { limits: { maxMessageBytes: 100 } }, async ({ server, events, join }) => {
      const [a, b] = [await join('big'), await join()];
      a.send('y'.repeat(5000));
      const closes = TRAITS[a.kind].farOversizeCloses;
      if (closes === undefined) {
        await a.waitFor('! message too long: 5000 bytes, the limit is 100; not sent');
        assert.equal(errorCodes(events), ['ERR_MESSAGE_TOO_LONG']);
        await sync(a, 'still served');
      } else {
        // Refused by ws before it is buffered: the connection ends, and the room says why it went.
        await (a as StreamTestPeer).waitForEnd(2000);
        await b.waitFor('* big left (dropped: message too long)');
        assert.is(closeCode(a), closes);
        assert.equal(leaves(events), [['big', 'dropped']]);
      }
      assert.is(server.counters().drops.tooLong, 1);
      await sync(b, 'b');
      assert.not.ok(b.lines.some((l) => l.includes('yyyy')), 'the oversize message was relayed');
    });
  });

  test('invalid UTF-8 becomes U+FFFD and control characters are escaped; the room keeps serving', async () => {
    await withRoom(setup, {}, async ({ join }) => {
      const [a, b, c] = [await join('a'), await join('b'), await join('c')];
      a.send(Uint8Array.from([0x68, 0x69, 0xff, 0xfe, 0xc3, 0x28, 0x21]));
      await b.waitFor('<a> hi\uFFFD\uFFFD\uFFFD(!');
      a.send('\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\x00\x7f done');
      await b.waitFor(String.raw`<a> \x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\x00\x7f done`);
      a.send('rename|\x1b[31mred');
      await a.waitFor(/^! a name has only/);
      b.send('still here');
      await c.waitFor('<b> still here');
      await a.waitFor('<b> still here');
      const controls = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
      for (const p of [a, b, c]) for (const line of p.lines) assert.not.ok(controls.test(line), `control character in ${JSON.stringify(line)}`);
    });
  });

  test('a peer beyond maxPeers is told the room is full and turned away, unannounced, and the room goes on', async () => {
    await withRoom(setup, { limits: { maxPeers: 1 } }, async ({ server, events, join, open }) => {
      const a = await join();
      const b = await open();
      knock(b);
      await b.waitFor(/^! room full/);
      // TCP, WebSocket: the turned-away connection is ended, not kept until the server stops.
      if (isStream(b)) await b.waitForEnd(1000);
      assert.is(closeCode(b), TRAITS[b.kind].turnedAwayCode);
      assert.equal(errorCodes(events), ['ERR_ROOM_FULL']);
      assert.is(server.counters().rejected, 1);
      assert.is(server.room.size, 1);
      // Nothing of it is kept: the transport knows only the peer that is in.
      await eventually(() => transportPeers(server, b.kind) === (a.kind === b.kind ? 1 : 0), 2000, `the ${b.kind} transport letting it go`);
      await sync(a, 'still');
      assert.not.ok(a.lines.some((l) => l.includes('joined')), 'the turned-away peer was announced');
    });
  });

  test('a peer that never reads is dropped as not reading if its send queue backs up (TCP, WebSocket); a UDP peer has no queue and stays', async () => {
    // The flood is thousands of lines: the message rate limit, another defence, is off here.
    await withRoom(setup, { limits: { maxQueueBytes: 64 * 1024, messageBurst: 0, messageRate: 0 } }, async ({ server, join }) => {
      const peers = [await join(), await join(), await join()];
      // The peer that stops reading is a stream one when the mix has one: that is the one with a queue.
      const slow = peers.find(isStream) ?? peers[0]!;
      const [flood, reader] = peers.filter((p) => p !== slow) as [TestPeer, TestPeer];
      for (const [p, name] of [[slow, 'slow'], [flood, 'flood'], [reader, 'reader']] as const) await rename(p, name);
      const dropped = TRAITS[slow.kind].droppedWhenNotReading;
      slow.stopReading();
      const pad = 'x'.repeat(1000);
      const line = (n: number) => `${String(n).padStart(6, '0')} ${pad}`;
      let sent = 0;
      const batch = async () => {
        for (let i = 0; i < 20; i++) flood.send(line(sent++));
        // Paced: the reader takes in each batch before the next, so it is never a slow reader itself.
        // A batch must stay well under what the kernel and the 64 KB queue hold together: the server
        // may read a whole batch at once and write it to every peer before the reader's turn to read.
        await reader.waitFor(`<flood> ${line(sent - 1)}`, 5000);
      };
      // A stream: loopback kernel buffers hold a few MB before the server's own queue grows (~200
      // batches). UDP: four times the queue's bytes would have dropped a stream peer's queue.
      const done = () => (dropped ? reader.lines.includes('* slow left (dropped: not reading)') : sent * pad.length > 4 * 64 * 1024);
      while (!done()) {
        if (sent >= 30_000) throw new Error(`the slow peer was not dropped after ${sent} lines`);
        await batch();
      }
      await batch();
      const got = reader.lines.filter((l) => l.startsWith('<flood> ')).map((l) => l.slice('<flood> '.length));
      assert.is(got.length, sent);
      for (let n = 0; n < sent; n++) if (got[n] !== line(n)) assert.unreachable(`line ${n} is ${got[n]?.slice(0, 12)}`);
      assert.is(server.counters().drops.notReading, dropped ? 1 : 0);
      assert.is(Boolean(server.room.find('slow')), !dropped, dropped ? 'the slow peer is still in the room' : 'a UDP peer was dropped');
      assert.ok(server.room.find('reader') && server.room.find('flood'), 'a reading peer was dropped');
      const left = peers.filter((p) => p.kind === slow.kind).length - (dropped ? 1 : 0);
      await eventually(() => transportPeers(server, slow.kind) === left, 2000, `${left} ${slow.kind} peers left`);
    });
  });

  test('closing the server tells every peer it is shutting down and ends every connection', async () => {
    await withRoom(setup, {}, async ({ server, events, join }) => {
      const peers = [await join('a'), await join('b'), await join('c')];
      await server.close();
      for (const p of peers) await p.waitFor('* server shutting down');
      for (const p of peers.filter(isStream)) {
        await p.waitForEnd(2000);
        assert.is(closeCode(p), TRAITS[p.kind].shutdownCode);
      }
      assert.equal(leaves(events), [
        ['a', 'shutdown'],
        ['b', 'shutdown'],
        ['c', 'shutdown'],
      ]);
      assert.is(events.at(-1)?.type, 'stop');
      for (const p of peers) assert.not.ok(p.lines.some((l) => l.includes(' left (')), 'a departure was announced at shutdown');
    });
  });

  test.run();
}
