import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Room } from '../../../src/core/room.js';
import { UdpTransport } from '../../../src/transports/udp/transport.js';
import { eventually } from '../../helpers/udp-peer.js';

const test = suite('answers to unproven addresses in an open room off loopback');

/** `count` sockets that each send one first datagram to the room, counting the welcomes they get. */
async function join(port: number, count: number) {
  const sockets: dgram.Socket[] = [];
  const joiners = {
    welcomes: 0,
    close: () => sockets.forEach((s) => s.close()),
  };
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    sockets.push(s);
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    s.on('message', (msg) => {
      if (String(msg).startsWith('* welcome')) joiners.welcomes += 1;
    });
    s.send('hi', port, '127.0.0.1');
  }
  return joiners;
}

test('welcomes and refusals to joining addresses are rate-limited per source prefix, joins still happen', async () => {
  // limitOpenAnswers is what a room bound to 0.0.0.0 with --open gets; tests stay on 127.0.0.1.
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 3, maxPeersPerIp: 0, joinsPerIpPerMinute: 0 } });
  const udp = await UdpTransport.listen(room.contextFor(), { host: '127.0.0.1', port: 0, limitOpenAnswers: true });
  let joiners: Awaited<ReturnType<typeof join>> | undefined;
  try {
    joiners = await join(udp.address().port, 10);
    await eventually(() => room.size === 10, 2000, 'ten joins');
    // Every welcome not dropped arrives (loopback); which sockets read first is up to the poller.
    await eventually(() => joiners!.welcomes === 10 - room.counters.drops.unvalidated, 2000, 'welcomes sent = welcomes heard');
    assert.ok(joiners!.welcomes <= 3, `${joiners!.welcomes} welcomes went out`);
    assert.ok(joiners!.welcomes >= 1);
  } finally {
    joiners?.close();
    await udp.close();
  }
});

test('on loopback an open room answers every joining address', async () => {
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 1 } });
  const udp = await UdpTransport.listen(room.contextFor(), { host: '127.0.0.1', port: 0 });
  let joiners: Awaited<ReturnType<typeof join>> | undefined;
  try {
    joiners = await join(udp.address().port, 4);
    await eventually(() => joiners!.welcomes === 4, 2000, 'four welcomes');
    assert.is(room.counters.drops.unvalidated, 0);
  } finally {
    joiners?.close();
    await udp.close();
  }
});

test.run();
