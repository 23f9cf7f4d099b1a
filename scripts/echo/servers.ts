/**
 * The echo servers bench-echo compares, each in a process group of its own, started fresh for
 * each trial: the bare Node echo (echo/bare.ts), udp-chat's echo (the built CLI), and socat and
 * ncat where they are installed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { have, poll, spawnGroup, type Group } from '../harness/process.js';
import { freePort, HOST } from '../harness/sockets.js';

/** The transports an echo is measured on. */
export type Transport = 'udp' | 'tcp';

/** Which echo server a trial measures. */
export type EchoKind = 'bare' | 'udp-chat' | 'socat' | 'socat-dgram' | 'ncat';

/** Every kind, for --servers. */
export const ECHO_KINDS: readonly EchoKind[] = ['bare', 'udp-chat', 'socat', 'socat-dgram', 'ncat'];

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare.js', import.meta.url));
/** How long a server has to start and print its port. */
const START_DEADLINE_MS = 5000;
/** How long a stopping server gets after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 1500;

/** One server: how to run it and what the table's legend calls it. */
export interface ServerSpec {
  transport: Transport;
  server: EchoKind;
  /** What runs, as the table's legend shows it. */
  command: string;
  /** The argv to spawn, given a free port picked beforehand (unused when printsPort). */
  argv: (port: number) => string[];
  /** True: the server binds port 0 and prints `port N`; false: it gets a free port picked here. */
  printsPort: boolean;
}

/** The servers for these transports, and notes on what is missing. */
export function specs(transports: readonly Transport[]): { list: ServerSpec[]; notes: string[] } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const list: ServerSpec[] = [];
  const notes: string[] = [];
  const node = process.execPath;
  const socat = have('socat');
  const ncat = have('ncat');
  if (!socat) notes.push('socat not installed (apt-get install socat): its rows are left out');
  if (!ncat) notes.push('ncat not installed (apt-get install ncat): its rows are left out');
  for (const transport of transports) {
    const up = transport.toUpperCase();
    list.push({ transport, server: 'bare', command: `node: ${transport === 'udp' ? 'dgram send back to rinfo' : 'socket.pipe(socket)'}`, argv: () => [node, BARE, transport], printsPort: true });
    list.push({
      transport,
      server: 'udp-chat',
      command: `udp-chat echo --transport ${transport} --quiet`,
      argv: () => [node, CLI, 'echo', '--host', HOST, '--port', '0', '--transport', transport, '--quiet'],
      printsPort: true,
    });
    if (socat) {
      list.push({ transport, server: 'socat', command: `socat ${up}4-LISTEN:P,fork PIPE`, argv: (p) => ['socat', `${up}4-LISTEN:${p},bind=${HOST},reuseaddr,fork`, 'PIPE'], printsPort: false });
      if (transport === 'udp') {
        list.push({ transport, server: 'socat-dgram', command: 'socat UDP4-RECVFROM:P,fork PIPE (a fork per datagram)', argv: (p) => ['socat', `UDP4-RECVFROM:${p},bind=${HOST},fork`, 'PIPE'], printsPort: false });
      }
    }
    if (ncat) {
      list.push({
        transport,
        server: 'ncat',
        command: `ncat${transport === 'udp' ? ' -u' : ''} -l -k -e /bin/cat`,
        argv: (p) => ['ncat', ...(transport === 'udp' ? ['-u'] : []), '-l', '-k', HOST, String(p), '-e', '/bin/cat'],
        printsPort: false,
      });
    }
  }
  return { list, notes };
}

/** A running echo server: its process group and its port. */
export interface Started {
  group: Group;
  port: number;
}

/** Starts the server; one that prints its port is waited for, the others are probed by the client. */
export async function startServer(spec: ServerSpec): Promise<Started> {
  const picked = spec.printsPort ? 0 : await freePort(spec.transport);
  const group = spawnGroup(spec.argv(picked), { ...process.env, NO_COLOR: '1' });
  if (!spec.printsPort) return { group, port: picked };
  let port = 0;
  try {
    await poll(
      () => {
        if (group.child.exitCode !== null) throw new Error(`${spec.command} exited (${group.child.exitCode}): ${group.stderr().trim() || group.stdout().trim() || 'no output'}`);
        port = Number(/port (\d+)/.exec(group.stdout())?.[1] ?? 0);
        return port > 0;
      },
      START_DEADLINE_MS,
      () => `${spec.command} did not start within ${START_DEADLINE_MS} ms: ${group.stderr().trim() || group.stdout().trim() || 'no output'}`,
    );
  } catch (err) {
    await group.stop(STOP_GRACE_MS);
    throw err;
  }
  return { group, port };
}

/** Stops the server's whole group; resolves with what it printed (udp-chat prints its counters). */
export function stopServer(started: Started): Promise<string> {
  return started.group.stop(STOP_GRACE_MS);
}
