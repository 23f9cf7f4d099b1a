/** A server's name in its cluster when --node is not given: this machine's name and the room's port. */
import { hostname } from 'node:os';

/**
 * `lab-pc-9000`: the host's first label, cut to what a node name takes, and the port, so two
 * servers on one machine differ; with --port 0 the process id stands in for the port, and with
 * --reuse-port (several servers on one port) it is added to it: `lab-pc-9000-4242`.
 */
export function defaultNodeName(port: number, sharedPort = false): string {
  const host = hostname().split('.')[0]!.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20) || 'server';
  if (!port) return `${host}-${process.pid}`;
  return sharedPort ? `${host}-${port}-${process.pid}` : `${host}-${port}`;
}
