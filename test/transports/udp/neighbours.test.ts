/**
 * Join challenges under a neighbour's flood (transports/udp/transport.ts, transports/source-limiter.ts):
 * each source address has its own challenge budget under a larger ceiling for its /24, so one
 * address sending junk from fresh ports cannot take the join tokens of the other addresses of
 * its network. 127.0.0.1 and 127.0.0.2 are one /24, and ordinary sockets bind both on Linux.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { UdpPeer, eventually } from '../../helpers/udp-peer.js';

const CHALLENGE = /^\* to join, send: \/join ([A-Za-z0-9_-]{12})$/;
const NEIGHBOUR = '127.0.0.2';

/** True when this machine lets a socket bind 127.0.0.2 (Linux does; macOS needs an alias). */
async function canBindNeighbour(): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  try {
    s.bind(0, NEIGHBOUR);
    await once(s, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

/** Junk from 127.0.0.1 at `perSecond`, each datagram from a fresh port (a socket opened and closed for it). */
function flood(port: number, perSecond: number): { sent: () => number; stop: () => void } {
  let sent = 0;
  const timer = setInterval(() => {
    const s = dgram.createSocket('udp4');
    s.send(`junk ${sent++}`, port, '127.0.0.1', () => s.close());
  }, 1000 / perSecond);
  return { sent: () => sent, stop: () => clearInterval(timer) };
}

/** One honest join from 127.0.0.2 on a fresh port: a datagram, the challenge, the token back, the welcome. */
async function honestJoin(port: number): Promise<boolean> {
  const peer = await UdpPeer.open(NEIGHBOUR);
  try {
    peer.send(port, 'hello');
    const challenge = await peer.waitFor(CHALLENGE, 400).catch(() => undefined);
    if (!challenge) return false;
    peer.send(port, `/join ${CHALLENGE.exec(challenge)![1]}`);
    await peer.waitFor(/^\* welcome /, 1000);
    peer.send(port, '/quit');
    await peer.waitFor('* bye', 1000);
    return true;
  } catch {
    return false;
  } finally {
    peer.close();
  }
}

const test = suite('UDP join challenges: one address cannot starve its /24');

test('under 20 junk datagrams a second from fresh ports of 127.0.0.1, at least 9 of 10 joins from 127.0.0.2 succeed', async () => {
  if (!(await canBindNeighbour())) return console.log('  (skipped: this machine cannot bind 127.0.0.2)');
  // Validation on, as bound off loopback; the default limits.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, open: false });
  const attack = flood(server.port, 20);
  try {
    // The attack has had time to spend any budget it can before the first honest join.
    await eventually(() => server.room.counters.drops.unvalidated >= 8, 2000, 'the flood reaching the server');
    let joined = 0;
    for (let i = 0; i < 10; i++) {
      if (await honestJoin(server.port)) joined += 1;
      // Spaced as people join, and within 127.0.0.2's own budget (5 a second).
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const unvalidated = server.room.counters.drops.unvalidated;
    assert.ok(joined >= 9, `${joined}/10 honest joins succeeded under the flood (${attack.sent()} junk datagrams, ${unvalidated} unvalidated)`);
  } finally {
    attack.stop();
    await server.close();
  }
});

test.run();
