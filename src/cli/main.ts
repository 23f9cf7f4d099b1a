#!/usr/bin/env node
/**
 * The udp-chat executable. Exit codes: 0 done, 1 runtime error (one clear line), 2 usage error.
 * A user's mistake never prints a stack trace; a bug does, so it can be reported.
 */
import { hideBin } from 'yargs/helpers';
import { buildCli } from './cli.js';
import { explain, type ErrorContext } from './errors.js';

// `udp-chat demo loss | head` closes the pipe early: that is the reader's choice, not our error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const args = hideBin(process.argv);
// A usage error points at the help of the command that was typed, when it names one.
const COMMANDS = new Set(['serve', 'chat', 'send', 'echo', 'ping', 'proxy', 'demo', 'ticket']);
const command = args.find((a) => !a.startsWith('-'));
const help = command && COMMANDS.has(command) ? `udp-chat ${command} --help` : 'udp-chat --help';
// What was parsed, so a port in use can name the flag that chose it (--port, --web, --listen).
const context: ErrorContext = { command: command && COMMANDS.has(command) ? command : undefined };

try {
  await buildCli(args)
    .middleware((argv) => {
      context.argv = argv;
    }, true)
    .parseAsync();
} catch (err) {
  const { message, exitCode, usage } = explain(err, context);
  process.stderr.write(`udp-chat: ${message}${usage ? ` (${help} for usage)` : ''}\n`);
  process.exitCode = exitCode;
}
