/** `udp-chat echo` from the command line: its flags parsed in-process, and the built binary as the Pinger lab's server. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/cli/cli.js';
import { ChatError } from '../../src/core/errors.js';
import { NO_IMPAIRMENT, seededPolicy } from '../../src/transports/policy.js';
import { Output, parsed, parseError, run, runPython, start, stop } from '../helpers/spawn.js';

const parse = suite('udp-chat echo flags, parsed in-process');

parse('echo keeps its loop guard on by default; the byte budget follows the host unless given', async () => {
  const [name, argv] = await parsed(['echo']);
  assert.is(name, 'echo');
  assert.is(argv['max-reflections'], '32');
  assert.is(argv['byte-rate'], undefined);
  const [, set] = await parsed(['echo', '--byte-rate', '64k', '--max-reflections', '0']);
  assert.is(set['byte-rate'], '64k');
  assert.is(set['max-reflections'], '0');
});

parse('a bad --byte-rate or --max-reflections is refused before the echo starts', async () => {
  for (const argv of [['echo', '--byte-rate', 'fast'], ['echo', '--byte-rate', '-1'], ['echo', '--max-reflections', '-1'], ['echo', '--max-reflections', '2.5']]) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', argv.join(' '));
  }
});

parse('echo impairs nothing by default: loss, delay, reorder and duplicate are 0, the delay fixed, no seed, no close word', async () => {
  const [, argv] = await parsed(['echo']);
  for (const flag of ['loss', 'loss-correlation', 'delay', 'jitter', 'reorder', 'duplicate']) assert.is(argv[flag], '0', flag);
  assert.is(argv['delay-dist'], 'fixed');
  assert.is(argv['seed'], undefined);
  assert.is(argv['close-on'], undefined);
});

parse("the impairment flags are the proxy's, checked the same way: a bad one is refused by its code", async () => {
  const cases: Array<[string[], string]> = [
    [['echo', '--loss', '1.5'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--loss', '%'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--duplicate', '200%'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--seed', '-1'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--delay', 'soon'], 'ERR_BAD_DURATION'],
    [['echo', '--delay', '200ms', '--delay-dist', 'uniform', '--jitter', '10ms'], 'ERR_BAD_ARGUMENT'],
    // Impairments are for datagrams; a close word is for a connection.
    [['echo', '--tcp', '--loss', '0.3'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--transport', 'tcp', '--delay', '50ms'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--tcp', '--seed', '1'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--tcp', '--delay', '50ms', '--delay-dist', 'uniform'], 'ERR_BAD_ARGUMENT'],
    // Drawn in [0, 0]: no delay at all, refused rather than silently nothing.
    [['echo', '--delay-dist', 'uniform'], 'ERR_BAD_ARGUMENT'],
    [['echo', '--close-on', 'exit'], 'ERR_BAD_ARGUMENT'],
  ];
  for (const [argv, code] of cases) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, code, argv.join(' '));
  }
  for (const argv of [['echo', '--delay-dist', 'normal'], ['echo', '--tcp', '--close-on'], ['echo', '--tcp', '--close-on', ' ']]) assert.instance(await parseError(argv), UsageError, argv.join(' '));
});

parse.run();

const bin = suite('the built udp-chat echo as the Pinger lab server');

/**
 * The UDP Pinger lab's client (Kurose & Ross, socket programming assignment 2), as a student
 * writes it from the lab: ten `Ping SEQ TIME` datagrams, a timeout, the reply or `Request timed
 * out`. One change: the lab's `settimeout(1)` takes its value from argv[2], which the test sets
 * to 0.2 s so that three lost pings cost 0.6 s, not 3 s.
 */
const PINGER_CLIENT = `
import sys, time
from socket import *

serverName = '127.0.0.1'
serverPort = int(sys.argv[1])
clientSocket = socket(AF_INET, SOCK_DGRAM)
clientSocket.settimeout(float(sys.argv[2]))

for i in range(1, 11):
    sendTime = time.time()
    message = 'Ping ' + str(i) + ' ' + str(sendTime)
    clientSocket.sendto(message.encode(), (serverName, serverPort))
    try:
        modifiedMessage, serverAddress = clientSocket.recvfrom(1024)
        rtt = time.time() - sendTime
        print(modifiedMessage.decode(), 'RTT:', rtt)
    except timeout:
        print('Request timed out')

clientSocket.close()
`;

/** Runs the lab's client against `port`; its stdout lines. Killed at the deadline. */
async function pinger(port: number, timeout = '0.2', ms = 10_000): Promise<string[]> {
  const r = await runPython(PINGER_CLIENT, [String(port), timeout], ms);
  if (r.code !== 0) throw new Error(`the Python pinger exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

/** `udp-chat echo --port 0 ARGS --json`: its port, the NDJSON events, and its stop line. */
async function labServer(args: string[], body: (port: number, out: Output) => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const child = start(['echo', '--port', '0', '--json', ...args]);
  try {
    const out = new Output(child);
    const begin = JSON.parse(await out.next(/"event":"start"/)) as { port: number };
    await body(begin.port, out);
    assert.is(await stop(child, 'SIGINT'), 0);
    await out.next(/"event":"stop"/);
    return out.text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  } finally {
    await stop(child, 'SIGKILL');
  }
}

bin("the book's client against `echo --upper --loss 0.3 --seed 1`: capitals, the seed's timeouts, the same on a fresh server, and the server counts its drops", async () => {
  // What seed 1 loses of ten answerable datagrams: the proxy's policy, `in` direction.
  const policy = seededPolicy({ ...NO_IMPAIRMENT, loss: 0.3 }, 1);
  const lost = Array.from({ length: 10 }, (_, i) => i + 1).filter(() => policy.decide(30, 0).kind === 'drop');
  assert.ok(lost.length > 0 && lost.length < 10, `seed 1 loses ${lost.length} of 10`);
  const runs: string[][] = [];
  for (let round = 0; round < 2; round++) {
    let lines: string[] = [];
    const events = await labServer(['--upper', '--loss', '0.3', '--seed', '1'], async (port) => {
      lines = await pinger(port);
    });
    assert.is(lines.length, 10, lines.join('\n'));
    for (const [i, line] of lines.entries()) {
      if (lost.includes(i + 1)) assert.is(line, 'Request timed out');
      else assert.match(line, new RegExp(`^PING ${i + 1} \\d+\\.\\d+ RTT: `), line);
    }
    // The start says the seed and what is done; each lost datagram's event says why; the counters add up.
    const start = events[0]!;
    assert.equal([start['event'], start['seed'], start['impairment']], ['start', 1, 'loss 30%']);
    const datagrams = events.filter((e) => e['event'] === 'datagram');
    assert.is(datagrams.length, 10);
    assert.equal(datagrams.flatMap((e, i) => (e['why'] === 'lost (--loss)' && e['answered'] === false ? [i + 1] : [])), lost);
    const counters = events.at(-1)!['counters'] as { answered: number; impairment: { lost: number; packets: number } };
    assert.equal([counters.answered, counters.impairment.lost, counters.impairment.packets], [10 - lost.length, lost.length, 10]);
    runs.push(lines.map((l) => (l === 'Request timed out' ? l : 'reply')));
  }
  assert.equal(runs[1], runs[0], 'a fresh server with the same seed times out the same pings');
});

bin("the Java variant, `--loss 0.3 --delay 200ms --delay-dist uniform`: answers unchanged, each 0-200 ms late, the seed's", async () => {
  const policy = seededPolicy({ ...NO_IMPAIRMENT, loss: 0.3, delayMs: 200, delayDist: 'uniform' }, 4);
  const plan = Array.from({ length: 10 }, () => policy.decide(30, 0));
  let lines: string[] = [];
  const events = await labServer(['--loss', '0.3', '--delay', '200ms', '--delay-dist', 'uniform', '--seed', '4'], async (port) => {
    // A one-second timeout, as the lab: a 200 ms answer is never taken for a loss.
    lines = await pinger(port, '1');
  });
  for (const [i, v] of plan.entries()) {
    if (v.kind === 'drop') {
      assert.is(lines[i], 'Request timed out');
      continue;
    }
    const [, text, rtt] = /^(Ping \d+ \S+) RTT: (\S+)$/.exec(lines[i]!) ?? [];
    assert.ok(text?.startsWith(`Ping ${i + 1} `), lines[i]);
    const ms = Number(rtt) * 1000;
    assert.ok(ms >= v.delays[0]! - 2 && ms < v.delays[0]! + 150, `ping ${i + 1}: planned ${v.delays[0]} ms, took ${ms} ms`);
    const event = events.filter((e) => e['event'] === 'datagram')[i]!;
    assert.is(event['delayMs'], v.delays[0]! > 0 ? Math.round(v.delays[0]!) : undefined);
  }
  assert.is(events[0]!['impairment'], 'loss 30%, delay 0-200ms uniform');
});

bin('without --seed an impaired echo picks one and prints it, so the run can be repeated; a TCP impairment is one usage line', async () => {
  const child = start(['echo', '--port', '0', '--loss', '0.1']);
  try {
    const out = new Output(child);
    await out.next(/^echo on udp 127\.0\.0\.1 port \d+$/);
    const said = await out.next(/answers impaired/);
    assert.match(said, /^ {2}answers impaired: loss 10% \(seed (\d+)\); repeat this run exactly with --seed \1$/);
  } finally {
    await stop(child, 'SIGKILL');
  }
  for (const args of [['echo', '--tcp', '--loss', '0.3'], ['echo', '--close-on', 'exit']]) {
    const r = await run(args);
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^udp-chat: .*(UDP|TCP)/);
  }
});

bin.run();
