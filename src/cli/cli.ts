/** The yargs program, built without running it, so tests can parse argv in-process (as c8's buildYargs). */
import yargs, { type Argv } from 'yargs';
import * as chat from './chat.js';
import * as demo from './demo.js';
import * as echo from './echo.js';
import * as ping from './ping.js';
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

const COMMANDS = { serve, chat, send, echo, ping, proxy, demo, ticket };

/** Builds the udp-chat command line for `argv` (without the node and script paths). */
export function buildCli(argv: string[], runner?: Runner): Argv {
  let y = yargs(argv);
  for (const [name, m] of Object.entries(COMMANDS)) {
    y = y.command(m.command, m.describe, m.builder as (y: Argv) => Argv, (a) => (runner ? runner(name, a) : m.handler(a)));
  }
  return y
    .scriptName('udp-chat')
    .usage('udp-chat: chat and echo over UDP datagrams\n\nusage: udp-chat <command> [options]')
    .demandCommand(1, 'name a command: serve, chat, send, echo, ping, proxy, demo, ticket')
    .strict()
    // yargs makes a repeated flag an array (`--password a --password b` is ['a', 'b']), which each
    // command then read as no password, or as the file `A,A`: a flag that takes one value is
    // given once, whatever the command (the repeatable ones, --allow and the like, are arrays).
    .check((parsedArgv) => {
      const { string, array } = (y as unknown as { getOptions(): { string: string[]; array: string[] } }).getOptions();
      const key = string.find((k) => !array.includes(k) && Array.isArray(parsedArgv[k]));
      return key === undefined || `--${key} was given ${(parsedArgv[key] as unknown[]).length} times: give it once`;
    }, true)
    .exitProcess(false)
    .fail((message, err) => {
      // A handler's own error goes on as it is; yargs' (a YError from requiresArg, or the string a
      // .check returned) is a usage error.
      if (err instanceof Error && err.name !== 'YError') throw err;
      throw new UsageError(message ?? String(err));
    })
    .help()
    .alias('help', 'h')
    .version()
    .epilogue('durations: 500ms, 10s, 5m or plain seconds. docs: README.md');
}
