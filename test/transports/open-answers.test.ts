import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Room } from '../../src/core/room.js';
import { UdpTransport } from '../../src/transports/udp.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('answers to unproven addresses in an open room off loopback');

test('welcomes and refusals to joining addresses are rate-limited per source prefix, joins still happen', async () => {
  // limitOpenAnswers is what a room bound to 0.0.0.0 with --open gets; tests stay on 127.0.0.1.
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 3, maxPeersPerIp: 0, joinsPerIpPerMinute: 0 } });
  const udp = await UdpTransport.listen(room, { host: '127.0.0.1', port: 0, limitOpenAnswers: true });
  const sockets: dgram.Socket[] = [];
  let answers = 0;
  try {
    for (let i = 0; i < 10; i++) {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      s.on('message', (msg) => {
        if (String(msg).startsWith('* welcome')) answers += 1;
      });
      sockets.push(s);
      s.send('hi', udp.address().port, '127.0.0.1');
    }
    await eventually(() => room.size === 10, 2000, 'ten joins');
    // Every welcome not dropped arrives (loopback); which sockets read first is up to the poller.
    await eventually(() => answers === 10 - room.counters.drops.unvalidated, 2000, 'welcomes sent = welcomes heard');
    assert.ok(answers <= 3, `${answers} welcomes went out`);
    assert.ok(answers >= 1);
  } finally {
    for (const s of sockets) s.close();
    await udp.close();
  }
});

test('on loopback an open room answers every joining address', async () => {
  const room = new Room({ limits: { unvalidatedRepliesPerSecond: 1 } });
  const udp = await UdpTransport.listen(room, { host: '127.0.0.1', port: 0 });
  const sockets: dgram.Socket[] = [];
  let answers = 0;
  try {
    for (let i = 0; i < 4; i++) {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      s.on('message', (msg) => {
        if (String(msg).startsWith('* welcome')) answers += 1;
      });
      sockets.push(s);
      s.send('hi', udp.address().port, '127.0.0.1');
    }
    await eventually(() => answers === 4, 2000, 'four welcomes');
    assert.is(room.counters.drops.unvalidated, 0);
  } finally {
    for (const s of sockets) s.close();
    await udp.close();
  }
});

test.run();
