/**
 * ncat's chat broker (`ncat --chat`), a C program, as a TCP relay to compare with. It runs in a
 * process group of its own; its CPU is read from /proc (Linux; NaN elsewhere).
 */
import net from 'node:net';
import { poll, spawnGroup } from '../harness/process.js';
import { freePort, HOST } from '../harness/sockets.js';
import type { Relay } from './trial.js';

const START_DEADLINE_MS = 3000;

/**
 * True once ncat has accepted a connection and announced it. The probe waits for that
 * announcement and then closes gently: ncat quits altogether ("getpeername ... failed:
 * Transport endpoint is not connected. QUITTING.") when a connection is gone before it
 * accepts it.
 */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    const timer = setTimeout(() => done(false), 1000);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.end();
      resolve(ok);
    };
    socket.once('data', () => done(true));
    socket.on('error', () => done(false));
  });
}

/**
 * `ncat --chat -l -m MAX` on a free port, once it accepts connections. Its default cap is 100
 * connections: MAX leaves room for the N receivers, the sender and the probes.
 */
export async function startNcatRelay(n: number): Promise<Relay> {
  const port = await freePort('tcp');
  const group = spawnGroup(['ncat', '--chat', '-l', '-m', String(n + 16), HOST, String(port)]);
  try {
    await poll(
      async () => {
        if (group.child.exitCode !== null) throw new Error(`ncat --chat exited: ${group.stderr().trim() || `exit ${group.child.exitCode}`}`);
        return probe(port);
      },
      START_DEADLINE_MS,
      () => `ncat --chat did not start on port ${port}: ${group.stderr().trim() || 'no output'}`,
    );
  } catch (err) {
    await group.stop(1000);
    throw err;
  }
  return {
    port,
    cpuUs: () => group.cpuUs(),
    close: async () => {
      await group.stop(1000);
    },
  };
}
