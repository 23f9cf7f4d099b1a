/**
 * The relay benchmark's forked child: the sender and the N receivers, so on a 2-core machine
 * they do not take the relay's CPU. It answers the parent's requests one at a time.
 */
import { answerRequests } from '../harness/process.js';
import { runTcpLoad, closeTcpSockets } from './tcp.js';
import type { FromChild, ToChild } from './trial.js';
import { closeUdpSockets, joinUdpRooms, openUdpSockets, runUdpLoad } from './udp.js';

const started = (): void => {
  process.send?.({ type: 'started' } satisfies FromChild);
};

answerRequests<ToChild, FromChild>(
  (msg) => (msg.type === 'open' ? openUdpSockets(msg) : msg.type === 'udp-join' ? joinUdpRooms(msg) : msg.type === 'udp-run' ? runUdpLoad(msg, started) : runTcpLoad(msg, started)),
  async () => {
    closeTcpSockets();
    await closeUdpSockets();
  },
);
