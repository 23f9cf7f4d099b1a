/**
 * Datagrams the kernel dropped for one of our UDP sockets (its receive buffer was full: the
 * server read too slowly, a flood). No counter of the server's own can see them; Linux counts
 * them per socket, in the last column (`drops`) of the socket's row in /proc/net/udp or
 * /proc/net/udp6. The row is found by the socket's local address and port. Elsewhere (macOS,
 * Windows) the OS does not tell, and the answer is null: "not available", never a made-up 0.
 */
import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { endianness } from 'node:os';

/** Reads a file of /proc; a test passes its own. */
export type ProcReader = (path: string) => string;

const readProc: ProcReader = (path) => readFileSync(path, 'latin1');

/**
 * The `drops` figure of the UDP socket bound to `address`:`port` (as socket.address() gives
 * them), or null when the OS does not tell (no /proc/net/udp, or no row for the socket).
 */
export function kernelDrops(address: string, port: number, family: 'IPv4' | 'IPv6', read: ProcReader = readProc): number | null {
  let table: string;
  try {
    table = read(family === 'IPv4' ? '/proc/net/udp' : '/proc/net/udp6');
  } catch {
    return null;
  }
  const kind = family === 'IPv4' ? 'ipv4' : 'ipv6';
  const bound = new BlockList();
  bound.addAddress(address, kind);
  for (const row of table.split('\n').slice(1)) {
    const fields = row.trim().split(/\s+/);
    // sl, local_address, rem_address, st, tx:rx queue, tr:when, retrnsmt, uid, timeout, inode, ref, pointer, drops
    if (fields.length < 13) continue;
    const [hexAddress, hexPort] = fields[1]!.split(':');
    if (Number.parseInt(hexPort ?? '', 16) !== port) continue;
    const local = procAddress(hexAddress ?? '');
    if (local !== undefined && bound.check(local, kind)) {
      const drops = Number(fields[12]);
      return Number.isSafeInteger(drops) ? drops : null;
    }
  }
  return null;
}

/**
 * An address as /proc/net/udp{,6} writes it: 32-bit words in hex, each in the machine's byte
 * order. Returns it as a dotted quad or eight IPv6 groups, or undefined when it is neither.
 */
export function procAddress(hex: string, little = endianness() === 'LE'): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(little ? word.reverse() : word));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}
