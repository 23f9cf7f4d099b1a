/**
 * Which `Host` the page's server answers for: a defence against DNS rebinding. A page on
 * attacker.test can make its name resolve to 127.0.0.1 (or to this machine's LAN address) a
 * moment after loading; the browser then sends its requests, WebSocket upgrade included, here
 * with `Host: attacker.test:PORT` and `Origin: http://attacker.test:PORT`, which pass the
 * same-origin check. Such a page would read /stats and join the room in the visitor's name. So
 * the page, /stats and the upgrade answer only for a Host that is this server's own: the address
 * it is bound to (any local interface address when bound to 0.0.0.0 or ::), the name it was told
 * to listen on, a loopback name, or the host of an `--origin`; anything else gets 403.
 */
import { isIP } from 'node:net';
import os from 'node:os';
import { isLoopback } from '../address.js';

/** What a Host is checked against; made once the server knows where it is bound. */
export interface HostRule {
  /** Names and addresses allowed as they are (lower case, IPv6 without brackets). */
  readonly names: ReadonlySet<string>;
  /** Bound to every interface: any address an interface has now is allowed (looked up per request, as interfaces come and go). */
  readonly anyLocal: boolean;
}

/** A host name or address as compared: lower case, no brackets, no trailing dot, no IPv6 zone. */
function canonical(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').replace(/%.*$/, '');
}

/**
 * The rule for a server bound to `bound` (the socket's address), asked to listen on `configured`
 * (what `--host` said: an address or a name), with `origins` (parsed `--origin` values) allowed.
 */
export function hostRule(bound: string, configured: string, origins: readonly string[]): HostRule {
  const names = new Set([canonical(bound), canonical(configured)]);
  for (const origin of origins) if (origin !== '*') names.add(canonical(new URL(origin).hostname));
  const any = canonical(bound);
  return { names, anyLocal: any === '0.0.0.0' || any === '::' };
}

/** True for a name only this machine answers to: localhost, *.localhost (RFC 6761), 127.0.0.0/8, ::1. */
function loopbackName(host: string): boolean {
  return isLoopback(host) || host.endsWith('.localhost');
}

/** True when one of this machine's interfaces has the address now. */
function localAddress(host: string): boolean {
  if (isIP(host) === 0) return false;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (canonical(a.address) === host) return true;
  }
  return false;
}

/** Whether a request with this `Host` header (`name:port`, `[v6]:port`) is for this server. */
export function hostAllowed(header: string | undefined, rule: HostRule): boolean {
  if (!header) return false;
  let hostname: string;
  try {
    // Through URL, so `127.1`, upper case and punycode compare as the browser sent them.
    hostname = canonical(new URL(`http://${header}`).hostname);
  } catch {
    return false;
  }
  return loopbackName(hostname) || rule.names.has(hostname) || (rule.anyLocal && localAddress(hostname));
}
