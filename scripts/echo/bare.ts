/**
 * The bare echo servers, the baselines of bench-echo, a few lines each:
 * `node dist/scripts/echo/bare.js udp|tcp`. The port goes to stdout; the end of stdin (the
 * parent gone, however it went) ends the process, so a crashed run leaves no server behind.
 */
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import { HOST } from '../harness/sockets.js';

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
if (process.argv[2] === 'udp') {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.on('error', () => {});
  socket.bind(0, HOST, () => process.stdout.write(`port ${socket.address().port}\n`));
} else {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, HOST, () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
}
