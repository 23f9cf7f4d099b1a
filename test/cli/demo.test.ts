/**
 * `udp-chat demo` from the command line: its flags, parsed in-process, and each demo run by the
 * built binary with small counts, its printed table checked against what the demo claims.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { ChatError } from '../../src/core/errors.js';
import type { BoundaryRun } from '../../src/demos/boundaries.js';
import type { MulticastRun } from '../../src/demos/multicast.js';
import type { DemoResult } from '../../src/demos/common.js';
import type { SequenceData } from '../../src/demos/draw/sequence.js';
import type { LivenessRun } from '../../src/demos/liveness.js';
import type { SizeRun } from '../../src/demos/size.js';
import { contractProblems, groups, markSeqs, parseXml } from '../helpers/svg.js';
import { NO_IMPAIRMENT, UdpPolicy, type UdpImpairment } from '../../src/transports/policy.js';
import { seededRandom } from '../../src/transports/random.js';
import { parsed, parseError, run, type RunResult } from '../helpers/spawn.js';

const NAMES = ['boundaries', 'loss', 'reorder', 'duplicate', 'size', 'liveness', 'multicast'];

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
  assert.is(plain['wide'], false);
  assert.is(plain['svg'], undefined);
  const [, files] = await parsed(['demo', 'all', '--svg', 'pictures', '--html', 'pages', '--wide']);
  assert.is(files['svg'], 'pictures');
  assert.is(files['html'], 'pages');
  assert.is(files['wide'], true);
});

parse('an unknown demo (an Object.prototype name too), a count under 1 or a bad seed is refused by its code before any demo runs', async () => {
  for (const argv of [['demo', 'bogus'], ['demo', 'constructor'], ['demo', '__proto__'], ['demo', 'toString'], ['demo', 'all', '--count', '0'], ['demo', 'loss', '--count', 'many'], ['demo', 'loss', '--seed', '-1'], ['demo', 'size', '--seed', '1.5']]) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', argv.join(' '));
  }
});

parse.run();

/** Runs `udp-chat demo ARGS` to the end and checks it exited 0 with nothing on stderr, and (not --wide) that it fits 80 columns. */
async function demo(args: string[], ms = 20_000): Promise<RunResult> {
  const r = await run(['demo', ...args], undefined, ms);
  assert.is(r.code, 0, `demo ${args.join(' ')}: ${r.stderr}`);
  assert.is(r.stderr, '');
  if (!args.includes('--wide') && !args.includes('--json')) assertFits(r.stdout, 80);
  return r;
}

/** Every line, colour codes stripped, at most `columns` wide. */
function assertFits(stdout: string, columns: number): void {
  for (const line of stdout.split('\n')) {
    // eslint-disable-next-line no-control-regex
    const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
    assert.ok(plain.length <= columns, `${plain.length} columns: ${plain}`);
  }
}

/** The cells of a transport's strip (`UDP    .X..<`), every block joined, seq 1 first. */
function strip(stdout: string, transport: 'UDP' | 'TCP'): string {
  return stdout
    .split('\n')
    .flatMap((l) => new RegExp(`^${transport} {4}([.X<2Rw]+)$`).exec(l)?.[1] ?? [])
    .join('');
}

/** The seqs whose strip cell is `char`. */
function cellsOf(cells: string, char: string): number[] {
  return [...cells].flatMap((c, i) => (c === char ? [i + 1] : []));
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
  for (const args of [['demo', 'bogus'], ['demo', 'loss', '--count', '0'], ['demo', 'loss', '--seed', 'x'], ['demo', 'size', '--bogus'], ['demo', 'multicast', '--receivers', '0'], ['demo', 'multicast', '--receivers', '201'], ['demo', 'all', '--receivers', 'many']]) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.is(r.stdout, '');
  }
  assert.match((await run(['demo', 'bogus'])).stderr, /no demo 'bogus': choose boundaries, loss, reorder, duplicate, size, liveness, multicast or all/);
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
  // The strips: one cell a seq, X where UDP lost it; TCP lost none, and resent at least one (R).
  const udpCells = strip(r.stdout, 'UDP');
  assert.is(udpCells.length, 30);
  assert.equal(cellsOf(udpCells, 'X'), lost);
  assert.is(cellsOf(udpCells, '.').length, 30 - lost.length);
  const tcpCells = strip(r.stdout, 'TCP');
  assert.is(tcpCells.length, 30);
  assert.equal(cellsOf(tcpCells, 'X'), []);
  assert.ok(cellsOf(tcpCells, 'R').length > 0, tcpCells);
  assert.match(r.stdout, /^ +\. delivered +X lost +R resent after a timeout +w waited behind it$/m);
});

bin('demo loss with 200 messages: the strip wraps into blocks of whole tens, each under a ruler, within 80 columns', async () => {
  const lost = picked(42, { loss: 0.2 }, 200, 'drop');
  const r = await demo(['loss', '--count', '200', '--seed', '42'], 40_000);
  const rows = r.stdout.split('\n').filter((l) => /^UDP {4}[.X<2Rw]+$/.test(l));
  assert.is(rows.length, 3, 'blocks of 70: 70 + 70 + 60');
  assert.equal(cellsOf(strip(r.stdout, 'UDP'), 'X'), lost);
  assert.match(r.stdout, /^ {7}71 +80 +90 /m);
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
  const cells = strip(r.stdout, 'UDP');
  assert.is(cellsOf(cells, '<').length, Number(udp!['late']));
  if (Number(udp!['late']) <= 12) assert.equal(cellsOf(cells, '<'), late.split(' ').map(Number).sort((a, b) => a - b));
});

bin('demo duplicate --seed 7: the table and the list name the numbers the seed repeats; TCP none', async () => {
  const twice = picked(7, { duplicate: 0.2 }, 30, 'duplicated');
  const r = await demo(['duplicate', '--count', '30', '--seed', '7']);
  const [udp, tcp] = table(r.stdout, 'transport');
  assert.equal(udp, { ...udp, received: '30', lost: '0', duplicated: String(twice.length) });
  assert.is(listed(r.stdout, 'UDP lost', 'twice'), asListed(twice));
  assert.equal(tcp, { ...tcp, received: '30', duplicated: '0' });
  assert.equal(cellsOf(strip(r.stdout, 'UDP'), '2'), twice);
  assert.equal(cellsOf(strip(r.stdout, 'TCP'), '2'), []);
});

bin('demo boundaries: UDP reads are the sends; TCP merged and cut reads miscount, line framing always recovers them', async () => {
  const r = await demo(['boundaries', '--count', '8', '--wide']);
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
  const r = await demo(['size', '--count', '60', '--wide']);
  const rows = table(r.stdout, 'datagram');
  const outcome = (bytes: string) => rows.find((row) => row['bytes'] === bytes)?.['outcome'];
  for (const bytes of ['1200', '1472', '9000', '65507']) assert.is(outcome(bytes), 'delivered', bytes);
  assert.is(outcome('65508'), 'error EMSGSIZE');
  const bursts = rows.filter((row) => row['datagram']!.startsWith('burst of 60 x 1000 B'));
  assert.is(bursts.length, 2);
  const got = bursts.map((row) => Number(/^(\d+) of 60 received$/.exec(row['outcome']!)![1]));
  assert.ok(got[0]! < 60 && got[0]! < got[1]!, `small buffer ${got[0]}, large ${got[1]}`);
  // What holds only on some systems is measured: the buffer the kernel gave for the one asked.
  assert.match(r.stdout, /^Asked for a 4096-byte receive buffer \(SO_RCVBUF, recvBufferSize in Node\), the kernel gave \d+/m);
  assert.match(r.stdout, new RegExp(`^Loopback's MTU (here \\(${process.platform}|is not read on ${process.platform})`, 'm'));
});

bin('without --wide, boundaries and size fit 80 columns: long cells wrap within their column', async () => {
  const boundaries = await demo(['boundaries', '--count', '8']);
  assert.match(boundaries.stdout, /^UDP, loopback +8 +8 /m);
  assert.match(boundaries.stdout, /WRONG/);
  const size = await demo(['size', '--count', '20']);
  assert.match(size.stdout, /^one byte more +65508 +error EMSGSIZE$/m);
});

bin('--svg and --html write the run: one file, or with all a directory of demo-NAME files; the printed run is the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'udp-chat-demo-'));
  try {
    const svg = join(dir, 'b.svg');
    const html = join(dir, 'b.html');
    const r = await demo(['boundaries', '--count', '5', '--svg', svg, '--html', html]);
    assert.match(r.stdout, new RegExp(`^wrote ${svg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.equal(contractProblems(readFileSync(svg, 'utf8')), []);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.equal(contractProblems(/<svg[\s\S]*<\/svg>/.exec(page)![0]), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

bin('a --svg or --html that cannot be written is one line and exit 1, and nothing printed; --svg without a name is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'udp-chat-demo-'));
  try {
    writeFileSync(join(dir, 'b.svg'), 'a file, not a directory');
    const cases: Array<[string[], RegExp]> = [
      [['demo', 'loss', '--svg', join(dir, 'no', 'such', 'dir', 'x.svg')], /: no such directory \(ENOENT\)$/],
      [['demo', 'liveness', '--html', dir], /: that is a directory \(EISDIR\)$/],
      [['demo', 'all', '--svg', join(dir, 'b.svg', 'sub')], /: a part of the path is a file, not a directory \(ENOTDIR\)$/],
      [['demo', 'all', '--svg', join(dir, 'b.svg')], /: a file of that name is in the way \(EEXIST\)$/],
    ];
    for (const [args, why] of cases) {
      const r = await run(args);
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^udp-chat: cannot write --(svg|html) /);
      assert.match(r.stderr.trim(), why);
      assert.not.match(r.stderr, /\n\s+at /);
      assert.is(r.stdout, '');
    }
    const usage = await run(['demo', '--svg', join(dir, 'x.svg')]);
    assert.is(usage.code, 2, usage.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

/** Checks a demo's SVG keeps the contract and draws what its --json said, mark for mark. */
function drawnAsData(svg: string, x: DemoResult): void {
  assert.equal(contractProblems(svg), [], x.demo);
  const doc = parseXml(svg);
  if (x.demo === 'multicast') {
    // One column a mode, carrying the run's own sends per line.
    const runs = x.data['runs'] as MulticastRun[];
    const cases = groups(doc, 'case');
    assert.equal(cases.map((c) => [c.getAttribute('data-mode'), Number(c.getAttribute('data-sends-per-message'))]), runs.map((r) => [r.mode, r.sendsPerMessage]), 'multicast columns');
  }
  const sorted = (seqs: number[]) => [...seqs].sort((a, b) => a - b);
  if (['loss', 'reorder', 'duplicate'].includes(x.demo)) {
    const d = x.data as unknown as SequenceData;
    for (const t of ['udp', 'tcp'] as const) {
      assert.equal(markSeqs(doc, 'lost', t), d[t].lostSeqs, `${x.demo} ${t} lost`);
      assert.equal(markSeqs(doc, 'late', t), sorted(d[t].lateSeqs), `${x.demo} ${t} late`);
      assert.equal(markSeqs(doc, 'duplicate', t), sorted(d[t].duplicateSeqs), `${x.demo} ${t} duplicate`);
      const arrived = d.trace[t].filter((m) => m.arrivalsMs.length > 0 && !d[t].lateSeqs.includes(m.seq)).map((m) => m.seq);
      assert.equal(markSeqs(doc, 'delivered', t), arrived, `${x.demo} ${t} delivered`);
      assert.equal(markSeqs(doc, 'retransmit', t), d.trace[t].filter((m) => m.proxy === 'retransmitted').map((m) => m.seq), `${x.demo} ${t} retransmit`);
      assert.equal(markSeqs(doc, 'blocked', t), d.trace[t].filter((m) => m.proxy === 'blocked').map((m) => m.seq), `${x.demo} ${t} blocked`);
    }
  } else if (x.demo === 'boundaries') {
    (x.data['runs'] as BoundaryRun[]).forEach((run, i) => {
      const reads = groups(doc, 'event', 'read').filter((g) => g.getAttribute('data-run') === String(i));
      assert.equal(reads.map((g) => Number(g.getAttribute('data-bytes'))), run.reads, run.path);
    });
  } else if (x.demo === 'size') {
    assert.equal(groups(doc, 'event', 'size').map((g) => g.getAttribute('data-outcome')), (x.data['sizes'] as SizeRun[]).map((s) => s.outcome));
  } else if (x.demo === 'liveness') {
    assert.equal(groups(doc, 'event', 'noticed').map((g) => Number(g.getAttribute('data-after-ms'))), (x.data['runs'] as LivenessRun[]).map((r) => r.noticedAfterMs));
  }
}

const json = suite('udp-chat demo --json');

json('demo all --json prints one result a demo, in order, whose rows are its data; --svg draws the same runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'udp-chat-demo-'));
  let results: DemoResult[];
  try {
    const r = await demo(['all', '--json', '--count', '12', '--seed', '42', '--svg', dir], 40_000);
    results = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as DemoResult);
    for (const x of results) drawnAsData(readFileSync(join(dir, `demo-${x.demo}.svg`), 'utf8'), x);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
