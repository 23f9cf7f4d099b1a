/**
 * Runs every compiled uvu suite under dist/test and ends with one plain line,
 * `N passed, M failed`, so a run that executed nothing cannot look green.
 *
 * uvu has no per-test timeout; a test that hangs would hang CI for 90 minutes.
 * Each suite therefore runs under a deadline and counts as failed when it passes it.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type SuiteResult = [errors: string | true, ran: number, skipped: number, total: number];
type QueueEntry = [string | null, ...Array<() => Promise<SuiteResult>>];

const SUITE_DEADLINE_MS = Number(process.env['SUITE_DEADLINE_MS'] ?? 60_000);
const here = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js') && (!filter || filter.test(path))) out.push(path);
  }
  return out;
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} passed its ${ms} ms deadline`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: QueueEntry[]; UVU_INDEX: number };
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
const files = findTests(here);
for (const [index, file] of files.entries()) {
  g.UVU_INDEX = index;
  g.UVU_QUEUE.push([relative(here, file)]);
  await import(pathToFileURL(file).href);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, ...suites] of g.UVU_QUEUE) {
  process.stdout.write(`${name}\n`);
  for (const run of suites) {
    try {
      const [errors, ran, skip, total] = await withDeadline(run(), SUITE_DEADLINE_MS, `a suite in ${name}`);
      passed += ran;
      failed += total - ran;
      skipped += skip;
      if (errors !== true) process.stdout.write(`\n${errors}\n`);
    } catch (err) {
      failed += 1;
      process.stdout.write(`\n  FAIL ${(err as Error).message}\n`);
    }
  }
}

const verdict = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
process.stdout.write(`\n${verdict}\n`);
// scripts/test.ts prints this again after the coverage report, so it is the run's last line.
if (process.env['TEST_VERDICT_FILE']) writeFileSync(process.env['TEST_VERDICT_FILE'], verdict + '\n');
if (files.length === 0 || passed === 0 || failed > 0) process.exitCode = 1;
// Open handles left by a broken test must not keep CI waiting; the verdict is already printed.
setTimeout(() => process.exit(), 2000).unref();
