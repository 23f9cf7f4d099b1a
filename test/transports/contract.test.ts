/**
 * The room's contract over every transport mix: UDP, TCP, both on one port, TCP with length
 * frames, WebSocket, and all three in one room.
 */
import { runContract } from './contract.js';

runContract({ name: 'udp', transport: 'udp', peer: () => 'udp' });
runContract({ name: 'tcp', transport: 'tcp', peer: () => 'tcp' });
// Peers alternate, so every test has UDP and TCP peers talking to each other on the one port.
runContract({ name: 'mixed', transport: 'both', peer: (i) => (i % 2 === 0 ? 'udp' : 'tcp') });
runContract({ name: 'tcp-length', transport: 'tcp', framing: 'length', peer: () => 'tcp' });
runContract({ name: 'ws', transport: 'udp', web: true, peer: () => 'ws' });
// udp, tcp, ws, udp, ...: each test's peers cover all three transports in one room.
runContract({ name: 'udp+tcp+ws', transport: 'both', web: true, peer: (i) => (['udp', 'tcp', 'ws'] as const)[i % 3]! });
