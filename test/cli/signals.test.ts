import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { STOP_SIGNALS } from '../../src/cli/signals.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { Output, start, stop } from '../helpers/spawn.js';

const signals = suite('the signals that stop a server or a client');

signals('the stop signals include SIGHUP everywhere and SIGBREAK on Windows only', () => {
  assert.ok(STOP_SIGNALS.includes('SIGINT') && STOP_SIGNALS.includes('SIGTERM') && STOP_SIGNALS.includes('SIGHUP'));
  assert.is(STOP_SIGNALS.includes('SIGBREAK'), process.platform === 'win32');
});

// A terminal closed under a running room (an ssh session dropped): SIGHUP. Node's default for it
// is to die at once, which would leave the peers talking to nobody until their timeout.
signals('serve on SIGHUP tells its peers the server is shutting down and exits 0', async () => {
  const child = start(['serve', '--port', '0']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const banner = await out.next(/^udp-chat room on udp 127\.0\.0\.1 port \d+/);
    const port = Number(/port (\d+)/.exec(banner)![1]);
    peer.send(port, 'rename|hup');
    await out.next(/is now hup/);
    assert.is(await stop(child, 'SIGHUP'), 0);
    await peer.waitFor('* server shutting down');
  } finally {
    peer.close();
    await stop(child, 'SIGKILL');
  }
});

signals.run();
