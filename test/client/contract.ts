/**
 * The chat client's contract, written once and run over each of its connections (as MQTT.js runs
 * abstract_client over each transport): what openConnection, ChatSession and sendMessages promise
 * must not depend on whether the client talks UDP, TCP (line or length frames) or WebSocket.
 * What differs is only what the transport can know: a stream is welcomed as it connects, hears
 * the server close it, and leaves the room when it closes; UDP learns none of that.
 */
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openConnection, type Connection, type ConnectOptions } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import { ChatError } from '../../src/core/errors.js';
import type { ServerLine } from '../../src/core/lines.js';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../../src/servers/chat-server.js';
import type { FramingName } from '../../src/transports/framing.js';
import { LineLog } from '../helpers/line-log.js';
import { closedPort } from '../helpers/spawn.js';
import { eventually } from '../helpers/udp-peer.js';

/** One client connection to run the contract over. */
export interface ClientSetup {
  name: string;
  transport: 'udp' | 'tcp' | 'ws';
  /** TCP only: how the client and the server frame messages. */
  framing?: FramingName;
  /**
   * A stream (TCP, WebSocket): welcomed as it connects, told when the server closes it, and gone
   * from the room as soon as it closes. A UDP client joins with its first datagram and the server
   * learns of its going only from the peer timeout.
   */
  stream: boolean;
}

const WELCOME_REST = '; you are alone here; peer timeout 60s: send /ping (heartbeat) or anything to stay; /help lists commands';

/** Records a connection's lines and whether it saw the server end the connection. */
export function watch(connection: Connection) {
  const log = new LineLog();
  let ended = false;
  connection.on('line', (line) => log.push(line));
  connection.on('end', () => {
    ended = true;
    log.wake();
  });
  return { log, ended: () => ended };
}

/** The ChatError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<ChatError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.instance(err, ChatError);
  return err as ChatError;
}

interface Room {
  server: ChatServer;
  /** Opens a client to the room (not yet joined when it is UDP). */
  open(): Promise<Connection>;
  /** Where this setup's clients connect. */
  target: ConnectOptions;
}

/** A room this setup's clients can reach, its clients, and everything closed afterwards whatever happened. */
async function withRoom(setup: ClientSetup, options: Partial<ChatServerOptions>, body: (room: Room) => Promise<void>): Promise<void> {
  const server = await startChatServer({
    host: '127.0.0.1',
    port: 0,
    // A WebSocket client needs the web port; the room behind it can be any transport.
    transport: setup.transport === 'ws' ? 'udp' : setup.transport,
    ...(setup.framing ? { framing: setup.framing } : {}),
    ...(setup.transport === 'ws' ? { web: { port: 0 } } : {}),
    ...options,
  });
  const target: ConnectOptions = {
    host: '127.0.0.1',
    port: setup.transport === 'ws' ? server.transports.ws!.port : server.port,
    transport: setup.transport,
    ...(setup.framing ? { framing: setup.framing } : {}),
  };
  const clients: Connection[] = [];
  const open = async () => {
    const connection = await openConnection(target);
    clients.push(connection);
    return connection;
  };
  try {
    await body({ server, open, target });
  } finally {
    for (const client of clients) await client.close();
    await server.close();
  }
}

/** Runs the client contract over one connection. */
export function runClientContract(setup: ClientSetup): void {
  const test = suite(`the client contract over ${setup.name}`);

  /** Waits for the welcome; a UDP client must speak first, a stream is welcomed as it connects. */
  const welcomed = async (connection: Connection, log: LineLog, match: string | RegExp) => {
    if (!setup.stream) connection.send('/ping joined');
    await log.waitFor(match);
  };

  test('a client is named by its local address, talks to the room, and hears it shut down', async () => {
    await withRoom(setup, {}, async ({ server, open, target }) => {
      // Watched as soon as it is open: a stream's welcome comes at once, and a line with no listener is gone.
      const a = await open();
      const wa = watch(a);
      assert.is(a.transport, setup.transport);
      assert.is(a.remote, `127.0.0.1:${target.port}`);
      assert.match(a.local, /^127\.0\.0\.1:\d+$/);
      await welcomed(a, wa.log, `* welcome ${a.local}${WELCOME_REST}`);
      const b = await open();
      const wb = watch(b);
      await welcomed(b, wb.log, new RegExp(`^\\* welcome ${b.local.replace(/\./g, '\\.')}; 1 other here`));
      // Text and bytes, with and without their own newline: each is one message.
      a.send('hello');
      a.send(new TextEncoder().encode('bytes'));
      a.send(new TextEncoder().encode('bytes with a newline\n'));
      await wb.log.waitFor(`<${a.local}> hello`);
      await wb.log.waitFor(`<${a.local}> bytes`);
      await wb.log.waitFor(`<${a.local}> bytes with a newline`);
      await server.close();
      await wa.log.waitFor('* server shutting down');
      await wb.log.waitFor('* server shutting down');
      if (setup.stream) await eventually(() => wa.ended() && wb.ended(), 2000, "both clients hearing the server's close");
      // UDP has no end: the notice is all a datagram client hears.
      else assert.not.ok(wa.ended() || wb.ended(), 'a UDP client reported an end');
    });
  });

  test('a port where nothing listens is reported as ERR_CONNECTION_REFUSED', async () => {
    const port = await closedPort(setup.transport === 'udp' ? 'udp' : 'tcp');
    const target: ConnectOptions = { host: '127.0.0.1', port, transport: setup.transport, ...(setup.framing ? { framing: setup.framing } : {}) };
    if (setup.stream) {
      assert.is((await failure(openConnection(target))).code, 'ERR_CONNECTION_REFUSED');
      return;
    }
    // UDP has no handshake: the refusal is the ICMP answer to the first datagram.
    const connection = await openConnection(target);
    try {
      const error = once(connection, 'error', { signal: AbortSignal.timeout(2000) });
      connection.send('anyone?');
      const [err] = (await error) as [ChatError];
      assert.is(err.code, 'ERR_CONNECTION_REFUSED');
    } finally {
      await connection.close();
    }
  });

  test("a closed client sends nothing more, closing twice is harmless, and its own close is not reported as the server's", async () => {
    await withRoom(setup, {}, async ({ server, open }) => {
      const a = await open();
      const wa = watch(a);
      await welcomed(a, wa.log, /^\* welcome /);
      const local = a.local;
      await a.close();
      await a.close();
      a.send('too late');
      // Another client's ping answered: what a sent before it would have been handled by then.
      const probe = await open();
      const wp = watch(probe);
      probe.send('/ping sync');
      await wp.log.waitFor('/pong sync');
      // A stream's close is its leave; a UDP client stays in the room until its peer timeout.
      if (setup.stream) await eventually(() => server.room.size === 1, 1000, 'the room forgetting the client');
      else assert.is(server.room.size, 2);
      assert.is(server.counters().messages, 0);
      assert.not.ok(wa.ended(), "the client's own close was reported as the server's");
      assert.ok(local.startsWith('127.0.0.1:'));
    });
  });

  test('a session joins by name, keeps itself in with heartbeats, and gives the password when asked', async () => {
    await withRoom(setup, { peerTimeoutMs: 300, sweepIntervalMs: 20, password: 'pw' }, async ({ server, open }) => {
      const session = new ChatSession(await open(), { name: 'ann', password: 'pw' });
      const lines: ServerLine[] = [];
      session.on('line', (l) => lines.push(l));
      try {
        session.start();
        // The welcome comes before the rename on the one connection: by the rename, the heartbeat is set.
        await eventually(() => lines.some((l) => l.kind === 'notice' && l.text.endsWith('is now ann')), 2000, 'the rename notice');
        assert.is(session.heartbeatMs, 100);
        assert.ok(server.room.find('ann'));
        // Two silent peers expiring one after the other are the clock: by then the session, which
        // says nothing but its heartbeats, has been as quiet as each of them.
        for (const n of [1, 2]) {
          const silent = await open();
          const quiet = watch(silent);
          silent.send('/join pw');
          await quiet.log.waitFor(/^\* welcome /);
          await quiet.log.waitFor(/^\* you were dropped/, 3000);
          await silent.close();
          assert.is(server.counters().expired, n);
        }
        assert.ok(server.room.find('ann'), 'the session was expired: pongs alone do not keep it');
      } finally {
        await session.close();
      }
    });
  });

  test('quit through the session leaves the room at once', async () => {
    await withRoom(setup, {}, async ({ server, open }) => {
      const session = new ChatSession(await open(), { name: 'q' });
      const closed = once(session, 'closed', { signal: AbortSignal.timeout(2000) });
      try {
        session.start();
        await eventually(() => server.room.find('q') !== undefined, 2000, 'joined');
        session.say('/quit');
        await closed;
        await eventually(() => server.room.size === 0, 2000, 'left');
      } finally {
        await session.close();
      }
    });
  });

  test('sendMessages returns what came back within the wait', async () => {
    await withRoom(setup, {}, async ({ target }) => {
      const result = await sendMessages({ ...target, messages: ['/ping a', '/ping b', '/who'], waitMs: 200 });
      const got = JSON.stringify(result.received);
      assert.is(result.sent, 3);
      assert.ok(result.received.includes('/pong a') && result.received.includes('/pong b'), got);
      assert.ok(result.received.some((l) => /^\* \d+ peers? here:$/.test(l)), got);
      assert.ok(result.received.some((l) => new RegExp(`^\\*   \\S+ ${setup.transport} 127\\.0\\.0\\.1:\\d+ idle .* \\(you\\)$`).test(l)), got);
    });
  });

  test.run();
}
