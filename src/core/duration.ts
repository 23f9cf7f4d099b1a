import { ChatError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Parses `500ms`, `10s`, `5m`, `1h` or plain seconds (`2`, `0.5`) into milliseconds,
 * as iperf3 and ncat users write them. Throws ERR_BAD_DURATION for anything else.
 */
export function parseDuration(input: string | number): number {
  const text = String(input).trim();
  const match = DURATION.exec(text);
  if (!match) {
    throw new ChatError('ERR_BAD_DURATION', `bad duration '${input}': use e.g. 500ms, 10s, 5m or plain seconds`);
  }
  const ms = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new ChatError('ERR_BAD_DURATION', `duration '${input}' is too long`);
  }
  return Math.round(ms);
}

/**
 * Formats milliseconds exactly, the way parseDuration reads them back: `60s`, `500ms`, `1.5s`,
 * `1234ms`, `5m`. Exact because clients read the peer timeout back from the welcome.
 */
export function formatDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole >= 120_000 && whole % 60_000 === 0) return `${whole / 60_000}m`;
  if (whole >= 1000 && whole % 100 === 0) return `${whole / 1000}s`;
  return `${whole}ms`;
}

/** An approximate age for people (`/who` idle times): whole seconds from 1s on. */
export function formatAge(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : formatDuration(Math.round(ms / 1000) * 1000);
}
