/** What the benchmark scripts share: medians and quantiles, the text table, and killing a child's process group. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** The median of the values that are numbers (NaN when there are none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of already sorted samples. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Formats rows as a text table: the first two columns left-aligned, the rest right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
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

/** True when `binary -h` runs (exit status 1 from `-h` still proves it is installed; ENOENT does not). */
export function have(binary: string): boolean {
  try {
    execFileSync(binary, ['-h'], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as { status?: number }).status !== undefined;
  }
}

/**
 * A set of detached children whose process groups are killed however this process ends
 * (normal exit, SIGINT, SIGTERM): a socat or ncat must never outlive a benchmark.
 */
export function killedOnExit(): Set<ChildProcess> {
  const children = new Set<ChildProcess>();
  const killAll = () => {
    for (const child of children) killGroup(child, 'SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.exitCode = 130;
      // exit() runs the 'exit' handler, which kills the groups.
      process.exit();
    });
  }
  return children;
}

// CPU of a process group, from /proc (Linux only; NaN elsewhere).

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
    const own = threadsCpuUs(entry);
    us += (Number.isNaN(own) ? (Number(fields[11]) + Number(fields[12])) * TICK_US : own) + (Number(fields[13]) + Number(fields[14])) * TICK_US;
  }
  return us;
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
