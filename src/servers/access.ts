/**
 * Who may connect at all: `--allow CIDR` and `--deny CIDR`, as ncat takes them, checked with
 * Node's own BlockList (IPv4, IPv6 and v4-mapped addresses alike). Deny wins; with any allow,
 * only the allowed get in. Every transport asks before a peer reaches the room.
 */
import net from 'node:net';
import { ChatError } from '../core/errors.js';

/** Answers whether an IP may connect. */
export type Admit = (ip: string) => boolean;

function family(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv6(address) ? 'ipv6' : 'ipv4';
}

function addRule(list: net.BlockList, rule: string): void {
  const parts = rule.trim().split('/');
  const [address = '', bits] = parts;
  // More than one `/` (10.0.0.0/8/9) is a typo, not a /8: refuse it rather than guess.
  if (parts.length > 2 || !net.isIP(address) || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
    throw new ChatError('ERR_BAD_ARGUMENT', `bad address range '${rule}': use an address or CIDR like 10.0.0.0/8 or fd00::/8`);
  }
  const max = family(address) === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) throw new ChatError('ERR_BAD_ARGUMENT', `bad prefix length in '${rule}': at most ${max}`);
  list.addSubnet(address, prefix, family(address));
}

// `::ffff:10.1.2.3` is how a dual-stack socket shows an IPv4 peer: check it as the IPv4 it is.
function plain(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** Builds the check from the rules; with none, everyone is admitted. Throws ERR_BAD_ARGUMENT for a bad rule. */
export function accessList(allow: readonly string[] = [], deny: readonly string[] = []): Admit {
  if (allow.length === 0 && deny.length === 0) return () => true;
  const allowed = new net.BlockList();
  const denied = new net.BlockList();
  for (const rule of allow) addRule(allowed, rule);
  for (const rule of deny) addRule(denied, rule);
  return (ip) => {
    const address = plain(ip);
    if (!net.isIP(address)) return false;
    if (denied.check(address, family(address))) return false;
    return allow.length === 0 || allowed.check(address, family(address));
  };
}

/**
 * True when the rules turn away everyone who could reach a server on `host`: on loopback, when
 * the loopback address itself is refused; elsewhere, when every family the socket takes (IPv4,
 * IPv6, both on `::`) is closed by a /0 deny, or by allows of the other family only. Rules that
 * close a family piece by piece (0.0.0.0/1 and 128.0.0.0/1) are not recognised: the banner then
 * lists the rules rather than saying nobody.
 */
export function turnsAwayEveryone(host: string, allow: readonly string[] = [], deny: readonly string[] = []): boolean {
  if (allow.length === 0 && deny.length === 0) return false;
  const admit = accessList(allow, deny);
  if (host === 'localhost') return !admit('127.0.0.1') && !admit('::1');
  if (host === '::1' || /^127\./.test(host)) return !admit(host);
  const closed = (f: 'ipv4' | 'ipv6') =>
    deny.some((rule) => family(rule.split('/')[0]!.trim()) === f && rule.trim().endsWith('/0')) || (allow.length > 0 && !allow.some((rule) => family(rule.split('/')[0]!.trim()) === f));
  const families: Array<'ipv4' | 'ipv6'> = host === '::' ? ['ipv4', 'ipv6'] : [net.isIPv6(host) ? 'ipv6' : 'ipv4'];
  return families.every(closed);
}
