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

try {
  await buildCli(hideBin(process.argv)).parseAsync();
} catch (err) {
  if (err instanceof UsageError || (err instanceof ChatError && USAGE_CODES.has(err.code))) {
    // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): a usage error is one line.
    process.stderr.write(`udp-chat: ${err.message.replace(/\s*\n\s*/g, ' ')} (udp-chat --help for usage)\n`);
    process.exitCode = 2;
  } else if (err instanceof ChatError || (err as NodeJS.ErrnoException).syscall) {
    process.stderr.write(`udp-chat: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`udp-chat: internal error, please report it:\n${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
