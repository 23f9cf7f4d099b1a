/** listening(): one place for the listen-or-fail race, on real sockets. */
import dgram from 'node:dgram';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listening } from '../../src/transports/bind.js';

const test = suite('listening');

test('resolves with the bound socket or server', async () => {
  const udp = await listening(dgram.createSocket('udp4'), (s) => s.bind(0, '127.0.0.1'));
  const tcp = await listening(net.createServer(), (s) => s.listen(0, '127.0.0.1'));
  try {
    assert.ok(udp.address().port > 0);
    assert.ok((tcp.address() as net.AddressInfo).port > 0);
  } finally {
    udp.close();
    tcp.close();
  }
});

test('a port in use rejects with EADDRINUSE, for a datagram socket and a stream server alike', async () => {
  const held = await listening(dgram.createSocket('udp4'), (s) => s.bind(0, '127.0.0.1'));
  const server = await listening(net.createServer(), (s) => s.listen(0, '127.0.0.1'));
  try {
    const codes: (string | undefined)[] = [];
    for (const attempt of [
      () => listening(dgram.createSocket('udp4'), (s) => s.bind(held.address().port, '127.0.0.1')),
      () => listening(net.createServer(), (s) => s.listen((server.address() as net.AddressInfo).port, '127.0.0.1')),
    ]) {
      try {
        await attempt();
        codes.push('bound');
      } catch (err) {
        codes.push((err as NodeJS.ErrnoException).code);
      }
    }
    assert.equal(codes, ['EADDRINUSE', 'EADDRINUSE']);
  } finally {
    held.close();
    server.close();
  }
});

test.run();
