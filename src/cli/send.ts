/** `udp-chat send`: one datagram per message, from arguments or lines of stdin. */
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { MAX_SEQ_TOTAL } from '../client/seq-stats.js';
import { sendMessages } from '../client/send.js';
import { ChatError } from '../core/errors.js';
import { addressOptions, connectOptions, count, duration } from './options.js';
import { formatSeqStats } from './output.js';
import { CLIENT_TRANSPORTS } from '../client/connection.js';

export const command = 'send [message..]';
export const describe = 'send messages (arguments, else each line of stdin) as datagrams';

export function builder(y: Argv) {
  return addressOptions(y, 'server to send to', CLIENT_TRANSPORTS)
    .positional('message', { type: 'string', array: true, describe: 'messages; each is one datagram' })
    .option('wait', { alias: 'w', type: 'string', requiresArg: true, describe: 'print replies until none came for this long (500ms, 2s)' })
    .option('count', { alias: 'c', type: 'string', default: '1', describe: 'send each message N times, numbered #1..#N' })
    .option('interval', { alias: 'i', type: 'string', requiresArg: true, default: '0', describe: 'pause between datagrams (10ms, 1s)' })
    .option('seq', { type: 'boolean', default: false, describe: 'number datagrams seq=i/N t=MS; with --wait, count the replies (lost, late, duplicated, latency) and the room refusals apart from loss' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object at the end: sent, replies, stats' })
    .option('connect-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'TCP and WebSocket: give up connecting after this long' });
}

async function* stdinLines(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield line;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const args = (argv['message'] as unknown[] | undefined)?.map(String) ?? [];
  const seq = Boolean(argv['seq']);
  const json = Boolean(argv['json']);
  const times = count(argv['count'], 'count');
  // A numbered run announces its total up front, so it takes its messages from the arguments
  // only; with none, the datagrams carry the number and time alone.
  const listed = args.length > 0 ? args : seq ? [''] : null;
  if (listed && seq && listed.length * times > MAX_SEQ_TOTAL) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--count: --seq sends at most ${MAX_SEQ_TOTAL} datagrams (messages × count)`);
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  const result = await sendMessages({
    ...connectOptions(argv),
    messages: listed ?? stdinLines(),
    count: times,
    intervalMs: duration(argv['interval'], 'interval'),
    waitMs: argv['wait'] === undefined ? 0 : duration(argv['wait'], 'wait'),
    seq,
    ...(json ? {} : { onLine: print }),
  });
  if (json) print(JSON.stringify({ sent: result.sent, replies: result.received, ...(result.stats ? { stats: result.stats } : {}) }));
  else if (result.stats) for (const line of formatSeqStats(result.stats)) print(line);
}
