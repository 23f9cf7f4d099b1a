/** The client contract over each client connection: UDP, TCP with line and length frames (big- and little-endian), WebSocket. */
import { runClientContract } from './contract.js';

runClientContract({ name: 'udp', transport: 'udp', stream: false });
runClientContract({ name: 'tcp', transport: 'tcp', framing: 'line', stream: true });
runClientContract({ name: 'tcp-length', transport: 'tcp', framing: 'length', stream: true });
runClientContract({ name: 'tcp-length-le', transport: 'tcp', framing: 'length-le', stream: true });
runClientContract({ name: 'ws', transport: 'ws', stream: true });
