/**
 * Command-line flags for the scripts: node's util.parseArgs (strict, typed by the option table),
 * a few converters for numbers and choices, and `runMain`, which turns a bad flag into one line
 * on stderr and exit status 2, as the CLI does.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The option table util.parseArgs takes. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** The table with `--help` added, as flags() parses it. */
type WithHelp<O extends OptionTable> = O & { help: { type: 'boolean'; short: 'h' } };

/** The parsed values of a table: strings and booleans typed by it, each possibly undefined. */
export type Flags<O extends OptionTable> = ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O>; strict: true; allowPositionals: false }>>['values'];

/** A mistake in the command line: exit status 2, one line, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

/** A script's usage line, set by runMain and repeated after every usage error. */
let usageLine = '';

/**
 * Parses argv against the table: unknown flags, missing values and positionals are usage errors.
 * `--help` (`-h`) is added to every table; runMain prints the usage for it.
 */
export function flags<const O extends OptionTable>(argv: readonly string[], options: O): Flags<O> {
  const table: WithHelp<O> = { ...options, help: { type: 'boolean', short: 'h' } };
  try {
    return parseArgs({ args: [...argv], options: table, strict: true as const, allowPositionals: false as const }).values;
  } catch (err) {
    // parseArgs's codes (ERR_PARSE_ARGS_UNKNOWN_OPTION, ...) all mean a bad command line.
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

/** The flags every benchmark takes: --quick, --json, --rounds R, --transport udp|tcp|both. */
export const BENCH_FLAGS = {
  quick: { type: 'boolean' },
  json: { type: 'boolean' },
  rounds: { type: 'string' },
  transport: { type: 'string' },
} as const;

/** A whole number within [min, max], or the fallback when the flag is absent. */
export function int(value: string | undefined, flag: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, not '${value}'`);
  return n;
}

/** A comma-separated list of whole numbers within [min, max]. */
export function intList(value: string | undefined, flag: string, fallback: readonly number[], min = 1, max = Number.MAX_SAFE_INTEGER): number[] {
  if (value === undefined) return [...fallback];
  return value.split(',').map((part) => int(part.trim(), flag, 0, min, max));
}

/** One of the choices, or the fallback when the flag is absent. */
export function choice<const C extends string>(value: string | undefined, flag: string, choices: readonly C[], fallback: C): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${flag} takes ${choices.join(', ')}, not '${value}'`);
  return value as C;
}

/** A comma-separated list, each item one of the choices. */
export function choiceList<const C extends string>(value: string | undefined, flag: string, choices: readonly C[], fallback: readonly C[]): C[] {
  if (value === undefined) return [...fallback];
  return value.split(',').map((part) => choice(part.trim(), flag, choices, choices[0]!));
}

/** `udp`, `tcp` or `both`, as a list of transports. */
export function transports(value: string | undefined): ('udp' | 'tcp')[] {
  const t = choice(value, 'transport', ['udp', 'tcp', 'both'], 'both');
  return t === 'both' ? ['udp', 'tcp'] : [t];
}

/** True when the parsed flags asked for help (runMain has printed the usage by then). */
export function wantsHelp(values: { help?: boolean }): boolean {
  if (!values.help) return false;
  process.stdout.write(`usage: ${usageLine}\n`);
  return true;
}

/**
 * Runs a script's main: a UsageError prints `NAME: MESSAGE (usage: ...)` on one line and sets
 * exit status 2; anything else prints its stack and sets 1. Sets process.exitCode, never exits.
 */
export function runMain(importMetaUrl: string, usage: string, main: () => Promise<void> | void): void {
  usageLine = usage;
  const name = path.basename(new URL(importMetaUrl).pathname, '.js');
  const fail = (err: unknown): void => {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message} (usage: ${usage})\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  };
  try {
    void Promise.resolve(main()).catch(fail);
  } catch (err) {
    fail(err);
  }
}
