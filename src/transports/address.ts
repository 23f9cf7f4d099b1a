import { isIP } from 'node:net';
import { ChatError } from '../core/errors.js';

/** `127.0.0.1:5000` or `[::1]:5000`: one spelling for an address everywhere (names, logs, /who). */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The dgram socket type for a host: udp6 for an IPv6 literal, udp4 for anything else. */
export function udpType(host: string): 'udp4' | 'udp6' {
  return isIP(host) === 6 ? 'udp6' : 'udp4';
}

/**
 * Checks a port strictly. Node's bind takes `70000`, `'abc'` and `'0x1F90'` in ways a user does
 * not mean, so only a plain decimal 0..65535 passes (0 lets the system choose).
 */
export function parsePort(input: string | number, allowZero = true): number {
  const text = String(input).trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new ChatError('ERR_BAD_PORT', `bad port '${input}': use a number from ${allowZero ? 0 : 1} to 65535`);
  }
  return port;
}

/** Checks a host: an IPv4 or IPv6 literal, or a name made of DNS characters. */
export function parseHost(input: string): string {
  const host = input.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) || /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,252})$/.test(host)) return host;
  throw new ChatError('ERR_BAD_HOST', `bad host '${input}': use an IPv4 or IPv6 address or a host name`);
}

/** Splits `HOST:PORT` or `[V6]:PORT`. */
export function parseHostPort(input: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(input.trim());
  if (!match) throw new ChatError('ERR_BAD_HOST', `bad address '${input}': use HOST:PORT`);
  return { host: parseHost(match[1] ?? match[2]!), port: parsePort(match[3]!, false) };
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./.test(host);
}
