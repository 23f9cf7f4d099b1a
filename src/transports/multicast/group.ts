/**
 * The sockets of IP multicast, one place for every command that uses a group (`chat --multicast`,
 * `send --multicast`, `serve --multicast`, `demo multicast`): what a group address is, how a
 * receiver joins one and how a sender reaches one, and the one line a user reads when the system
 * says no. Each platform difference is chosen here, with the reason beside it.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ChatError } from '../../core/errors.js';
import { formatAddress } from '../address.js';

/** Hops a group datagram may take by default: 1 stays on the LAN (routers do not forward it). */
export const DEFAULT_MULTICAST_TTL = 1;

/** True for an IPv4 multicast address (224.0.0.0/4) or an IPv6 one (ff00::/8, a `%scope` allowed). */
export function isMulticast(address: string): boolean {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) === 4) {
    const first = Number(bare.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return isIP(bare) === 6 && /^ff[0-9a-f]{2}:/i.test(bare);
}

/** Checks a group address given on the command line; returns it without brackets. */
export function parseGroup(input: string): string {
  const group = input.trim().replace(/^\[(.*)\]$/, '$1');
  // A scope in the group was dropped without a word (an IPv4 one is meaningless; an IPv6 one did
  // not choose where the group is joined): the interface is --interface's alone.
  const scope = group.indexOf('%');
  if (scope >= 0 && isMulticast(group)) {
    throw new ChatError('ERR_BAD_ARGUMENT', `'${input}': give the group without a %scope (${group.slice(0, scope)}) and the interface with --interface`);
  }
  if (isMulticast(group)) return group;
  throw new ChatError(
    'ERR_BAD_ARGUMENT',
    `'${input}' is not a multicast address: use one in 224.0.0.0-239.255.255.255 (say 239.1.2.3) or ff00::/8 (say ff15::1)`,
  );
}

/** The dgram type of a group (one parseGroup took: no brackets, no scope). */
export function groupType(group: string): 'udp4' | 'udp6' {
  return isIP(group) === 6 ? 'udp6' : 'udp4';
}

/**
 * The interface as Node wants it for a group's family. IPv4 names an interface by one of its
 * addresses (`127.0.0.1`, `192.168.1.20`); IPv6 by its scope, written `::%lo` (Linux, macOS) or
 * `::%3` (Windows' index), so `--interface lo` and `--interface ::%lo` are both taken. Undefined:
 * the system's choice (its route for the group, usually the default route's interface).
 */
export function interfaceFor(group: string, iface: string | undefined): string | undefined {
  if (iface === undefined || iface === '') return undefined;
  if (groupType(group) === 'udp4') {
    if (isIP(iface) !== 4) {
      throw new ChatError('ERR_BAD_ARGUMENT', `--interface '${iface}': for an IPv4 group, give the interface's IPv4 address (127.0.0.1 for this machine alone)`);
    }
    return iface;
  }
  if (iface === '::1') return '::%lo'; // the loopback's address names the loopback
  const name = iface.replace(/^::%/, '');
  // The system takes an unknown scope name as 0, "any interface", and joins wherever it likes:
  // a typo would put the group on the wrong network without a word. Windows names by index.
  const known = Object.keys(networkInterfaces());
  if (/^[A-Za-z0-9_.-]+$/.test(name) && (known.includes(name) || /^\d+$/.test(name))) return `::%${name}`;
  if (/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--interface '${iface}': this machine has no interface of that name (it has: ${known.join(', ')})`);
  }
  throw new ChatError('ERR_BAD_ARGUMENT', `--interface '${iface}': for an IPv6 group, give the interface's name (lo, eth0, en0) or ::%NAME`);
}

/**
 * The interface a command uses when none was given: loopback for a room bound to loopback (a
 * group it feeds should not leave a machine the room itself cannot be reached from), else the
 * system's choice.
 */
export function defaultInterface(group: string, roomHost?: string): string | undefined {
  if (roomHost === undefined) return undefined;
  const loopback = roomHost === 'localhost' || roomHost === '::1' || /^127\./.test(roomHost);
  if (!loopback) return undefined;
  return groupType(group) === 'udp4' ? '127.0.0.1' : '::%lo';
}

export interface GroupOptions {
  /** The group address (parseGroup). */
  group: string;
  port: number;
  /** As interfaceFor takes it; undefined: the system's choice. */
  interface?: string;
}

export interface SenderOptions {
  /** The family of what it sends to (a group, or a broadcast address). */
  type: 'udp4' | 'udp6';
  /** As interfaceFor takes it (for a group), undefined: the system's choice. */
  interface?: string;
  /** Multicast hops (IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS); 0 keeps it on this host. Default 1. */
  ttl?: number;
  /** SO_BROADCAST, for `send --broadcast`. */
  broadcast?: boolean;
}

/**
 * Turns a system error about a group or a broadcast into the one line a user reads.
 * `interfaceGiven`: whether the user named --interface; when not, an interface error means the
 * system had none to choose (a machine offline, no default route), so the line says which to name.
 * `broadcast`: a broadcast, which on one machine goes to lo's 127.255.255.255, not out of an --interface.
 */
export function groupError(err: NodeJS.ErrnoException, what: string, { interfaceGiven = true, broadcast = false } = {}): ChatError {
  switch (err.code) {
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      if (broadcast) return new ChatError('ERR_SOCKET', `${what}: no route for it on this machine (${err.code}); on one machine, broadcast to loopback's own address: --broadcast 127.255.255.255`);
      return new ChatError('ERR_SOCKET', `${what}: no route for it on this machine (${err.code}); on one machine, use --interface 127.0.0.1 (IPv4) or --interface lo (IPv6)`);
    case 'EACCES':
    case 'EPERM':
      return new ChatError('ERR_SOCKET', `${what}: the system refused it (${err.code}); a broadcast to 255.255.255.255 is refused on some systems (Windows, some Linux setups): give the subnet's broadcast address instead, say --broadcast 192.168.1.255`);
    case 'EADDRINUSE':
      return new ChatError('ERR_ADDRESS_IN_USE', `${what}: the port is taken by a socket that does not share it (a server on it?): choose another port with -p`);
    case 'EADDRNOTAVAIL':
    case 'ENODEV':
    case 'EINVAL':
    case 'ENOPROTOOPT':
      if (!interfaceGiven) return new ChatError('ERR_SOCKET', `${what}: the system has no interface to choose for it (${err.code}; no default route?); on one machine, use --interface 127.0.0.1 (IPv4) or --interface lo (IPv6), on a LAN your LAN address`);
      return new ChatError('ERR_SOCKET', `${what}: the system cannot use that interface (${err.code}); is --interface one of this machine's addresses (IPv4) or interface names (IPv6)?`);
    default:
      return new ChatError('ERR_SOCKET', `${what}: ${err.code ?? ''} ${err.message}`.trim());
  }
}

// Binding reports failure as an 'error' event, not a callback: wait for whichever comes first.
function bound(socket: dgram.Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    socket.once('error', fail);
    socket.bind({ port, ...(address ? { address } : {}), exclusive: true }, () => {
      socket.off('error', fail);
      resolve();
    });
  });
}

/**
 * A socket that hears a group on a port. Several may listen on one machine (members of a room,
 * listeners of a served one), so each sets SO_REUSEADDR (`reuseAddr`): without it the second
 * member on a laptop gets EADDRINUSE. On Linux and macOS it binds the group's own address, so it
 * hears that group alone and not unicast to the port nor another group on it; Windows refuses a
 * bind to a multicast address, so there it binds the wildcard. IPv6 binds v6-only, so a listener
 * on [::]:9000 does not also claim IPv4's port 9000 (where a room may be bound).
 */
export async function openGroupReceiver(options: GroupOptions): Promise<dgram.Socket> {
  // Checked here, where a library caller's group first meets a socket, so nothing below strips a scope.
  const group = parseGroup(options.group);
  const type = groupType(group);
  const iface = interfaceFor(group, options.interface);
  const socket = dgram.createSocket({ type, reuseAddr: true, ...(type === 'udp6' ? { ipv6Only: true } : {}) });
  const what = `cannot listen to group ${formatAddress(group, options.port)}`;
  try {
    const address = process.platform === 'win32' || type === 'udp6' ? (type === 'udp6' ? '::' : '0.0.0.0') : group;
    await bound(socket, options.port, address);
    socket.addMembership(group, iface);
  } catch (err) {
    socket.close();
    throw groupError(err as NodeJS.ErrnoException, what, { interfaceGiven: iface !== undefined });
  }
  return socket;
}

/**
 * A socket that sends to a group (or, with `broadcast`, to a broadcast address), on a port of its
 * own: members on one machine share the group's port, so their own sockets' ports are what tells
 * them apart, and what a private line is sent back to. Multicast loopback is turned on
 * explicitly (Linux's default, not every system's), so members on one machine hear each other.
 */
export async function openSender(options: SenderOptions): Promise<dgram.Socket> {
  const { type } = options;
  const iface = options.interface;
  const socket = dgram.createSocket(type);
  try {
    // Bound to the interface's IPv4 address when one was chosen, so what a member sends comes
    // from the address the others answer to; else the wildcard and the system's choice.
    await bound(socket, 0, type === 'udp4' && iface && isIP(iface) === 4 ? iface : type === 'udp6' ? '::' : '0.0.0.0');
    if (iface) socket.setMulticastInterface(type === 'udp4' ? iface : iface.includes('%') ? iface : `::%${iface}`);
    socket.setMulticastTTL(options.ttl ?? DEFAULT_MULTICAST_TTL);
    socket.setMulticastLoopback(true);
    if (options.broadcast) socket.setBroadcast(true);
  } catch (err) {
    socket.close();
    throw groupError(err as NodeJS.ErrnoException, `cannot send${iface ? ` on interface ${iface}` : ''}`, { interfaceGiven: iface !== undefined });
  }
  return socket;
}
