/** Runs the built udp-chat binary, as a user would, with NO_COLOR set and a deadline. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point. */
export const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

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
  const child = start(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  if (input !== undefined) child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`udp-chat ${args.join(' ')} did not exit within ${ms} ms; stdout: ${stdout} stderr: ${stderr}`));
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
