/** `udp-chat ping` from the command line: parsed in-process, and the built binary against real servers. */
import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { NO_TCP_IMPAIRMENT } from '../../src/proxy/tcp-proxy.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { PYTHON } from '../helpers/python.js';
import { jsonLines, untimed } from '../helpers/json-lines.js';
import { closedPort, Output, parsed, parseError, run, start, stop } from '../helpers/spawn.js';
import { USAGE_CODES } from '../../src/cli/options.js';
import { ChatError } from '../../src/core/errors.js';

const parse = suite('udp-chat ping flags, parsed in-process');

parse("ping's defaults are the lab's: ten probes, one a second, a one-second timeout, to 127.0.0.1 on the project's port", async () => {
  const [name, argv] = await parsed(['ping']);
  assert.is(name, 'ping');
  assert.is(argv['target'], undefined);
  assert.is(argv['host'], undefined);
  assert.is(argv['port'], '9000');
  assert.is(argv['count'], '10');
  assert.is(argv['interval'], '1s');
  assert.is(argv['timeout'], '1s');
  assert.is(argv['size'], undefined);
  assert.is(argv['tcp'], false);
  const [, set] = await parsed(['ping', '::1', '-p', '12000', '-c', '0', '-i', '200ms', '-W', '2s', '-s', '64', '--tcp', '--json']);
  assert.equal([set['target'], set['port'], set['count'], set['interval'], set['timeout'], set['size'], set['tcp'], set['json']], ['::1', '12000', '0', '200ms', '2s', '64', true, true]);
  const [, viaFlag] = await parsed(['ping', '-H', '127.0.0.2']);
  assert.is(viaFlag['host'], '127.0.0.2');
});

const bin = suite('the built udp-chat ping');

// UDPPingerServer.py as Kurose & Ross's UDP Pinger lab gives it. The only changes: it binds to
// 127.0.0.1 and port 0 (not '' and 12000) and prints its port, and it prints each drop so the
// test can count them.
const BOOK_SERVER = `
# UDPPingerServer.py
# We will need the following module to generate randomized lost packets
import random
from socket import *

# Create a UDP socket
# Notice the use of SOCK_DGRAM for UDP packets
serverSocket = socket(AF_INET, SOCK_DGRAM)
# Assign IP address and port number to socket
serverSocket.bind(('127.0.0.1', 0))
print(serverSocket.getsockname()[1], flush=True)

while True:
    # Generate random number in the range of 0 to 10
    rand = random.randint(0, 10)
    # Receive the client packet along with the address it is coming from
    message, address = serverSocket.recvfrom(1024)
    # Capitalize the message from the client
    message = message.upper()
    # If rand is less is than 4, we consider the packet lost and do not respond
    if rand < 4:
        print('drop', message.decode(), flush=True)
        continue
    # Otherwise, the server responds
    serverSocket.sendto(message, address)
`;

bin("against the book's own UDPPingerServer.py: ping(8)'s lines, and the timeouts are exactly the server's drops", async () => {
  const server = spawn(PYTHON, ['-u', '-c', BOOK_SERVER]);
  const out = new Output(server);
  const closed = new Promise((resolve) => server.on('close', resolve));
  try {
    // Its first line is its port.
    const port = Number(await out.next(/^\d+$/));
    const r = await run(['ping', '-p', String(port), '-i', '30ms', '-W', '500ms']);
    server.kill();
    await closed;
    const drops = [...out.text.matchAll(/^drop PING (\d+) \d+\.\d+$/gm)].map((m) => Number(m[1]));
    const lines = r.stdout.trimEnd().split('\n');
    assert.is(lines[0], `PING 127.0.0.1:${port} (udp): 24 data bytes`);
    const replied: number[] = [];
    const timedOut: number[] = [];
    let i = 1;
    for (; lines[i] !== ''; i++) {
      const reply = /^(\d+) bytes from 127\.0\.0\.1: seq=(\d+) time=\d+\.\d{3} ms$/.exec(lines[i]!);
      const timeout = /^Request timeout for seq (\d+)$/.exec(lines[i]!);
      assert.ok(reply || timeout, `a line of ping(8)'s: ${lines[i]}`);
      if (reply) {
        // The book's server answers the probe upper-cased: as many bytes as `Ping SEQ TIME`.
        assert.is(Number(reply[1]), `Ping ${reply[2]} 1763800000.123456`.length);
        replied.push(Number(reply[2]));
      } else timedOut.push(Number(timeout![1]));
    }
    assert.equal([...replied, ...timedOut].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(timedOut.sort((a, b) => a - b), drops.sort((a, b) => a - b));
    assert.is(lines[i + 1], `--- 127.0.0.1:${port} ping statistics ---`);
    assert.is(lines[i + 2], `10 packets transmitted, ${replied.length} received, ${drops.length * 10}% packet loss`);
    if (replied.length > 0) assert.match(lines[i + 3]!, /^rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
    assert.is(lines.length, i + (replied.length > 0 ? 4 : 3));
    assert.is(r.code, replied.length > 0 ? 0 : 1);
    assert.is(r.stderr, '');
  } finally {
    server.kill('SIGKILL');
  }
});

bin('--json against an echo behind `proxy --loss 0.3 --seed 1`: a start line, a line per probe event, then a stop with the figures and each probe', async () => {
  const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
  const proxy = await startProxy({ transport: 'udp', listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: echo.port, direction: 'both', seed: 1, udp: { ...NO_IMPAIRMENT, loss: 0.3 }, tcp: NO_TCP_IMPAIRMENT });
  try {
    const r = await run(['ping', '127.0.0.1', '-p', String(proxy.proxy.port), '-i', '20ms', '-W', '500ms', '--json']);
    const k = proxy.proxy.counters() as { in: { lost: number }; out: { lost: number } };
    const lines = jsonLines(r.stdout);
    const to = `127.0.0.1:${proxy.proxy.port}`;
    assert.equal(untimed(lines[0]!), { event: 'start', to, transport: 'udp', bytes: 24 });
    type Probe = { seq: number; bytes: number; status: string; rttMs: number | null };
    const j = lines.at(-1) as { event: string; to: string; transport: string; transmitted: number; received: number; late: number; timeouts: number; lossPercent: number; rtt: object; probes: Probe[] };
    assert.equal(Object.keys(j), ['time', 'event', 'to', 'transport', 'transmitted', 'received', 'late', 'duplicates', 'unexpected', 'unreachable', 'timeouts', 'lossPercent', 'rtt', 'probes']);
    assert.equal([j.event, j.to, j.transport, j.transmitted], ['stop', to, 'udp', 10]);
    // Between them, each probe's fate as it happened: one reply or timeout line a probe (a late reply adds its own).
    const between = lines.slice(1, -1).map((l) => l['event']);
    assert.is(between.filter((e) => e === 'reply').length, j.received);
    assert.is(between.filter((e) => e === 'timeout').length, j.timeouts);
    assert.is(j.timeouts, k.in.lost + k.out.lost + j.late);
    assert.is(j.received, 10 - j.timeouts);
    assert.is(j.lossPercent, (j.timeouts * 100) / 10);
    assert.equal(Object.keys(j.rtt), ['min', 'avg', 'max', 'mdev']);
    assert.is(j.probes.length, 10);
    assert.equal(j.probes[0], { seq: 1, bytes: 24, status: j.probes[0]!.status, rttMs: j.probes[0]!.rttMs });
    assert.is(j.probes.filter((p) => p.status === 'timeout').length, j.timeouts - j.late);
    assert.is(r.code, j.received > 0 ? 0 : 1);
  } finally {
    await proxy.proxy.close();
    await echo.close();
  }
});

bin('nothing listening: a port-unreachable line per probe, the summary, exit 1', async () => {
  const port = await closedPort('udp');
  const r = await run(['ping', '-p', String(port), '-c', '3', '-i', '50ms']);
  assert.is(r.code, 1);
  assert.is(r.stderr, '');
  assert.is(
    r.stdout,
    [
      `PING 127.0.0.1:${port} (udp): 24 data bytes`,
      'From 127.0.0.1: seq=1 Destination port unreachable',
      'From 127.0.0.1: seq=2 Destination port unreachable',
      'From 127.0.0.1: seq=3 Destination port unreachable',
      '',
      `--- 127.0.0.1:${port} ping statistics ---`,
      '3 packets transmitted, 0 received, +3 errors, 100% packet loss',
      '',
    ].join('\n'),
  );
});

parse('usage mistakes are refused before anything is sent: ChatError usage codes or yargs errors', async () => {
  for (const args of [['-s', '10'], ['-s', '70000'], ['-c', '-1'], ['-c', '1.5'], ['-W', '0'], ['-i', '5x'], ['-p', '0'], ['a', 'b'], ['127.0.0.1', '-H', '127.0.0.2'], ['-c', '1', '-c', '2']]) {
    const err = await parseError(['ping', ...args]);
    const name = (err as Error | null)?.name;
    assert.ok(name === 'UsageError' || (err instanceof ChatError && USAGE_CODES.has(err.code)), `ping ${args.join(' ')}: ${String(err)}`);
  }
});

parse('HOST:PORT, the netcat habit, is refused with the command that works', async () => {
  const err = await parseError(['ping', 'localhost:12000']);
  assert.instance(err, ChatError);
  assert.is((err as ChatError).code, 'ERR_BAD_HOST');
  assert.match((err as ChatError).message, 'udp-chat ping localhost -p 12000');
  // An IPv6 address has colons of its own and is not taken for HOST:PORT.
  assert.not.instance(await parseError(['ping', '::1', '-c', '0', '--help']), ChatError);
});

bin('a usage mistake prints one line and exits 2, without a stack trace', async () => {
  for (const args of [['-s', '10'], ['a', 'b']]) {
    const r = await run(['ping', ...args]);
    assert.is(r.code, 2, `exit code for ping ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^udp-chat: [^\n]*\(udp-chat ping --help for usage\)\n$/);
    assert.is(r.stdout, '');
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  bin(`${signal} (Ctrl-C) during -c 0 prints the summary so far and exits 0`, async () => {
    const echo = await startEchoServer({ transport: 'udp', host: '127.0.0.1', port: 0 });
    const child = start(['ping', '-p', String(echo.port), '-c', '0', '-i', '50ms']);
    const output = new Output(child);
    try {
      await output.next(/^24 bytes from 127\.0\.0\.1: seq=1 time=/);
      assert.is(await stop(child, signal), 0);
      await output.next(new RegExp(`^--- 127\\.0\\.0\\.1:${echo.port} ping statistics ---$`));
      const counts = await output.next(/packets transmitted/);
      const m = /^(\d+) packets transmitted, (\d+) received, /.exec(counts);
      assert.ok(m && Number(m[2]) >= 1 && Number(m[1]) >= Number(m[2]), counts);
      await output.next(/^rtt min\/avg\/max\/mdev = /);
    } finally {
      child.kill('SIGKILL');
      await echo.close();
    }
  });
}

bin('--tcp against a TCP echo: the same lines, over one connection; refused: one line, exit 1', async () => {
  const echo = await startEchoServer({ transport: 'tcp', host: '127.0.0.1', port: 0 });
  try {
    const r = await run(['ping', '--tcp', '-p', String(echo.port), '-c', '3', '-i', '20ms']);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.is(lines[0], `PING 127.0.0.1:${echo.port} (tcp): 24 data bytes`);
    for (const seq of [1, 2, 3]) assert.match(lines[seq]!, new RegExp(`^24 bytes from 127\\.0\\.0\\.1: seq=${seq} time=\\d+\\.\\d{3} ms$`));
    assert.is(lines[6], '3 packets transmitted, 3 received, 0% packet loss');
    assert.is(echo.counters.connections, 1);
  } finally {
    await echo.close();
  }
  const port = await closedPort('tcp');
  const refused = await run(['ping', '--tcp', '-p', String(port)]);
  assert.is(refused.code, 1);
  assert.is(refused.stderr, `udp-chat: nothing is listening on tcp 127.0.0.1:${port} (connection refused)\n`);
  assert.is(refused.stdout, '');
});

parse.run();
bin.run();
