/** Options several commands share, and the parsing that turns their strings into checked values. */
import type { Argv } from 'yargs';
import { parseDuration } from '../core/duration.js';
import { ChatError } from '../core/errors.js';
import { DEFAULT_PORT } from '../core/limits.js';
import { resolveHost, type ClientTransport, type ConnectOptions } from '../client/connection.js';
import { readSecretFile } from '../servers/tickets.js';
import { parseHost, parsePort } from '../transports/address.js';
import { FRAMINGS, type FramingName } from '../transports/framing.js';
import { DEFAULT_MULTICAST_TTL, interfaceFor, parseGroup } from '../transports/multicast/group.js';

/** Error codes that mean the user typed something wrong: exit 2, like a yargs usage error. */
export const USAGE_CODES: ReadonlySet<string> = new Set(['ERR_BAD_PORT', 'ERR_BAD_HOST', 'ERR_BAD_DURATION', 'ERR_BAD_ARGUMENT']);

/** --host, --port, --transport (and --tcp), --framing: where to listen or connect, and how. */
export function addressOptions<T>(y: Argv<T>, hostHelp: string, transports: readonly string[] = ['udp', 'tcp']) {
  // Only a server can take port 0 (any free port); a client needs the real one.
  const listening = transports.includes('both');
  return y
    .option('host', { alias: 'H', type: 'string', default: '127.0.0.1', describe: hostHelp })
    .option('port', { alias: 'p', type: 'string', default: String(DEFAULT_PORT), describe: listening ? 'port number (0 picks a free one)' : 'port number' })
    .option('transport', { alias: 't', type: 'string', choices: transports, default: 'udp', describe: 'transport' })
    .option('tcp', { type: 'boolean', default: false, describe: 'short for --transport tcp' })
    .option('framing', { type: 'string', choices: FRAMINGS, default: 'line', describe: 'TCP message framing: lines, 2-byte big-endian length prefixes (length), or little-endian ones as the Go tutorials write them (length-le)' });
}

/** The transport asked for: --tcp wins over the --transport default, but not over a contrary --transport. */
export function transport(argv: Record<string, unknown>): string {
  const asked = String(argv['transport']);
  if (!argv['tcp']) return asked;
  if (asked !== 'udp' && asked !== 'tcp') throw new ChatError('ERR_BAD_ARGUMENT', `--tcp contradicts --transport ${asked}`);
  return 'tcp';
}

/** A checked --host. */
export function host(value: unknown): string {
  return parseHost(String(value));
}

/**
 * Throws `cannot resolve the host NAME` when NAME is a host name the system cannot resolve, so
 * every command (serve, echo, proxy, ping, chat, send) says it the same way, before it opens
 * anything: the client's own resolver, whose wording that is. Addresses, and text parseHost
 * refuses (the command says why), are left alone.
 */
export async function mustResolve(name: unknown): Promise<void> {
  if (typeof name !== 'string' || name === '') return;
  let parsed: string;
  try {
    parsed = parseHost(name);
  } catch {
    return;
  }
  await resolveHost(parsed);
}

/** The key that ends input at a terminal: Ctrl-D, or on Windows Ctrl-Z then Enter. */
export function endOfInputKey(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'Ctrl-Z Enter' : 'Ctrl-D';
}

/**
 * Marks flags as numbers for --help (`[number]`) while the parser keeps their text: yargs-parser
 * coerces only a key that is a number and not a string, and the flags are declared strings,
 * because yargs' number type takes 0x10 as 16 and 1e1 as 10 for a typo of a small number
 * (each command checks the digits itself). The help test asserts both halves.
 */
export function numeric<T>(y: Argv<T>, ...keys: string[]): Argv<T> {
  return keys.length ? y.number(keys) : y;
}

/** Duration flags whose default is a bare `0` (no delay, no pause): shown as typed, not as numbers. */
const ZERO_DURATIONS: ReadonlySet<string> = new Set(['delay', 'jitter', 'latency', 'coalesce', 'interval']);

/**
 * Shows the number and duration defaults as they are typed (`[number] [default: 9000]`,
 * `[default: 60s]`) rather than as JSON strings (`[string] [default: "9000"]`).
 */
export function plainDefaults<T>(y: Argv<T>): Argv<T> {
  const { default: defaults, defaultDescription } = (y as unknown as { getOptions(): { default: Record<string, unknown>; defaultDescription: Record<string, string | undefined> } }).getOptions();
  const numbers: string[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    if (typeof value !== 'string' || !/^\d+(\.\d+)?(ms|s|m|h)?$/.test(value)) continue;
    if (defaultDescription[key] === undefined) y = y.default(key, value, value);
    if (/^\d+$/.test(value) && !ZERO_DURATIONS.has(key)) numbers.push(key);
  }
  return numeric(y, ...numbers);
}

/**
 * A flag's old name, kept working for one release: hidden from --help, copied to the new name,
 * and one line on stderr saying the new one. `fallback` is the new flag's default, given here
 * rather than to yargs so an old name typed with a defaulted new one is not taken as both.
 */
export function renamed<T>(y: Argv<T>, old: string, now: string, meaning: string, fallback?: string): Argv<T> {
  return y.option(old, { type: 'string', hidden: true, requiresArg: true }).middleware((argv) => {
    const a = argv as Record<string, unknown>;
    if (a[old] !== undefined) {
      if (a[now] !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', `--${old} is the old name of --${now}: give --${now} only`);
      process.stderr.write(`udp-chat: --${old} is now --${now} (${meaning}); the old name goes in the next release\n`);
      a[now] = a[old];
    }
    if (a[now] === undefined && fallback !== undefined) a[now] = fallback;
  });
}

/** A checked --port. */
export function port(value: unknown, allowZero = true): number {
  return parsePort(String(value), allowZero);
}

/** A checked duration flag. */
export function duration(value: unknown, flag: string): number {
  // `-5s` is not a duration with a sign: say what is wanted rather than "bad duration".
  if (/^\s*-/.test(String(value))) throw new ChatError('ERR_BAD_DURATION', `--${flag} must be a positive duration (500ms, 10s, 5m), not '${String(value)}'`);
  try {
    return parseDuration(String(value));
  } catch (err) {
    throw new ChatError('ERR_BAD_DURATION', `--${flag}: ${(err as Error).message}`);
  }
}

/** A duration that must be more than 0 (a peer timeout of 0 would drop every peer as it speaks). */
export function positive(ms: number, flag: string): number {
  if (ms <= 0) throw new ChatError('ERR_BAD_DURATION', `--${flag} must be more than 0`);
  return ms;
}

/** A checked whole number flag, at least `min`. */
export function count(value: unknown, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} takes a whole number from ${min}`);
  return n;
}

/**
 * Flags that mean nothing empty: `--ticket` with no value (or `--ticket ""`) would join without a
 * ticket, `serve --password ""` would open the room. A usage error instead.
 */
export function notEmpty<T>(y: Argv<T>, ...flags: string[]): Argv<T> {
  return y.check((argv) => {
    const empty = flags.find((f) => typeof argv[f] === 'string' && (argv[f] as string).trim() === '');
    return empty === undefined || `--${empty} needs a value`;
  });
}

/** Where a client connects and how, from the flags `chat` and `send` share. */
export function connectOptions(argv: Record<string, unknown>): ConnectOptions {
  return {
    host: host(argv['host']),
    port: port(argv['port'], false),
    transport: transport(argv) as ClientTransport,
    framing: argv['framing'] as FramingName,
    // 0 would give up before the first packet left: not "no limit" as 0 is elsewhere.
    connectTimeoutMs: positive(duration(argv['connect-timeout'], 'connect-timeout'), 'connect-timeout'),
  };
}

/** A secret given as `--FLAG SECRET` or `--FLAG-file FILE` (not both), or undefined when neither is. */
export function secretFrom(argv: Record<string, unknown>, flag: string): string | undefined {
  const given = argv[flag];
  const file = argv[`${flag}-file`];
  if (given !== undefined && file !== undefined) throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} and --${flag}-file: give one`);
  if (file !== undefined) return readSecretFile(String(file));
  return given === undefined ? undefined : String(given);
}

/** --interface and --ttl: how `chat --multicast`, `send --multicast/--broadcast` and `serve --multicast` reach a group. */
export function groupOptions<T>(y: Argv<T>, use = 'join and send on', byDefault = "the system's choice") {
  return y
    .option('interface', { type: 'string', requiresArg: true, describe: `multicast: the interface to ${use}, by its IPv4 address (127.0.0.1 keeps a group on this machine) or, for IPv6, its name (lo, eth0, en0); default: ${byDefault}` })
    .option('ttl', { type: 'string', requiresArg: true, default: String(DEFAULT_MULTICAST_TTL), describe: 'multicast hops: 1 stays on the LAN, 0 on this machine' });
}

/** What --multicast, --interface and --ttl say, checked: the group, its interface as Node takes it, the hops. */
export function groupFrom(argv: Record<string, unknown>): { group: string; interface: string | undefined; ttl: number } {
  const group = parseGroup(String(argv['multicast']));
  // Digits only: Number() also took 0x10 (16 hops) and 1e1 (10) for a typo of a small number.
  const ttl = /^\d{1,3}$/.test(String(argv['ttl'])) ? Number(argv['ttl']) : NaN;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new ChatError('ERR_BAD_ARGUMENT', `--ttl takes a whole number from 0 to 255, not '${String(argv['ttl'])}'`);
  const given = typeof argv['interface'] === 'string' ? argv['interface'] : undefined;
  return { group, interface: interfaceFor(group, given), ttl };
}
