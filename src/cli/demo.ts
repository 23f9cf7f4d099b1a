/** `udp-chat demo NAME`: classroom demos that make stream vs datagram visible. */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { DEMOS } from '../demos/demos.js';
import { count } from './options.js';
import { seedValue } from './impairment-options.js';
import { paint, table } from './output.js';

export const command = 'demo [name]';
export const describe = 'run a classroom demo: boundaries, loss, reorder, duplicate, size, liveness (or all)';

export function builder(y: Argv) {
  return y
    .positional('name', { type: 'string', describe: 'which demo (none: list them)' })
    .option('seed', { type: 'string', describe: 'seed for the proxy in loss/reorder/duplicate (default 42)' })
    .option('count', { alias: 'c', type: 'string', describe: 'how many messages to send' })
    .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' });
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const c = paint(process.stdout);
  const print = (line: string) => process.stdout.write(line + '\n');
  const name = argv['name'] === undefined ? undefined : String(argv['name']);
  if (name === undefined) {
    print('demos (udp-chat demo NAME, or all):');
    for (const [n, d] of Object.entries(DEMOS)) print(`  ${n.padEnd(11)} ${d.summary}`);
    return;
  }
  const names = name === 'all' ? Object.keys(DEMOS) : [name];
  for (const n of names) if (!DEMOS[n]) throw new ChatError('ERR_BAD_ARGUMENT', `no demo '${n}': choose ${Object.keys(DEMOS).join(', ')} or all`);
  const options = {
    ...(argv['seed'] === undefined ? {} : { seed: seedValue(argv['seed']) }),
    ...(argv['count'] === undefined ? {} : { count: count(argv['count'], 'count') }),
  };
  for (const n of names) {
    const result = await DEMOS[n]!.run(options);
    if (argv['json']) {
      print(JSON.stringify(result));
      continue;
    }
    print(c.bold(`${result.demo}: ${result.title}`));
    print('');
    print(table(result.columns, result.rows.map((r) => r.map(String))));
    print('');
    for (const line of result.explanation) print(c.dim(line));
    print('');
  }
}
