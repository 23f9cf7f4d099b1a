/**
 * A network namespace of the test's own, for what this machine's loopback cannot do: IPv6
 * multicast (Linux's lo has no MULTICAST flag, so a send gives ENETUNREACH). Inside, a veth pair
 * whose two ends both stay in the namespace carries the group: multicast loopback delivers to the
 * namespace's own members, and nothing can leave the machine, since the namespace has no other
 * link. Needs `unshare` and `ip` (root, or user namespaces); where missing, the caller skips.
 */
import { execFile, spawnSync } from 'node:child_process';

/** The interface inside the namespace that carries IPv6 multicast. */
export const NETNS_IF = 'v0';

const SETUP = [
  'ip link set lo up',
  `ip link add ${NETNS_IF} type veth peer name v1`,
  `ip link set ${NETNS_IF} up`,
  'ip link set v1 up',
  `ip -6 addr add fd00:1::1/64 dev ${NETNS_IF} nodad`,
].join(' && ');

/** Why a namespace cannot be made here, or null when it can. */
export function netnsUnavailable(): string | null {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', SETUP], { encoding: 'utf8', timeout: 5000 });
  if (probe.error) return `no unshare: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot make a network namespace with a veth pair: ${(probe.stderr || '').trim().split('\n')[0]}`;
  return null;
}

/** Runs `node SCRIPT ARGS` in a fresh namespace (set up as above); resolves with its stdout, rejects on a non-zero exit or after `ms`. */
export function inNetns(script: string, args: string[], ms = 10_000): Promise<string> {
  const quoted = [process.execPath, script, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile('unshare', ['-n', 'sh', '-c', `${SETUP} && exec ${quoted}`], { timeout: ms, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
