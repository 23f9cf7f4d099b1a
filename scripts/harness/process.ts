/**
 * Processes for the scripts: children spawned in process groups of their own and killed however
 * this process ends, a forked child that answers requests one at a time, and CPU time (of this
 * process, and of a whole process group from /proc).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export { delay };

/** This process's CPU time so far (user + system), in us. */
export function ownCpuUs(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

/** Polls `ready` every intervalMs until it is true; throws `what` once deadlineMs have gone by. */
export async function poll(ready: () => boolean | Promise<boolean>, deadlineMs: number, what: () => string, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(what());
    await delay(intervalMs);
  }
}

/** True when `binary -h` runs (exit status 1 from `-h` still proves it is installed; ENOENT does not). */
export function have(binary: string): boolean {
  try {
    execFileSync(binary, ['-h'], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as { status?: number }).status !== undefined;
  }
}

/** Signals a detached child's whole process group, which holds its forks (socat, ncat, cat). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Detached children still running; the exit hooks are installed with the first one. */
let live: Set<ChildProcess> | null = null;

/**
 * Keeps a detached child's process group on the list killed however this process ends (normal
 * exit, SIGINT, SIGTERM): a socat or ncat must never outlive a script.
 */
function track(child: ChildProcess): void {
  if (!live) {
    const children = (live = new Set());
    process.on('exit', () => {
      for (const c of children) killGroup(c, 'SIGKILL');
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        process.exitCode = 130;
        // exit() runs the 'exit' handler, which kills the groups.
        process.exit();
      });
    }
  }
  live.add(child);
}

/** SIGKILLs every group still on the list (a finally's last word; the exit hook does it too). */
export function killAllGroups(): void {
  for (const child of live ?? []) killGroup(child, 'SIGKILL');
  live?.clear();
}

/** A program running in a process group of its own, with what it printed. */
export interface Group {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<unknown>;
  /** CPU time of its whole process group so far, in us (NaN without /proc). */
  cpuUs(): number;
  /** Closes its stdin, SIGTERM, graceMs, then SIGKILL to the group; resolves with its stdout. */
  stop(graceMs?: number): Promise<string>;
}

/** Spawns argv detached (a process group of its own), killed on any way out of this process. */
export function spawnGroup(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Group {
  const [command, ...args] = argv;
  const child = spawn(command!, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env });
  track(child);
  const exited = once(child, 'exit').catch(() => undefined);
  void exited.then(() => live?.delete(child));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  // ENOENT and the like: the exit that follows is what callers see.
  child.on('error', () => {});
  child.stdin!.on('error', () => {});
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    cpuUs: () => (child.pid === undefined ? NaN : groupCpuUs(child.pid)),
    async stop(graceMs = 1500) {
      child.stdin?.end();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, delay(graceMs)]);
      }
      // Forks outlive their parent: the whole group goes.
      killGroup(child, 'SIGKILL');
      await Promise.race([exited, delay(graceMs)]);
      live?.delete(child);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A forked child that answers requests, one at a time, in order

/** What a child sends when a request failed. */
type ErrorReply = { type: 'error'; message: string };

function isMessage<T extends { type: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * The parent's end of a forked child: requests go out, replies are read in order, each wait with
 * a deadline; an `error` reply, or the child's exit, rejects the wait.
 */
export class ChildLink<Req extends { type: string }, Res extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly queue: (Res | ErrorReply)[] = [];
  private readonly exited: Promise<unknown>;
  private wake: (() => void) | null = null;
  private ended: Error | null = null;

  /** Forks the module (a file URL), which must call answerRequests. */
  constructor(module: URL) {
    this.child = fork(module, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = once(this.child, 'exit').catch(() => undefined);
    this.child.on('message', (msg: unknown) => {
      if (isMessage<Res | ErrorReply>(msg)) this.queue.push(msg);
      this.wake?.();
    });
    this.child.on('exit', (code, signal) => {
      this.ended = new Error(`the forked child exited early (code ${code}, signal ${signal})`);
      this.wake?.();
    });
  }

  /** The child's pid (its CPU can be read from /proc). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  send(msg: Req): void {
    // A child that has died cannot be written to (EPIPE): the next wait reports its exit in one
    // line, so the write's own error is not let loose as an unhandled one.
    if (!this.child.connected) return;
    this.child.send(msg, (err) => {
      if (err && !this.ended) this.ended = new Error(`the forked child could not be reached: ${err.message}`);
    });
  }

  /** The next reply, which must be of this type. */
  async next<K extends Res['type']>(type: K, ms: number): Promise<Extract<Res, { type: K }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const msg = this.queue.shift();
      if (msg) {
        if (msg.type === 'error') throw new Error(`forked child: ${(msg as ErrorReply).message}`);
        if (msg.type !== type) throw new Error(`forked child sent '${msg.type}', expected '${type}'`);
        return msg as Extract<Res, { type: K }>;
      }
      if (this.ended) throw this.ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${type}' from the forked child within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  /** Disconnects (the child closes what it has open and ends), killing it after graceMs. */
  async close(graceMs = 5000): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The child's end: each request from the parent is handled in turn and its reply (if any) sent
 * back; a throw becomes an `error` reply. The parent's disconnect ends the run: `cleanup` closes
 * what is open. A disconnect in the middle of a request (the parent interrupted) exits at once,
 * since the request has nobody to report to and would wait out its deadlines.
 */
export function answerRequests<Req extends { type: string }, Res extends { type: string }>(handle: (msg: Req) => Promise<Res | null>, cleanup: () => Promise<void> | void): void {
  let chain = Promise.resolve();
  let busy = false;
  process.on('message', (msg: unknown) => {
    if (!isMessage<Req>(msg)) return;
    chain = chain.then(async () => {
      let reply: Res | ErrorReply | null;
      busy = true;
      try {
        reply = await handle(msg);
      } catch (err) {
        reply = { type: 'error', message: (err as Error).message };
      } finally {
        busy = false;
      }
      if (reply && process.connected) process.send?.(reply);
    });
  });
  process.on('disconnect', () => {
    if (!busy) {
      chain = chain.then(cleanup);
      return;
    }
    void Promise.resolve(cleanup()).finally(() => process.exit(1));
  });
}

// ---------------------------------------------------------------------------------------------
// CPU of a process group, from /proc (Linux only; NaN elsewhere)

const TICK_US = (() => {
  try {
    return 1_000_000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10_000;
  }
})();
const HAVE_PROC = existsSync('/proc/self/stat');

/**
 * CPU time in us of every live process in group `pgid`, including the children they have
 * reaped (cutime, cstime): socat's and ncat's forks count. A live process's own time comes from
 * its threads' /proc/PID/task/TID/schedstat (nanoseconds on CPU) where the kernel has it, since
 * utime and stime are in clock ticks (10 ms). NaN where there is no /proc.
 */
export function groupCpuUs(pgid: number): number {
  if (!HAVE_PROC) return NaN;
  let us = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // The command name, in parentheses, may hold spaces: fields count from after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    us += statCpuUs(entry, fields);
  }
  return us;
}

/**
 * CPU time in us of one process (a forked child, a redis-server), with the children it has
 * reaped, as groupCpuUs counts each process of a group; NaN without /proc or once it is gone.
 */
export function processCpuUs(pid: number): number {
  if (!HAVE_PROC) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return statCpuUs(String(pid), stat.slice(stat.lastIndexOf(')') + 2).split(' '));
  } catch {
    return NaN;
  }
}

/** One process's own time (its threads' schedstat, else utime + stime) and its reaped children's, in us; `fields` count from its stat's state. */
function statCpuUs(pid: string, fields: readonly string[]): number {
  const own = threadsCpuUs(pid);
  return (Number.isNaN(own) ? (Number(fields[11]) + Number(fields[12])) * TICK_US : own) + (Number(fields[13]) + Number(fields[14])) * TICK_US;
}

/**
 * The machine's busy CPU time so far, all cores together, in us (/proc/stat: everything but idle
 * and iowait): what this process's children did not use of it was used by someone else. NaN
 * without /proc.
 */
export function machineBusyUs(): number {
  if (!HAVE_PROC) return NaN;
  const ticks = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is in user already).
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!;
  return busy * TICK_US;
}

/** The summed schedstat run time of a process's threads, in us; NaN without schedstat. */
function threadsCpuUs(pid: string): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    return ns / 1000;
  } catch {
    return NaN;
  }
}
