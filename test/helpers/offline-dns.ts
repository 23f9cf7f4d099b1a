/**
 * Loaded into a spawned udp-chat with `--import` (NODE_OPTIONS): host names under `.invalid`
 * (RFC 6761: never a real name) fail as getaddrinfo fails for an unknown name, ENOTFOUND, without
 * asking a DNS server, so a test of the "cannot resolve" line sends nothing off this machine.
 * Every other name resolves as the system says.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
}

const invalid = (hostname: unknown) => typeof hostname === 'string' && /\.invalid\.?$/i.test(hostname);

const lookup = dns.lookup;
dns.lookup = ((hostname: string, ...rest: unknown[]) => {
  const callback = rest[rest.length - 1] as (err: Error | null) => void;
  if (invalid(hostname)) return void process.nextTick(() => callback(notFound(hostname)));
  return (lookup as (...a: unknown[]) => void)(hostname, ...rest);
}) as typeof dns.lookup;

const lookupPromise = dns.promises.lookup;
dns.promises.lookup = ((hostname: string, ...rest: unknown[]) =>
  invalid(hostname) ? Promise.reject(notFound(hostname)) : (lookupPromise as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest)) as typeof dns.promises.lookup;

syncBuiltinESMExports();
