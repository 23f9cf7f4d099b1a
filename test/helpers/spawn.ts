/**
 * The udp-chat command line from a test: parsed in-process with buildCli (as c8 tests buildYargs),
 * or the built binary run as a user would, with NO_COLOR set and a deadline. Also a port where
 * nothing listens, for the "nothing is listening" paths, and python3 for the labs' own programs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../src/cli/cli.js';
import { PYTHON } from './python.js';

/** The compiled CLI entry point. */
export const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Parses argv in-process and returns the command it would run and its arguments, without running it. */
export async function parsed(argv: string[]): Promise<[string, Record<string, unknown>]> {
  let seen: [string, Record<string, unknown>] | undefined;
  await buildCli(argv, async (name, args) => {
    seen = [name, args];
  }).parseAsync();
  if (!seen) throw new Error('no command ran');
  return seen;
}

/**
 * The error that parsing and running argv in-process throws (a usage error, or a flag the handler
 * refuses before it starts anything). Only for argv that fail: a valid one runs the real command.
 */
export async function parseError(argv: string[]): Promise<unknown> {
  try {
    await buildCli(argv).parseAsync();
    return null;
  } catch (err) {
    return err;
  }
}

/** A loopback port where nothing listens on `kind`: bound (or listened on), then freed. */
export async function closedPort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const probe = dgram.createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts udp-chat with these arguments. */
export function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
}

/** Runs udp-chat to the end (or kills it at the deadline) and collects its output. */
export function run(args: string[], input?: string, ms = 10_000): Promise<RunResult> {
  return collect(start(args), `udp-chat ${args.join(' ')}`, input, ms);
}

/** Runs a Python program (`python3 -c CODE ARGS`) to the end, or kills it at the deadline, and collects its output. */
export function runPython(code: string, args: string[] = [], ms = 10_000): Promise<RunResult> {
  return collect(spawn(PYTHON, ['-c', code, ...args]), 'the Python program', undefined, ms);
}

function collect(child: ChildProcessWithoutNullStreams, what: string, input: string | undefined, ms: number): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  if (input !== undefined) child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${ms} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Reads a child's stdout as lines. `next` finds the first line after the last one it returned
 * that matches, so two events printed in one chunk are both found, in order.
 */
export class Output {
  private readonly lines: string[] = [];
  private partial = '';
  private cursor = 0;
  private wake: (() => void) | undefined;

  constructor(child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => {
      const parts = (this.partial + String(d)).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake?.();
    });
  }

  /** Everything read so far. */
  get text(): string {
    return this.lines.join('\n');
  }

  async next(match: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const line = this.lines[this.cursor++]!;
        if (match.test(line)) return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no output matching ${match} within ${ms} ms; got: ${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Sends a signal and waits for the exit code, killing it hard at the deadline. */
export function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = 'SIGINT', ms = 5000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${ms} ms of ${signal}`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}
