/**
 * The OS's count of datagrams the server's own socket dropped (a full receive buffer): read from
 * /proc/net/udp{,6} on Linux, `not available` elsewhere, and shown in --json, --stats and /stats.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../../src/servers/chat-server.js';
import { kernelDrops, procAddress } from '../../../src/transports/udp/kernel-drops.js';
import type { WebStats } from '../../../src/transports/ws/page.js';
import { Output, start, stop } from '../../helpers/spawn.js';

const parse = suite('reading /proc/net/udp');

const HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n';
const row = (local: string, drops: number) => `  12: ${local} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 ${drops}\n`;

parse('addresses are 32-bit words in the machine\'s byte order', () => {
  assert.is(procAddress('0100007F', true), '127.0.0.1');
  assert.is(procAddress('7F000001', false), '127.0.0.1');
  assert.is(procAddress('00000000', true), '0.0.0.0');
  assert.is(procAddress('00000000000000000000000001000000', true), '0:0:0:0:0:0:0:1');
  assert.is(procAddress('00000000000000000000000000000001', false), '0:0:0:0:0:0:0:1');
  assert.is(procAddress('B80D0120000000000000000001000000', true), '2001:db8:0:0:0:0:0:1');
  assert.is(procAddress('nothex', true), undefined);
  assert.is(procAddress('0100', true), undefined);
});

parse('the row is found by local address and port; another address on the port is another socket', () => {
  // The rows are written as a little-endian machine writes them; procAddress is tested both ways above.
  if (procAddress('0100007F') !== '127.0.0.1') return console.log('  skipped: a big-endian machine');
  const table = HEADER + row('0100007F:2328', 5) + row('0200007F:2328', 7) + row('0100007F:2329', 9);
  const read = () => table;
  assert.is(kernelDrops('127.0.0.1', 9000, 'IPv4', read), 5);
  assert.is(kernelDrops('127.0.0.2', 9000, 'IPv4', read), 7);
  assert.is(kernelDrops('127.0.0.1', 9001, 'IPv4', read), 9);
  assert.is(kernelDrops('127.0.0.3', 9000, 'IPv4', read), null, 'no row: not available');
  const v6 = HEADER + row('00000000000000000000000001000000:2328', 3) + row('00000000000000000000000000000000:2328', 4);
  assert.is(kernelDrops('::1', 9000, 'IPv6', () => v6), 3);
  assert.is(kernelDrops('::', 9000, 'IPv6', () => v6), 4);
});

parse('where there is no /proc/net/udp the answer is null (not available), never 0', () => {
  assert.is(
    kernelDrops('127.0.0.1', 9000, 'IPv4', () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    }),
    null,
  );
  assert.is(kernelDrops('127.0.0.1', 9000, 'IPv4', () => HEADER + '  garbage\n'), null);
});

parse.run();

const live = suite('kernel drops of a live server');

live('a server reports its socket\'s drops in counters() and in the page\'s /stats', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, web: { port: 0 } });
  try {
    const expected = process.platform === 'linux' ? 0 : 'not available';
    assert.is(server.counters().kernelDrops, expected);
    const response = await fetch(`http://127.0.0.1:${server.transports.ws!.port}/stats`, { signal: AbortSignal.timeout(2000) });
    const stats = (await response.json()) as WebStats;
    assert.is(stats.counters.kernelDrops, expected);
  } finally {
    await server.close();
  }
});

live('a TCP-only server has no datagrams to lose: 0', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'tcp' });
  try {
    assert.is(server.counters().kernelDrops, 0);
  } finally {
    await server.close();
  }
});

live('serve --json: datagrams sent while the server could not read are counted, and shown at stop and in --stats', async () => {
  if (process.platform !== 'linux') return console.log('  skipped: the OS does not count them here');
  const child = start(['serve', '--port', '0', '--json', '--stats', '100ms']);
  const out = new Output(child);
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  try {
    const port = (JSON.parse(await out.next(/"event":"start"/)) as { port: number }).port;
    assert.match(await out.next(/"event":"stats"/), /"kernelDrops":0\b/);
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    // A stopped server reads nothing: 400 datagrams of 60 KB overflow any receive buffer it may have (at most 8 MiB).
    child.kill('SIGSTOP');
    const big = Buffer.alloc(60_000, 0x61);
    for (let i = 0; i < 400; i++) await new Promise<void>((resolve) => socket.send(big, port, '127.0.0.1', () => resolve()));
    child.kill('SIGCONT');
    const line = await out.next(/"event":"stats".*"kernelDrops":[1-9]/, 5000);
    const drops = (JSON.parse(line) as { counters: { kernelDrops: number } }).counters.kernelDrops;
    assert.ok(drops > 0 && drops <= 400, String(drops));
    assert.is(await stop(child), 0);
    assert.match(await out.next(/"event":"stop"/), new RegExp(`"kernelDrops":${drops}\\b`));
  } finally {
    socket.close();
    child.kill('SIGCONT');
    if (child.exitCode === null) await stop(child, 'SIGKILL').catch(() => {});
  }
});

live('serve --stats prints kernelDrops with the counters', async () => {
  const child = start(['serve', '--port', '0', '--stats', '100ms']);
  const out = new Output(child);
  try {
    const line = await out.next(/stats: /);
    assert.match(line, process.platform === 'linux' ? /\bkernelDrops=0\b/ : /\bkernelDrops=not available\b/);
  } finally {
    await stop(child);
  }
});

live.run();
