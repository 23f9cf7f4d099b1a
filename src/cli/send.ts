/** `udp-chat send`: one datagram per message, from arguments or lines of stdin. */
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { sendMessages } from '../client/send.js';
import type { FramingName } from '../transports/framing.js';
import { addressOptions, count, duration, host, port, transport } from './options.js';

export const command = 'send [message..]';
export const describe = 'send messages (arguments, else each line of stdin) as datagrams';

export function builder(y: Argv) {
  return addressOptions(y, 'server to send to')
    .positional('message', { type: 'string', array: true, describe: 'messages; each is one datagram' })
    .option('wait', { alias: 'w', type: 'string', describe: 'print replies until none came for this long (500ms, 2s)' })
    .option('count', { alias: 'c', type: 'string', default: '1', describe: 'send each message N times, numbered #1..#N' })
    .option('interval', { alias: 'i', type: 'string', default: '0', describe: 'pause between datagrams (10ms, 1s)' })
    .option('connect-timeout', { type: 'string', default: '5s', describe: 'TCP: give up connecting after this long' });
}

async function* stdinLines(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield line;
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const args = (argv['message'] as unknown[] | undefined)?.map(String) ?? [];
  await sendMessages({
    host: host(argv['host']),
    port: port(argv['port'], false),
    transport: transport(argv) as 'udp' | 'tcp',
    framing: argv['framing'] as FramingName,
    connectTimeoutMs: duration(argv['connect-timeout'], 'connect-timeout'),
    messages: args.length > 0 ? args : stdinLines(),
    count: count(argv['count'], 'count'),
    intervalMs: duration(argv['interval'], 'interval'),
    waitMs: argv['wait'] === undefined ? 0 : duration(argv['wait'], 'wait'),
    onLine: (line) => process.stdout.write(line + '\n'),
  });
}
