/** `udp-chat demo NAME`: classroom demos that make stream vs datagram visible. */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import wrapAnsi from 'wrap-ansi';
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { DEMOS } from '../demos/demos.js';
import { DEFAULT_RECEIVERS, MAX_RECEIVERS } from '../demos/multicast.js';
import { demoHtml, demoSvg } from '../demos/draw/index.js';
import { formatDemo, terminalColumns } from './demo-output.js';
import { count, numeric } from './options.js';
import { seedValue } from './impairment-options.js';
import { jsonLine, paint } from './output.js';

export const command = 'demo [name]';
export const describe = 'run a classroom demo: boundaries, loss, reorder, duplicate, size, liveness, multicast (or all)';

export function builder(y: Argv) {
  return numeric(y, 'seed', 'count', 'receivers')
    .positional('name', { type: 'string', describe: 'which demo (none: list them)' })
    .option('seed', { type: 'string', describe: 'seed for the proxy in loss/reorder/duplicate (default 42)' })
    .option('count', { alias: 'c', type: 'string', describe: 'how many messages to send (multicast: lines, each to every receiver; size: the burst)' })
    .option('receivers', { type: 'string', requiresArg: true, describe: `multicast: how many receivers (1-${MAX_RECEIVERS}, default ${DEFAULT_RECEIVERS})` })
    .option('json', { type: 'boolean', default: false, describe: 'print the findings as NDJSON, one `demo` line per demo (docs/json.md)' })
    .option('wide', { type: 'boolean', default: false, describe: 'print the full table however wide, instead of fitting the terminal' })
    .option('svg', { type: 'string', describe: 'also draw the run as an SVG sequence diagram in FILE (with all: a directory, one demo-NAME.svg each)' })
    .option('html', { type: 'string', describe: 'also write an offline HTML page (diagram, table, explanation) to FILE (with all: a directory, one demo-NAME.html each)' })
    .example('$0 demo loss', 'lost datagrams vs TCP retransmission, as a strip per transport')
    .example('$0 demo loss --svg loss.svg', 'the same run drawn as a sequence diagram')
    .example('$0 demo multicast --receivers 50', 'one line to 50 receivers: the room sends 50 datagrams, a multicast group 1')
    .example('$0 demo all --svg pictures/', 'every demo, pictures/demo-NAME.svg each');
}

/** What an errno means for a file the user named, in words, with the code after it for a search. */
const WHY: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'that is a directory',
  EEXIST: 'a file of that name is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/** One line for a --svg or --html that cannot be written: `cannot write --svg x/y.svg: no such directory (ENOENT)`. */
export function cannotWrite(kind: string, path: string, err: unknown): ChatError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const why = WHY[code];
  return new ChatError('ERR_FILE', `cannot write --${kind} ${path}: ${why ? `${why} (${code})` : code}`);
}

/** Where each kind of picture goes: FILE itself, or for `all`, FILE as a directory (made if missing, in a parent that exists). */
function targets(argv: Record<string, unknown>, all: boolean): Array<{ kind: 'svg' | 'html'; path: (name: string) => string }> {
  const out: Array<{ kind: 'svg' | 'html'; path: (name: string) => string }> = [];
  for (const kind of ['svg', 'html'] as const) {
    const value = argv[kind];
    if (value === undefined) continue;
    const file = String(value);
    if (file === '') throw new ChatError('ERR_BAD_ARGUMENT', `--${kind} needs a file name`);
    // Checked before the demo runs, so a typo costs no run: the directory must be there and writable.
    const dir = all ? resolve(file) : dirname(resolve(file));
    try {
      // Not recursive: the parent must exist (a typo should not grow a tree of directories).
      if (all && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) mkdirSync(dir);
      if (!all && statSync(resolve(file), { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw cannotWrite(kind, file, err);
    }
    out.push({ kind, path: all ? (name) => join(file, `demo-${name}.${kind}`) : () => file });
  }
  return out;
}

/** A checked --receivers: checked before any demo runs, so `demo all --receivers 0` costs no run. */
function receiversValue(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECEIVERS) throw new ChatError('ERR_BAD_ARGUMENT', `--receivers takes a whole number from 1 to ${MAX_RECEIVERS}`);
  return n;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const c = paint(process.stdout);
  const print = (line: string) => process.stdout.write(line + '\n');
  const name = argv['name'] === undefined ? undefined : String(argv['name']);
  if (name === undefined) {
    if (argv['svg'] !== undefined || argv['html'] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', '--svg and --html need a demo name (or all)');
    print('demos (udp-chat demo NAME, or all):');
    const columns = terminalColumns(process.stdout);
    for (const [n, d] of Object.entries(DEMOS)) print(`  ${n.padEnd(11)} ${wrapAnsi(d.summary, Math.max(20, columns - 14), { hard: true }).replaceAll('\n', '\n' + ' '.repeat(14))}`);
    return;
  }
  const names = name === 'all' ? Object.keys(DEMOS) : [name];
  // Own names only: `constructor` or `__proto__` is on every object, and is no demo.
  for (const n of names) if (!Object.hasOwn(DEMOS, n)) throw new ChatError('ERR_BAD_ARGUMENT', `no demo '${n}': choose ${Object.keys(DEMOS).join(', ')} or all`);
  const options = {
    ...(argv['seed'] === undefined ? {} : { seed: seedValue(argv['seed']) }),
    ...(argv['count'] === undefined ? {} : { count: count(argv['count'], 'count') }),
    ...(argv['receivers'] === undefined ? {} : { receivers: receiversValue(argv['receivers']) }),
  };
  const files = targets(argv, name === 'all');
  const columns = terminalColumns(process.stdout);
  for (const n of names) {
    const result = await DEMOS[n]!.run(options);
    const written: string[] = [];
    for (const f of files) {
      const path = f.path(n);
      try {
        writeFileSync(path, f.kind === 'svg' ? demoSvg(result) : demoHtml(result));
      } catch (err) {
        throw cannotWrite(f.kind, path, err);
      }
      written.push(path);
    }
    if (argv['json']) {
      print(jsonLine('demo', result));
      continue;
    }
    for (const line of formatDemo(result, { columns, wide: Boolean(argv['wide']), c })) print(line);
    for (const path of written) print(c.dim(`wrote ${path}`));
    if (written.length > 0) print('');
  }
}
