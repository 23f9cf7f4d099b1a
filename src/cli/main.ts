#!/usr/bin/env node
/**
 * The udp-chat executable. Exit codes: 0 done, 1 runtime error (one clear line), 2 usage error.
 * A user's mistake never prints a stack trace; a bug does, so it can be reported.
 */
import { hideBin } from 'yargs/helpers';
import { ChatError } from '../core/errors.js';
import { buildCli, UsageError } from './cli.js';
import { USAGE_CODES } from './options.js';

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

try {
  await buildCli(args).parseAsync();
} catch (err) {
  if (err instanceof UsageError || (err instanceof ChatError && USAGE_CODES.has(err.code))) {
    // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): a usage error is one line.
    process.stderr.write(`udp-chat: ${err.message.replace(/\s*\n\s*/g, ' ')} (${help} for usage)\n`);
    process.exitCode = 2;
  } else if (err instanceof ChatError || (err as NodeJS.ErrnoException).syscall) {
    process.stderr.write(`udp-chat: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`udp-chat: internal error, please report it:\n${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
