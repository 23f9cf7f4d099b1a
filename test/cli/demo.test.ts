/**
 * `udp-chat demo` from the command line: its flags, parsed in-process, and each demo run by the
 * built binary with small counts, its printed table checked against what the demo claims.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { ChatError } from '../../src/core/errors.js';
import type { DemoResult } from '../../src/demos/common.js';
import { NO_IMPAIRMENT, UdpPolicy, type UdpImpairment } from '../../src/proxy/policy.js';
import { seededRandom } from '../../src/proxy/random.js';
import { parsed, parseError, run, type RunResult } from '../helpers/spawn.js';

const NAMES = ['boundaries', 'loss', 'reorder', 'duplicate', 'size', 'liveness'];

const parse = suite('udp-chat demo, parsed in-process');

parse('demo takes a name, --seed, --count (-c) and --json', async () => {
  const [name, argv] = await parsed(['demo', 'loss', '--seed', '7', '-c', '20', '--json']);
  assert.is(name, 'demo');
  assert.is(argv['name'], 'loss');
  assert.is(argv['seed'], '7');
  assert.is(argv['count'], '20');
  assert.is(argv['json'], true);
  const [, plain] = await parsed(['demo']);
  assert.is(plain['name'], undefined);
  assert.is(plain['json'], false);
});

parse('an unknown demo, a count under 1 or a bad seed is refused by its code before any demo runs', async () => {
  for (const argv of [['demo', 'bogus'], ['demo', 'all', '--count', '0'], ['demo', 'loss', '--count', 'many'], ['demo', 'loss', '--seed', '-1'], ['demo', 'size', '--seed', '1.5']]) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', argv.join(' '));
  }
});

parse.run();

/** Runs `udp-chat demo ARGS` to the end and checks it exited 0 with nothing on stderr. */
async function demo(args: string[], ms = 20_000): Promise<RunResult> {
  const r = await run(['demo', ...args], undefined, ms);
  assert.is(r.code, 0, `demo ${args.join(' ')}: ${r.stderr}`);
  assert.is(r.stderr, '');
  return r;
}

/** The printed table whose header starts with `first`: its rows, each cell by column name. */
function table(stdout: string, first: string): Array<Record<string, string>> {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${first} `));
  assert.ok(at >= 0, `no table headed ${first} in: ${stdout}`);
  const header = lines[at]!.split(/\s{2,}/);
  assert.match(lines[at + 1]!, /^-+( +-+)+$/);
  const rows: Array<Record<string, string>> = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.trim()) break;
    const cells = line.split(/\s{2,}/);
    assert.is(cells.length, header.length, `cells of: ${line}`);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i]!])));
  }
  return rows;
}

/** The numbers after `label: ` in the explanation line that starts with `start`, as the demo lists them (`-` for none). */
function listed(stdout: string, start: string, label: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(start));
  assert.ok(line, `no line starting ${start} in: ${stdout}`);
  return new RegExp(`${label}: ([^;.]*)`).exec(line)![1]!;
}

/** How the demos list seqs: all of them, or the first 12 and `...`. */
function asListed(seqs: number[]): string {
  if (seqs.length === 0) return '-';
  return seqs.length > 12 ? `${seqs.slice(0, 12).join(' ')} ...` : seqs.join(' ');
}

/** The seqs 1..n a fresh proxy direction seeded so picks for `which`: what `--seed` promises. */
function picked(seed: number, impairment: Partial<UdpImpairment>, n: number, which: 'drop' | 'duplicated'): number[] {
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, ...impairment }, seededRandom(seed));
  return Array.from({ length: n }, (_, i) => i + 1).filter(() => {
    const verdict = policy.decide(40, 0);
    return which === 'drop' ? verdict.kind === 'drop' : verdict.kind === 'send' && verdict.duplicated;
  });
}

const bin = suite('the built udp-chat demo');

bin('demo with no name lists every demo, and so does --help', async () => {
  const list = await demo([]);
  assert.match(list.stdout, /^demos \(udp-chat demo NAME, or all\):$/m);
  for (const name of NAMES) assert.match(list.stdout, new RegExp(`^  ${name} +\\S`, 'm'), name);
  const help = await demo(['--help']);
  for (const name of NAMES) assert.match(help.stdout, new RegExp(`\\b${name}\\b`), name);
});

bin('usage mistakes print one line and exit 2, without a stack trace', async () => {
  for (const args of [['demo', 'bogus'], ['demo', 'loss', '--count', '0'], ['demo', 'loss', '--seed', 'x'], ['demo', 'size', '--bogus']]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.is(r.stdout, '');
  }
  assert.match((await run(['demo', 'bogus'])).stderr, /no demo 'bogus': choose boundaries, loss, reorder, duplicate, size, liveness or all/);
});

bin('demo loss --seed 42: the table and the list name the numbers the seed loses; TCP gets all 30', async () => {
  const lost = picked(42, { loss: 0.2 }, 30, 'drop');
  const r = await demo(['loss', '--count', '30', '--seed', '42']);
  assert.match(r.stdout, /^loss: 30 numbered messages through the proxy \(--loss 0\.2, --seed 42\)$/m);
  const [udp, tcp] = table(r.stdout, 'transport');
  assert.equal(udp, { ...udp, transport: 'UDP', sent: '30', received: String(30 - lost.length), lost: String(lost.length), late: '0', duplicated: '0' });
  assert.equal(tcp, { ...tcp, transport: 'TCP', sent: '30', received: '30', lost: '0', late: '0', duplicated: '0' });
  assert.is(listed(r.stdout, 'UDP lost', 'UDP lost'), asListed(lost));
  assert.match(r.stdout, /^TCP: 30 of 30 received, in order\.$/m);
  assert.match(r.stdout, /^Run it again with --seed 42: the same numbers are lost\.$/m);
});

bin('demo reorder: UDP gets all 30, the late ones counted as listed; TCP none late', async () => {
  const r = await demo(['reorder', '--count', '30', '--seed', '42']);
  const [udp, tcp] = table(r.stdout, 'transport');
  assert.is(udp!['received'], '30');
  assert.is(udp!['lost'], '0');
  const late = listed(r.stdout, 'UDP lost', 'late');
  assert.ok(Number(udp!['late']) > 0, r.stdout);
  if (Number(udp!['late']) <= 12) assert.is(late.split(' ').length, Number(udp!['late']), r.stdout);
  assert.equal(tcp, { ...tcp, received: '30', lost: '0', late: '0', duplicated: '0' });
});

bin('demo duplicate --seed 7: the table and the list name the numbers the seed repeats; TCP none', async () => {
  const twice = picked(7, { duplicate: 0.2 }, 30, 'duplicated');
  const r = await demo(['duplicate', '--count', '30', '--seed', '7']);
  const [udp, tcp] = table(r.stdout, 'transport');
  assert.equal(udp, { ...udp, received: '30', lost: '0', duplicated: String(twice.length) });
  assert.is(listed(r.stdout, 'UDP lost', 'twice'), asListed(twice));
  assert.equal(tcp, { ...tcp, received: '30', duplicated: '0' });
});

bin('demo boundaries: UDP reads are the sends; TCP merged and cut reads miscount, line framing always recovers them', async () => {
  const r = await demo(['boundaries', '--count', '8']);
  const rows = table(r.stdout, 'path');
  assert.equal(rows.map((row) => row['path']), ['UDP, loopback', 'TCP, loopback', 'TCP, writes merged (proxy --coalesce 50ms)', 'TCP, writes cut (proxy --slice 7)']);
  for (const row of rows) {
    assert.is(row['sends'], '8');
    assert.is(row['line framing'], '8 ok', row['path']);
    // The bytes per read add up to every byte sent, whatever the reads ("message N\n" is 10 bytes).
    if (!row['bytes per read']!.endsWith('...')) assert.is(row['bytes per read']!.split(' ').reduce((a, b) => a + Number(b), 0), 80, row['path']);
    // The naive parser counts one message per read.
    assert.is(row['one read = one message'], `${row['reads']} ${row['reads'] === '8' ? 'ok' : 'WRONG'}`, row['path']);
  }
  assert.is(rows[0]!['reads'], '8');
  assert.ok(Number(rows[2]!['reads']) < 8, `merged: ${rows[2]!['reads']} reads`);
  assert.ok(Number(rows[3]!['reads']) > 8, `cut: ${rows[3]!['reads']} reads`);
});

bin('demo size: up to 65507 bytes arrive on loopback, 65508 fails with EMSGSIZE, a small buffer cuts a burst', async () => {
  const r = await demo(['size', '--count', '60']);
  const rows = table(r.stdout, 'datagram');
  const outcome = (bytes: string) => rows.find((row) => row['bytes'] === bytes)?.['outcome'];
  for (const bytes of ['1200', '1472', '9000', '65507']) assert.is(outcome(bytes), 'delivered', bytes);
  assert.is(outcome('65508'), 'error EMSGSIZE');
  const bursts = rows.filter((row) => row['datagram']!.startsWith('burst of 60 x 1000 B'));
  assert.is(bursts.length, 2);
  const got = bursts.map((row) => Number(/^(\d+) of 60 received$/.exec(row['outcome']!)![1]));
  assert.ok(got[0]! < 60 && got[0]! < got[1]!, `small buffer ${got[0]}, large ${got[1]}`);
});

bin('demo liveness: a closed TCP peer is noticed at once, UDP and a silent TCP peer after the 1000ms timeout', async () => {
  const r = await demo(['liveness']);
  assert.match(r.stdout, /^liveness: how the server notices a peer is gone \(peer timeout 1000ms\)$/m);
  const rows = table(r.stdout, 'case');
  const after = (row: Record<string, string>) => Number(/^(\d+) ms$/.exec(row['noticed after']!)![1]);
  assert.equal(rows.map((row) => [row['case'], row['logged as']]), [
    ['TCP peer, process ended (FIN)', 'left (disconnected)'],
    ['TCP peer, network gone (no FIN)', 'left (timeout)'],
    ['UDP peer, process ended', 'left (timeout)'],
  ]);
  assert.ok(after(rows[0]!) < 500, rows[0]!['noticed after']);
  assert.ok(after(rows[1]!) >= 1000, rows[1]!['noticed after']);
  assert.ok(after(rows[2]!) >= 1000, rows[2]!['noticed after']);
});

bin.run();

const json = suite('udp-chat demo --json');

json('demo all --json prints one result a demo, in order, whose rows are its data', async () => {
  const r = await demo(['all', '--json', '--count', '12', '--seed', '42'], 40_000);
  const results = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as DemoResult);
  assert.equal(results.map((x) => x.demo), NAMES);
  for (const x of results) {
    assert.ok(x.title && x.explanation.length > 0 && x.rows.length > 0, x.demo);
    for (const row of x.rows) assert.is(row.length, x.columns.length, x.demo);
  }
  const loss = results[1]!;
  const udp = loss.data['udp'] as SeqResult;
  assert.equal(udp.lostSeqs, picked(42, { loss: 0.2 }, 12, 'drop'));
  assert.equal(loss.rows[0]!.slice(0, 6), ['UDP', 12, 12 - udp.lost, udp.lost, udp.outOfOrder, udp.duplicates]);
  assert.equal(loss.data['count'], 12);
  assert.equal(loss.data['seed'], 42);
  const boundaries = results[0]!;
  assert.equal(boundaries.rows.map((row) => row[5]), ['12 ok', '12 ok', '12 ok', '12 ok']);
});

json.run();
