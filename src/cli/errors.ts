/**
 * The one line and the exit code for every way a command can fail, so the same mistake reads the
 * same from every command (README's exit codes: 0 done, 1 runtime failure, 2 usage mistake).
 * Node's own texts (`bind EADDRINUSE 127.0.0.1:9000`, `listen EADDRINUSE: address already in use
 * ...`, `getaddrinfo ENOTFOUND x`) differ by socket kind; a user should not have to know which.
 */
import { ChatError } from '../core/errors.js';
import { UsageError } from './cli.js';
import { unresolvable } from '../client/connection.js';
import { USAGE_CODES } from './options.js';

/** What main prints (after `udp-chat: `) and the exit code. `usage` adds the pointer to --help. */
export interface Explained {
  message: string;
  exitCode: 1 | 2;
  usage: boolean;
  /** A bug, not a mistake: the stack goes with it so it can be reported. */
  internal?: boolean;
}

/** Where the error came from: the command typed and its parsed flags, when parsing got that far. */
export interface ErrorContext {
  command?: string | undefined;
  argv?: Record<string, unknown> | undefined;
}

/** getaddrinfo's "no such name" codes (EAI_AGAIN: no DNS answer, which for a typed name reads the same). */
const RESOLVE_CODES = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA']);

/**
 * The flag that picks the port that was in use, so the line can suggest `FLAG 0`: the page's
 * --web, the proxy's --listen, else --port.
 */
function portFlag(err: NodeJS.ErrnoException & { port?: number }, ctx: ErrorContext): string {
  if (ctx.command === 'proxy') return '--listen';
  const web = ctx.argv?.['web'];
  if (err.syscall === 'listen' && web !== undefined && Number(web) === err.port) return '--web';
  return '--port';
}

/** The kind of socket a bind error came from: dgram binds (udp), net and http listen (tcp, or the page's web). */
function socketKind(err: NodeJS.ErrnoException, flag: string): string {
  if (flag === '--web') return 'web (HTTP)';
  return err.syscall === 'bind' ? 'udp' : 'tcp';
}

/** The line and exit code for `err`, thrown while parsing or running the command in `ctx`. */
export function explain(err: unknown, ctx: ErrorContext = {}): Explained {
  if (err instanceof UsageError) return { message: oneLine(err.message), exitCode: 2, usage: true };
  if (err instanceof ChatError) {
    const usage = USAGE_CODES.has(err.code);
    return { message: oneLine(err.message), exitCode: usage ? 2 : 1, usage };
  }
  const e = err as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number };
  if (e && typeof e === 'object' && e.code && RESOLVE_CODES.has(e.code) && e.hostname) {
    return { message: unresolvable(e.hostname).message, exitCode: 2, usage: true };
  }
  if (e && typeof e === 'object' && e.code === 'EADDRINUSE' && e.port !== undefined) {
    const flag = portFlag(e, ctx);
    return {
      message: `${socketKind(e, flag)} port ${e.port} on ${e.address ?? 'this machine'} is in use (EADDRINUSE): stop the other program or pick a free port with ${flag} 0`,
      exitCode: 1,
      usage: false,
    };
  }
  if (e && typeof e === 'object' && (e.code === 'EACCES' || e.code === 'EPERM') && (e.syscall === 'bind' || e.syscall === 'listen') && e.port !== undefined) {
    // Ports below 1024 need privileges on Linux and macOS before Mojave.
    return { message: `port ${e.port} on ${e.address ?? 'this machine'} needs privileges (${e.code}): pick a port from 1024, or --port 0`, exitCode: 1, usage: false };
  }
  if (e && typeof e === 'object' && e.syscall) return { message: oneLine(String(e.message)), exitCode: 1, usage: false };
  return { message: `internal error, please report it:\n${(err as Error)?.stack ?? String(err)}`, exitCode: 1, usage: false, internal: true };
}

/** yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): a mistake is one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
