/**
 * A real redis-server for the cluster's tests (Debian's package; `.ci/run` installs it when
 * missing): started on a free loopback port with nothing saved to disk, stopped and started
 * again on the same port to test a lost link. Where none can be started, `startRedis` says why
 * and the test skips, saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

const BINARY = process.env['REDIS_SERVER'] ?? 'redis-server';

/** A running redis-server on 127.0.0.1. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops it (SIGTERM), waiting for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is saved). */
  restart(): Promise<void>;
}

/** Why no redis-server can be run here, or null when one can. */
export function redisMissing(): string | null {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error) return `no ${BINARY} on this machine (apt-get install redis-server): ${probe.error.message}`;
  return probe.status === 0 ? null : `${BINARY} --version failed: ${probe.stderr.trim()}`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server on `port` and waits (within `ms`) until it accepts connections. */
async function launch(port: number, password: string | undefined, ms = 10_000): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'];
  const child = spawn(BINARY, password ? [...args, '--requirepass', password] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += String(d)));
  child.stderr!.on('data', (d: Buffer) => (output += String(d)));
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', (d) => {
          socket.destroy();
          // With a password it answers NOAUTH: up all the same.
          resolve(/^(\+PONG|-NOAUTH)/.test(String(d)));
        });
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} not ready within ${ms} ms: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function halt(child: ChildProcess, ms = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a redis-server for a test (with `password`, `requirepass`; the url carries it); a string
 * says why none could be. Stop it in `finally`.
 */
export async function startRedis(password?: string): Promise<TestRedis | string> {
  const missing = redisMissing();
  if (missing) return missing;
  const port = await freePort();
  let child = await launch(port, password);
  return {
    port,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    stop: () => halt(child),
    async restart() {
      await halt(child);
      child = await launch(port, password);
    },
  };
}

/** Runs `body` with a fresh redis-server (with `password`, requiring it), or logs why it skipped. */
export async function withRedis(body: (redis: TestRedis) => Promise<void>, password?: string): Promise<void> {
  const redis = await startRedis(password);
  if (typeof redis === 'string') {
    console.log(`  skipped: ${redis}`);
    return;
  }
  try {
    await body(redis);
  } finally {
    await redis.stop();
  }
}
