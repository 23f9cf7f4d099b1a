/** The registry: every transport in it starts from a room's context, reports, and closes. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Room } from '../../src/core/room.js';
import { TRANSPORT_NAMES, TRANSPORTS, type TransportSpec } from '../../src/transports/registry.js';

const test = suite('the transport registry');

const spec: TransportSpec = {
  host: '127.0.0.1',
  webHost: '127.0.0.1',
  framing: 'line',
  validate: false,
  origins: [],
  stats: () => ({ peerTimeoutMs: 1, maxMessageBytes: 1, counters: { ...new Room().counters, peers: 0 } }),
};

test('the names are the registry keys, and each entry says which port it takes', () => {
  assert.equal(TRANSPORT_NAMES, Object.keys(TRANSPORTS));
  for (const name of TRANSPORT_NAMES) assert.ok(['room', 'web'].includes(TRANSPORTS[name].port), name);
});

test('every transport listens on 127.0.0.1 port 0, names itself, reports zero stats and closes', async () => {
  for (const name of TRANSPORT_NAMES) {
    const room = new Room();
    const transport = await (TRANSPORTS[name] as { listen(...a: unknown[]): ReturnType<(typeof TRANSPORTS)['udp']['listen']> }).listen(room.contextFor(), spec, 0);
    try {
      assert.is(transport.name, name);
      assert.is(transport.address().address, '127.0.0.1');
      assert.ok(transport.address().port > 0, name);
      // UDP also says what the OS dropped of its datagrams: 0 on Linux, null where the OS does not tell.
      const { kernelDrops, ...stats } = transport.stats();
      assert.equal(stats, { peers: 0, socketErrors: 0, challenges: 0 }, name);
      if (name === 'udp') assert.is(kernelDrops, process.platform === 'linux' ? 0 : null);
      else assert.is(kernelDrops, undefined, name);
    } finally {
      room.close();
      await transport.close();
    }
  }
});

test.run();
