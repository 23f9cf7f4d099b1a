/**
 * `npm test` after tsc: runs every suite under c8, which fails the run below the coverage
 * threshold, then repeats the runner's `N passed, M failed` line so it is the last line printed.
 * A plain node script rather than shell, so it runs the same on Windows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const MIN_LINES = 85;
const verdictFile = join('dist', 'test-verdict.txt');
rmSync(verdictFile, { force: true });
const c8 = createRequire(import.meta.url).resolve('c8/bin/c8.js');
const filter = process.argv.slice(2);
const result = spawnSync(
  process.execPath,
  [c8, '--check-coverage', '--lines', String(MIN_LINES), '--reporter', 'text-summary', '--include', 'src/**', '--exclude-after-remap', 'node', join('dist', 'test', 'run.js'), ...filter],
  { stdio: 'inherit', env: { ...process.env, TEST_VERDICT_FILE: verdictFile } },
);
const verdict = existsSync(verdictFile) ? readFileSync(verdictFile, 'utf8').trim() : '0 passed, 1 failed';
if (!existsSync(verdictFile)) process.stdout.write('the test runner ended before reporting (see above)\n');
process.stdout.write(`\n${verdict}\n`);
process.exitCode = result.status ?? 1;
