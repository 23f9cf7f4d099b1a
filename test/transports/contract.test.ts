/**
 * The room's contract over every transport mix: UDP, TCP with lines, TCP with length frames
 * (big- and little-endian), WebSocket, UDP and TCP on one port, and all three in one room.
 */
import { runContract } from './contract.js';

runContract({ name: 'udp-only', transport: 'udp', peer: () => 'udp' });
runContract({ name: 'tcp-line', transport: 'tcp', peer: () => 'tcp' });
// Peers alternate, so every test has UDP and TCP peers talking to each other on the one port.
runContract({ name: 'udp+tcp', transport: 'both', peer: (i) => (i % 2 === 0 ? 'udp' : 'tcp') });
runContract({ name: 'tcp-length', transport: 'tcp', framing: 'length', peer: () => 'tcp' });
runContract({ name: 'tcp-length-le', transport: 'tcp', framing: 'length-le', peer: () => 'tcp' });
runContract({ name: 'ws-only', transport: 'udp', web: true, peer: () => 'ws' });
// udp, tcp, ws, udp, ...: each test's peers cover all three transports in one room.
runContract({ name: 'udp+tcp+ws', transport: 'both', web: true, peer: (i) => (['udp', 'tcp', 'ws'] as const)[i % 3]! });
