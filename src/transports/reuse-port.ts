/**
 * Several processes on one port (`serve --reuse-port`): SO_REUSEPORT, where this Node offers it.
 * The kernel then spreads connections, and datagrams by their source, over the processes bound to
 * the port, so a cluster on one machine uses every core behind one address. Node added the option
 * to dgram and net in 22.12 (and 23.1), on the systems whose kernel balances it (Linux, the BSDs,
 * Solaris, AIX; macOS and Windows have no such balancing, and Node refuses the option there).
 */

const OS_WITH_REUSEPORT = new Set(['linux', 'freebsd', 'openbsd', 'netbsd', 'dragonfly', 'sunos', 'aix']);

/** True when `version` (`22.12.0`) has reusePort on dgram and net sockets. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Why this process cannot share a port, or undefined when it can. */
export function reusePortMissing(version = process.versions.node, platform: string = process.platform): string | undefined {
  if (!OS_WITH_REUSEPORT.has(platform)) return `Node shares a port between processes (SO_REUSEPORT, balanced by the kernel) on Linux and the BSDs, not on ${platform}`;
  if (!nodeHasReusePort(version)) return `Node ${version} cannot share a port between processes (SO_REUSEPORT came in Node 22.12)`;
  return undefined;
}
