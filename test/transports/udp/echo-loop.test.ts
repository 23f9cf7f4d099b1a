/**
 * Item 1, the room's part, on real sockets: echo services joined to an open loopback room are
 * dropped as echo loops within a second, and a later line does not start the loop again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { startEchoServer, type EchoServer } from '../../../src/servers/echo-server.js';
import { roomEchoLoop } from '../../../scripts/trust/room-echo-loop.js';
import { eventually, UdpPeer } from '../../helpers/udp-peer.js';

const test = suite('echo services in a room, on real sockets');

test('two reflectors (nc -u -l piped back) in one room: both dropped within a second; a later line reaches neither', async () => {
  const r = await roomEchoLoop(1000);
  assert.ok(r.stoppedAfterMs !== null, `still bouncing after a second: ${r.reflected} datagrams reflected, echoLoop ${r.echoLoop}`);
  assert.ok(r.told, 'the room was not told `left (dropped: echo loop)` for both');
  assert.is(r.echoLoop, 2);
  assert.is(r.reachedAfter, 0);
});

test('two `udp-chat echo` servers made to join one room by a datagram from its address stop within a second', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const person = await UdpPeer.open();
  const echoes: EchoServer[] = [];
  try {
    person.send(server.port, '/nick ann');
    await person.waitFor(/^\* .* is now ann$/);
    for (let i = 0; i < 2; i++) {
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0 });
      echoes.push(echo);
      // What a forged datagram with the room's source does: the echo answers the room.
      server.transports.udp!.socket.send('hi', echo.port, '127.0.0.1');
      await person.waitFor(`* 127.0.0.1:${echo.port} joined`);
    }
    await eventually(() => server.room.counters.drops.echoLoop === 2, 1000, 'both echo services dropped');
    for (const echo of echoes) await person.waitFor(`* 127.0.0.1:${echo.port} left (dropped: echo loop)`);
    // Their goodbyes are on the way to them: once two pings have come back, they have been read.
    for (const token of ['sync-1', 'sync-2']) {
      person.send(server.port, `/ping ${token}`);
      await person.waitFor(`/pong ${token}`);
    }
    const answered = echoes.map((e) => e.counters.datagrams);
    person.send(server.port, 'anyone?');
    for (const token of ['sync-3', 'sync-4']) {
      person.send(server.port, `/ping ${token}`);
      await person.waitFor(`/pong ${token}`);
    }
    assert.equal(echoes.map((e) => e.counters.datagrams), answered, 'a later line reached an echo');
    assert.is(server.room.size, 1);
  } finally {
    person.close();
    for (const echo of echoes) await echo.close();
    await server.close();
  }
});

test.run();
