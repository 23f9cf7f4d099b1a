/** `udp-chat proxy` from the command line: its flags, parsed in-process, and the built binary in front of real servers. */
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { UsageError } from '../../src/cli/cli.js';
import { probability, rate } from '../../src/cli/impairment-options.js';
import { ChatError } from '../../src/core/errors.js';
import { NO_IMPAIRMENT, seededPolicy } from '../../src/transports/policy.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { LineLog } from '../helpers/line-log.js';
import { lastJson, untimed } from '../helpers/json-lines.js';
import { Output, parsed, parseError, run, start, stop } from '../helpers/spawn.js';

const parse = suite('udp-chat proxy, parsed in-process');

parse('proxy listens on a free loopback port over UDP, impairs both ways, and changes nothing by default', async () => {
  const [name, argv] = await parsed(['proxy', '--to', '127.0.0.1:9000']);
  assert.is(name, 'proxy');
  assert.is(argv['listen'], '0');
  assert.is(argv['listen-host'], '127.0.0.1');
  assert.is(argv['transport'], 'udp');
  assert.is(argv['direction'], 'both');
  assert.is(argv['seed'], undefined);
  for (const flag of ['loss', 'delay', 'jitter', 'reorder', 'duplicate', 'bandwidth', 'latency', 'slice', 'coalesce', 'corrupt', 'queue']) assert.is(argv[flag], '0', flag);
  assert.is(argv['delay-dist'], 'fixed');
  assert.is(argv['json'], false);
  // The client table's guards are on by default: a capped table, new clients rate-limited per /24.
  assert.is(argv['max-clients'], '1024');
  assert.is(argv['client-rate'], '100');
});

parse('a probability is 0 to 1 or 0% to 100%; a rate is bytes a second with k, M or G, or bits with kbit, Mbit', () => {
  for (const [text, p] of [['0', 0], ['0.25', 0.25], ['25%', 0.25], ['1', 1], ['100%', 1], [' 0.5 ', 0.5]] as const) assert.is(probability(text, 'loss'), p, text);
  for (const text of ['1.01', '-0.1', '101%', 'abc', '', '%', 'NaN']) {
    assert.throws(() => probability(text, 'loss'), (err: ChatError) => err.code === 'ERR_BAD_ARGUMENT', JSON.stringify(text));
  }
  for (const [text, bytes] of [['125000', 125000], ['64k', 64000], ['1.5M', 1500000], ['1M/s', 1e6], ['64kB/s', 64000], ['2G', 2e9], ['0', 0], ['64kbit', 8000], ['10Mbit/s', 1_250_000], ['8 bit', 1]] as const) assert.is(rate(text, 'bandwidth'), bytes, text);
  for (const text of ['12x', '-1', 'k', '64 kbits', '1Mb', 'bit']) {
    assert.throws(() => rate(text, 'bandwidth'), (err: ChatError) => err.code === 'ERR_BAD_ARGUMENT', JSON.stringify(text));
  }
});

parse('a bad flag is refused by its code before the proxy starts', async () => {
  const to = ['proxy', '--to', '127.0.0.1:9000'];
  const cases: Array<[string[], string]> = [
    [[...to, '--loss', '1.5'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--duplicate', '200%'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--reorder', 'often'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--loss-correlation', '-1'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--bandwidth', 'fast'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--seed', '-1'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--seed', '4.2'], 'ERR_BAD_ARGUMENT'],
    // The generator keeps 32 bits: 2^32 would silently be seed 0's run.
    [[...to, '--seed', '4294967296'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--slice', '1.5'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--max-clients', '-1'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--client-rate', 'many'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--delay', 'soon'], 'ERR_BAD_DURATION'],
    [[...to, '--rto', '10x'], 'ERR_BAD_DURATION'],
    [[...to, '--listen', '70000'], 'ERR_BAD_PORT'],
    [['proxy', '--to', '127.0.0.1'], 'ERR_BAD_HOST'],
    [['proxy', '--to', '127.0.0.1:0'], 'ERR_BAD_PORT'],
    [[...to, '--corrupt', '2'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--queue', '-1'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--queue', '20'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--delay', '10ms', '--delay-dist', 'uniform', '--jitter', '5ms'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--delay-dist', 'uniform'], 'ERR_BAD_ARGUMENT'],
    // A stream has no datagram to corrupt, and no datagrams to count in a queue.
    [[...to, '--tcp', '--corrupt', '0.1'], 'ERR_BAD_ARGUMENT'],
    [[...to, '--tcp', '--bandwidth', '64k', '--queue', '20'], 'ERR_BAD_ARGUMENT'],
  ];
  for (const [argv, code] of cases) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, code, argv.join(' '));
  }
});

parse('no --to, or a transport or direction it does not know, is a usage error', async () => {
  for (const argv of [['proxy'], ['proxy', '--to', '127.0.0.1:9000', '--transport', 'ws'], ['proxy', '--to', '127.0.0.1:9000', '--direction', 'sideways'], ['proxy', '--to', '127.0.0.1:9000', '--delay-dist', 'normal']]) {
    assert.instance(await parseError(argv), UsageError, argv.join(' '));
  }
});

parse.run();

const bin = suite('the built udp-chat proxy');

/** The seqs, 1..n, that a fresh proxy's policy drops with this seed and loss: what --seed promises. */
function lostBySeed(seed: number, loss: number, n: number): number[] {
  const policy = seededPolicy({ ...NO_IMPAIRMENT, loss }, seed);
  return Array.from({ length: n }, (_, i) => i + 1).filter(() => policy.decide(40, 0).kind === 'drop');
}

/** The rows of a printed table, each split into its cells (cells are two spaces or more apart). */
function tableRows(text: string): Map<string, Record<string, string>> {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('direction '));
  assert.ok(at >= 0, `no table in: ${text}`);
  const header = lines[at]!.split(/\s{2,}/);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(at + 2)) {
    if (!line.trim()) break;
    const cells = line.split(/\s{2,}/);
    rows.set(cells[0]!, Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  }
  return rows;
}

interface RunningProxy {
  child: ReturnType<typeof start>;
  out: Output;
  banner: string;
  port: number;
}

/** Runs `body` with `udp-chat proxy ARGS --listen 0` and the port its banner names; killed afterwards whatever happened. */
async function withProxy(args: string[], body: (p: RunningProxy) => Promise<void>): Promise<void> {
  const child = start(['proxy', '--listen', '0', ...args]);
  try {
    const out = new Output(child);
    const banner = await out.next(/^udp-chat proxy: /);
    await body({ child, out, banner, port: Number(/ port (\d+) /.exec(banner)![1]) });
  } finally {
    await stop(child, 'SIGKILL');
  }
}

/** Runs `body` with a UDP echo server on a free loopback port, closed afterwards. */
async function withEcho(body: (port: number) => Promise<void>): Promise<void> {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  try {
    await body(echo.port);
  } finally {
    await echo.close();
  }
}

bin('usage mistakes print one line and exit 2, without a stack trace', async () => {
  for (const args of [['proxy'], ['proxy', '--to', '127.0.0.1:9', '--loss', '2'], ['proxy', '--to', '127.0.0.1:9', '--tcp', '--corrupt', '0.1'], ['proxy', '--to', '127.0.0.1:9', '--queue', '5'], ['proxy', '--to', 'nowhere'], ['proxy', '--to', '127.0.0.1:9', '--bandwidth', 'fast'], ['proxy', '--to', '127.0.0.1:9', '--tcp', '--delay', 'soon']]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^udp-chat: /);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.is(r.stdout, '');
  }
});

bin('--loss 0.3 --seed 42 in front of an echo loses the numbers the seed picks, in every fresh proxy, with or without --delay', async () => {
  const expected = lostBySeed(42, 0.3, 40);
  assert.ok(expected.length > 0 && expected.length < 40, `seed 42 loses ${expected.length} of 40`);
  await withEcho(async (echoPort) => {
    for (const extra of [[], ['--delay', '5ms']]) {
      await withProxy(['--to', `127.0.0.1:${echoPort}`, '--loss', '0.3', '--seed', '42', '--direction', 'in', ...extra], async (p) => {
        assert.match(p.banner, new RegExp(`^udp-chat proxy: udp 127\\.0\\.0\\.1 port ${p.port} → 127\\.0\\.0\\.1:${echoPort} \\(seed 42, direction in\\)$`));
        await p.out.next(/repeat this run exactly with --seed 42/);
        const r = await run(['send', '--port', String(p.port), '--seq', '--count', '40', '--interval', '1ms', '--wait', '300ms', '--json']);
        assert.is(r.code, 0, r.stderr);
        const stats = lastJson<{ sent: number; stats: SeqResult }>(r.stdout).stats;
        assert.equal(stats.lostSeqs, expected, `with ${extra.join(' ') || 'no delay'}`);
        assert.is(stats.received, 40 - expected.length);
        assert.is(stats.duplicates, 0);
        assert.is(stats.outOfOrder, 0);
        // The table on SIGINT counts the same losses, each way.
        assert.is(await stop(p.child, 'SIGINT'), 0);
        await p.out.next(/^out \(server→client\)/);
        const rows = tableRows(p.out.text);
        assert.is(rows.get('in (client→server)')!['packets'], '40');
        assert.is(rows.get('in (client→server)')!['lost'], String(expected.length));
        assert.is(rows.get('in (client→server)')!['delayed'], extra.length ? String(40 - expected.length) : '0');
        assert.is(rows.get('out (server→client)')!['packets'], String(40 - expected.length));
        assert.is(rows.get('out (server→client)')!['lost'], '0');
        // And the client table: one client (send's socket), none evicted or refused.
        await p.out.next(/^clients /);
        assert.match(p.out.text, /^clients 1, evicted 0 \(--max-clients\), new clients refused 0 \(--client-rate\)$/m);
      });
    }
  });
});

bin('--json prints a start line with the port it picked, then the counters: --direction out loses replies by seed + 1', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const child = start(['proxy', '--to', `127.0.0.1:${echo.port}`, '--loss', '0.5', '--seed', '7', '--direction', 'out', '--json']);
  const out = new Output(child);
  try {
    const begin = JSON.parse(await out.next(/^\{/)) as Record<string, unknown>;
    assert.match(String(begin['time']), /^\d{4}-\d\d-\d\dT/);
    assert.equal(untimed(begin), { event: 'start', transport: 'udp', host: '127.0.0.1', port: begin['port'], to: `127.0.0.1:${echo.port}`, seed: 7, direction: 'out' });
    const port = begin['port'] as number;
    assert.ok(port > 0);
    // Each direction draws from its own generator, the replies from seed + 1.
    const expected = lostBySeed(8, 0.5, 20);
    const r = await run(['send', '--port', String(port), '--seq', '--count', '20', '--interval', '1ms', '--wait', '300ms', '--json']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(lastJson<{ stats: SeqResult }>(r.stdout).stats.lostSeqs, expected);
    assert.is(await stop(child, 'SIGTERM'), 0);
    const stopLine = JSON.parse(await out.next(/"event":"stop"/)) as { transport: string; port: number; seed: number; counters: { in: Record<string, number>; out: Record<string, number>; clients: number; clientsEvicted: number; newClientsRefused: number } };
    const end = { ...stopLine, ...stopLine.counters };
    assert.is(end.transport, 'udp');
    assert.is(end.port, port);
    assert.is(end.seed, 7);
    assert.is(end.in['packets'], 20);
    assert.is(end.in['lost'], 0);
    assert.is(end.out['packets'], 20);
    assert.is(end.out['lost'], expected.length);
    assert.is(end.clients, 1);
    assert.equal([end.clientsEvicted, end.newClientsRefused], [0, 0]);
    assert.is(out.text.split('\n').length, 2, 'two JSON lines and nothing else');
  } finally {
    await stop(child, 'SIGKILL');
    await echo.close();
  }
});

bin('without --seed it picks one and prints it, so the run can be repeated', async () => {
  await withEcho((echoPort) =>
    withProxy(['--to', `127.0.0.1:${echoPort}`], async (p) => {
      const seed = /\(seed (\d+), direction both\)$/.exec(p.banner)?.[1];
      assert.ok(seed, p.banner);
      await p.out.next(new RegExp(`repeat this run exactly with --seed ${seed};`));
    }),
  );
});

bin('--transport tcp relays a chat both ways, and --slice cuts the writes without changing the lines', async () => {
  const server = await startChatServer({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  const sockets: net.Socket[] = [];
  try {
    for (const extra of [[], ['--slice', '3', '--slice-delay', '1ms']]) {
      await withProxy(['--tcp', '--to', `127.0.0.1:${server.port}`, '--seed', '1', ...extra], async (p) => {
        assert.match(p.banner, /^udp-chat proxy: tcp 127\.0\.0\.1 port \d+ /);
        // Through the built client: send --tcp gets its welcome and its pong through the proxy.
        const r = await run(['send', '--tcp', '--port', String(p.port), '--wait', '300ms', '/ping through']);
        assert.is(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\* welcome 127\.0\.0\.1:\d+; you are alone here/m);
        assert.match(r.stdout, /^\/pong through$/m);
        // Two raw connections: what one says, the other reads whole.
        const [a, b] = await Promise.all([connect(p.port), connect(p.port)]);
        sockets.push(a.socket, b.socket);
        await a.log.waitFor(/^\* welcome /);
        await b.log.waitFor(/^\* welcome /);
        a.socket.write('/nick ann\n');
        await b.log.waitFor(/is now ann$/);
        a.socket.write('hello through the proxy\n');
        await b.log.waitFor('<ann> hello through the proxy');
        assert.is(await stop(p.child, 'SIGINT'), 0);
        await p.out.next(/^out \(server→client\)/);
        const rows = tableRows(p.out.text);
        assert.ok(Number(rows.get('in (client→server)')!['bytes']) > 0, p.out.text);
        if (extra.length) assert.ok(Number(rows.get('out (server→client)')!['writes']) > Number(rows.get('out (server→client)')!['chunks']), p.out.text);
      });
      for (const s of sockets.splice(0)) s.destroy();
    }
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});

/** A raw TCP connection whose received lines are logged. */
async function connect(port: number): Promise<{ socket: net.Socket; log: LineLog }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const log = new LineLog();
  let partial = '';
  socket.on('data', (d) => {
    const parts = (partial + String(d)).split('\n');
    partial = parts.pop()!;
    for (const line of parts) log.push(line);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no TCP connect within 2000 ms')), 2000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', reject);
  });
  return { socket, log };
}

bin.run();
