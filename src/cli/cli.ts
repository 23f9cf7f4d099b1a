/** The yargs program, built without running it, so tests can parse argv in-process (as c8's buildYargs). */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import * as chat from './chat.js';
import * as demo from './demo.js';
import * as echo from './echo.js';
import * as ping from './ping.js';
import * as proxy from './proxy.js';
import * as send from './send.js';
import * as serve from './serve.js';
import * as ticket from './ticket.js';
import { mustResolve, plainDefaults } from './options.js';

/** A usage error from yargs (unknown flag, missing command, bad choice): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What runs a parsed command; tests pass one that records instead of starting servers. */
export type Runner = (command: string, argv: Record<string, unknown>) => Promise<void>;

const COMMANDS = { serve, chat, send, echo, ping, proxy, demo, ticket };

/**
 * udp-chat's own version, from the package.json beside this module (dist/src/cli -> the package
 * root), not yargs' guess: installed as a dependency, yargs found the host project's package.json.
 */
export function ownVersion(): string {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'udp-chat' && pkg.version) return pkg.version;
    } catch {
      // Not there from this layout (built in dist/, or run from the sources): try the next.
    }
  }
  return 'unknown';
}

/** The host names each command is given, so an unknown one is refused the same way by all. */
const HOSTS: Record<string, (a: Record<string, unknown>) => unknown[]> = {
  serve: (a) => [a['host']],
  echo: (a) => [a['host']],
  chat: (a) => [a['host']],
  send: (a) => [a['host']],
  ping: (a) => [a['target'] ?? a['host']],
  proxy: (a) => [a['listen-host'], /^(?:\[([^\]]+)\]|([^:]+)):\d+$/.exec(String(a['to']).trim())?.slice(1).find(Boolean)],
};

/** Builds the udp-chat command line for `argv` (without the node and script paths). */
export function buildCli(argv: string[], runner?: Runner): Argv {
  let y = yargs(argv);
  for (const [name, m] of Object.entries(COMMANDS)) {
    // --version belongs to udp-chat, not to each command (`serve --version` is a usage mistake).
    const builder = (inner: Argv) => plainDefaults((m.builder as (y: Argv) => Argv)(inner.version(false)));
    y = y.command(m.command, m.describe, builder, (a) => (runner ? runner(name, a) : m.handler(a)));
  }
  return y
    .scriptName('udp-chat')
    .usage('udp-chat: chat and echo over UDP datagrams\n\nusage: udp-chat <command> [options]')
    .example('$0 serve', 'a room on 127.0.0.1:9000 over UDP')
    .example('$0 chat --name alice', 'join it (or: nc -u 127.0.0.1 9000)')
    .example('$0 demo loss', 'a classroom demo: lost datagrams against TCP')
    .example('$0 COMMAND --help', "a command's options and examples")
    .demandCommand(1, 'name a command: serve, chat, send, echo, ping, proxy, demo, ticket')
    .strict()
    // An unknown host name reads the same from every command, before anything is opened; the
    // parse runs first (a usage mistake is reported as one), so the tests that parse in-process
    // with a runner do not look names up.
    .middleware(async (a) => {
      const hosts = HOSTS[String(a._[0])];
      if (!runner && hosts) for (const name of hosts(a)) await mustResolve(name);
    })
    .completion('completion', 'print a bash or zsh completion script (udp-chat completion >> ~/.bashrc, or ~/.zshrc)')
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
    .version(ownVersion())
    .epilogue('durations: 500ms, 10s, 5m or plain seconds. docs: README.md');
}
