/**
 * The seeded UDP impairment flags `proxy` and `echo` share (netem's names), and the parsing that
 * turns them into a UdpImpairment: one definition, so `echo --loss 0.3 --seed 1` means what
 * `proxy --loss 0.3 --seed 1` means, down to the datagrams lost.
 */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { NO_IMPAIRMENT, type UdpImpairment } from '../transports/policy.js';
import { freshSeed } from '../transports/random.js';
import { count, duration } from './options.js';

/** A probability: `0.25` or `25%`. */
export function probability(value: unknown, flag: string): number {
  const text = String(value).trim();
  const digits = text.endsWith('%') ? text.slice(0, -1).trim() : text;
  const n = text.endsWith('%') ? Number(digits) / 100 : Number(digits);
  // Number('') is 0: a bare `%` must not pass as no loss at all.
  if (!(n >= 0 && n <= 1) || digits === '') throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} takes a probability: 0 to 1, or 0% to 100%`);
  return n;
}

/**
 * A rate in bytes per second: `125000`, `64k`, `1.5M`, optionally followed by `B/s` or `/s`; or
 * in bits, as netem (`rate 8mbit`) and iperf3 (`-b 10M`, bits) count: `512kbit`, `10Mbit/s`.
 */
export function rate(value: unknown, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(bit|B)?(?:\/s)?$/.exec(String(value).trim());
  if (!match) throw new ChatError('ERR_BAD_ARGUMENT', `--${flag} takes bytes per second: 125000, 64k or 1.5M (or bits: 10Mbit)`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round((Number(match[1]) * scale) / (match[3] === 'bit' ? 8 : 1));
}

/**
 * --seed, --loss, --loss-correlation, --delay, --delay-dist, --jitter, --reorder, --reorder-gap,
 * --duplicate. `lossHelp` lets the proxy say what --loss does to TCP as well.
 */
export function impairmentOptions<T>(y: Argv<T>, lossHelp = 'UDP: chance a datagram is lost (0.1 or 10%)') {
  return y
    .option('seed', { type: 'string', describe: 'seed for the random choices: the same seed, the same run (one is picked and printed if not given)' })
    .option('loss', { type: 'string', default: '0', describe: lossHelp })
    .option('loss-correlation', { type: 'string', default: '0', describe: 'UDP: netem correlation of losses (bursts)' })
    .option('delay', { type: 'string', requiresArg: true, default: '0', describe: 'UDP: added delay (50ms); with --delay-dist uniform, the most' })
    .option('delay-dist', { type: 'string', choices: ['fixed', 'uniform'], default: 'fixed', describe: 'UDP: fixed (--delay ± --jitter) or uniform (each delay drawn in [0, --delay])' })
    .option('jitter', { type: 'string', requiresArg: true, default: '0', describe: 'UDP: ± random variation of a fixed delay' })
    .option('reorder', { type: 'string', default: '0', describe: 'UDP: chance a datagram is held back so later ones overtake it' })
    .option('reorder-gap', { type: 'string', requiresArg: true, default: '10ms', describe: 'UDP: how long a reordered datagram is held back' })
    .option('duplicate', { type: 'string', default: '0', describe: 'UDP: chance a datagram is sent twice' });
}

/** The flags impairmentOptions defines, checked: a UdpImpairment with the rest switched off. */
export function udpImpairment(argv: Record<string, unknown>): UdpImpairment {
  const delayDist = argv['delay-dist'] === 'uniform' ? 'uniform' : 'fixed';
  const jitterMs = duration(argv['jitter'], 'jitter');
  // A uniform delay has its spread built in: a jitter on top would be silently ignored.
  if (delayDist === 'uniform' && jitterMs > 0) throw new ChatError('ERR_BAD_ARGUMENT', '--jitter varies a fixed delay: with --delay-dist uniform each delay is already drawn in [0, --delay]');
  const delayMs = duration(argv['delay'], 'delay');
  // Drawn in [0, 0] is no delay at all: say so rather than run as if a delay were on.
  if (delayDist === 'uniform' && delayMs === 0) throw new ChatError('ERR_BAD_ARGUMENT', '--delay-dist uniform draws each delay in [0, --delay]: give the most with --delay (200ms)');
  return {
    ...NO_IMPAIRMENT,
    loss: probability(argv['loss'], 'loss'),
    lossCorrelation: probability(argv['loss-correlation'], 'loss-correlation'),
    delayMs,
    jitterMs,
    delayDist,
    reorder: probability(argv['reorder'], 'reorder'),
    reorderGapMs: duration(argv['reorder-gap'], 'reorder-gap'),
    duplicate: probability(argv['duplicate'], 'duplicate'),
  };
}

/** True when the impairment would change anything. */
export function impairs(i: Readonly<UdpImpairment>): boolean {
  return i.loss > 0 || i.delayMs > 0 || i.jitterMs > 0 || i.reorder > 0 || i.duplicate > 0 || i.rateBytesPerSec > 0 || i.corrupt > 0;
}

/** The largest seed: the generator keeps 32 bits, so a larger one would repeat a smaller one's run. */
export const MAX_SEED = 2 ** 32 - 1;

/** A --seed value: a whole number from 0 to MAX_SEED. */
export function seedValue(value: unknown): number {
  const n = count(value, 'seed', 0);
  if (n > MAX_SEED) throw new ChatError('ERR_BAD_ARGUMENT', `--seed takes a whole number from 0 to ${MAX_SEED}`);
  return n;
}

/** --seed, or a fresh one when none was given (printed by the caller, so the run can be repeated). */
export function seedFrom(argv: Record<string, unknown>): number {
  return argv['seed'] === undefined ? freshSeed() : seedValue(argv['seed']);
}

/** The impairment in a few words for a banner: `loss 30%, delay 0-200ms uniform`. */
export function describeImpairment(i: Readonly<UdpImpairment>): string {
  const pct = (p: number) => `${+(p * 100).toFixed(2)}%`;
  const parts: string[] = [];
  if (i.loss > 0) parts.push(`loss ${pct(i.loss)}${i.lossCorrelation > 0 ? ` (correlation ${pct(i.lossCorrelation)})` : ''}`);
  if (i.delayMs > 0 || i.jitterMs > 0) parts.push(i.delayDist === 'uniform' ? `delay 0-${i.delayMs}ms uniform` : `delay ${i.delayMs}ms${i.jitterMs > 0 ? ` ± ${i.jitterMs}ms` : ''}`);
  if (i.reorder > 0) parts.push(`reorder ${pct(i.reorder)} by ${i.reorderGapMs}ms`);
  if (i.duplicate > 0) parts.push(`duplicate ${pct(i.duplicate)}`);
  if (i.corrupt > 0) parts.push(`corrupt ${pct(i.corrupt)}`);
  return parts.join(', ') || 'none';
}
