/** The yargs program, built without running it, so tests can parse argv in-process (as c8's buildYargs). */
import yargs, { type Argv } from 'yargs';
import * as chat from './chat.js';
import * as demo from './demo.js';
import * as echo from './echo.js';
import * as proxy from './proxy.js';
import * as send from './send.js';
import * as serve from './serve.js';
import * as ticket from './ticket.js';

/** A usage error from yargs (unknown flag, missing command, bad choice): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What runs a parsed command; tests pass one that records instead of starting servers. */
export type Runner = (command: string, argv: Record<string, unknown>) => Promise<void>;

const COMMANDS = { serve, chat, send, echo, proxy, demo, ticket };

/** Builds the udp-chat command line for `argv` (without the node and script paths). */
export function buildCli(argv: string[], runner?: Runner): Argv {
  let y = yargs(argv);
  for (const [name, m] of Object.entries(COMMANDS)) {
    y = y.command(m.command, m.describe, m.builder as (y: Argv) => Argv, (a) => (runner ? runner(name, a) : m.handler(a)));
  }
  return y
    .scriptName('udp-chat')
    .usage('udp-chat: chat and echo over UDP datagrams\n\nusage: udp-chat <command> [options]')
    .demandCommand(1, 'name a command: serve, chat, send, echo, proxy, demo, ticket')
    .strict()
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new UsageError(message);
    })
    .help()
    .alias('help', 'h')
    .version()
    .epilogue('durations: 500ms, 10s, 5m or plain seconds. docs: README.md');
}
