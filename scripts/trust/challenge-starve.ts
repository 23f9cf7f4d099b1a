/**
 * Item 6: join tokens for a whole /24 starved by one sender. A validating room (as bound off
 * loopback); 127.0.0.1 sends 20 junk datagrams a second, each from a fresh port, while
 * 127.0.0.2, in the same /24, joins ten times the way a client does (a datagram, the challenge,
 * `/join TOKEN`, the welcome). With one challenge budget per /24 the flood took every token
 * (0 to 2 joins of 10); with a budget per address under a larger /24 ceiling, the neighbour
 * keeps its own.
 *
 * Checks: at least 9 of the 10 honest joins succeed; and the flooding address is still held to
 * its own budget (what it got back is within a burst and the rate over the run).
 */
import type dgram from 'node:dgram';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { closeUdp } from '../harness/sockets.js';
import { bindOn, canBind, nextMatch } from './loopback-addresses.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

const FLOODER = '127.0.0.1';
const NEIGHBOUR = '127.0.0.2';
const JUNK_PER_SECOND = 20;
const JOINS = 10;
const CHALLENGE = /^\* to join, send: \/join ([A-Za-z0-9_-]{12})$/;

/** One join from the neighbour on a fresh port; true when it was welcomed. */
async function join(port: number): Promise<boolean> {
  const socket = await bindOn(NEIGHBOUR);
  try {
    socket.send('hello', port, FLOODER);
    const challenge = await nextMatch(socket, CHALLENGE, 400);
    if (!challenge) return false;
    const welcome = nextMatch(socket, /^\* welcome /, 1000);
    socket.send(`/join ${CHALLENGE.exec(challenge)![1]}`, port, FLOODER);
    if (!(await welcome)) return false;
    socket.send('/quit', port, FLOODER);
    return true;
  } finally {
    await closeUdp(socket);
  }
}

export const challengeStarve: TrustScenario = {
  item: 6,
  name: 'challenge starvation',
  async run({ budgetMs }) {
    if (!(await canBind(NEIGHBOUR))) return [{ name: 'honest joins from a neighbour', pass: true, skipped: true, detail: `cannot bind ${NEIGHBOUR} here` }];
    const server = await startChatServer({ host: FLOODER, port: 0, open: false });
    const flood: dgram.Socket[] = [];
    let answeredFlooder = 0;
    let stopped = false;
    const started = performance.now();
    // Each junk datagram from a socket of its own (a fresh port), kept open to count what comes back.
    const attack = (async () => {
      while (!stopped && flood.length < (budgetMs / 1000) * JUNK_PER_SECOND) {
        const socket = await bindOn(FLOODER);
        socket.on('message', () => (answeredFlooder += 1));
        flood.push(socket);
        socket.send(`junk ${flood.length}`, server.port, FLOODER);
        await delay(1000 / JUNK_PER_SECOND);
      }
    })();
    try {
      // Let the flood spend whatever budget it can reach before the first honest join.
      await delay(500);
      let joined = 0;
      for (let i = 0; i < JOINS; i++) {
        if (await join(server.port)) joined += 1;
        await delay(120);
      }
      stopped = true;
      await attack;
      const seconds = (performance.now() - started) / 1000;
      const own = DEFAULT_LIMITS.unvalidatedRepliesPerSecond;
      const most = Math.ceil(own + own * seconds);
      const checks: TrustCheck[] = [
        {
          name: `honest joins from ${NEIGHBOUR} under ${JUNK_PER_SECOND} junk datagrams a second from ${FLOODER}`,
          pass: joined >= 9,
          detail: `${joined}/${JOINS} joined (at least 9); ${flood.length} junk datagrams from fresh ports`,
        },
        {
          name: 'the flooding address gets no more than its own challenge budget',
          pass: answeredFlooder <= most,
          detail: `${answeredFlooder} challenges to ${FLOODER} in ${seconds.toFixed(1)} s (at most ${most}: a burst of ${own}, then ${own} a second)`,
        },
      ];
      return checks;
    } finally {
      stopped = true;
      await attack;
      for (const socket of flood) await closeUdp(socket);
      await server.close();
    }
  },
};
