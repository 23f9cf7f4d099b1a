/**
 * `npm test` after tsc: runs every suite under c8, which fails the run below the coverage
 * threshold, then repeats the runner's `N passed, M failed` line so it is the last line printed.
 * A plain node script rather than shell, so it runs the same on Windows.
 *
 * Coverage counts every file under src/, loaded or not (c8 --all): a file no test loads shows
 * as 0%, not as nothing. --all looks for files in dist (--src dist), the compiled JS whose
 * source maps lead back to src/*.ts, since the tests run on dist; the .ts files themselves are
 * not what ran. Excluded: src/web (the page's browser JS, copied to dist and run by the browser
 * test, not by node) and the emitted .d.ts files. With --exclude-after-remap, --include and
 * --exclude apply to the src/ paths the source maps lead to.
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
  [
    c8,
    '--check-coverage',
    '--lines',
    String(MIN_LINES),
    '--reporter',
    'text-summary',
    '--all',
    '--src',
    'dist',
    // src/** for the remapped .ts paths; dist/src/** for --all's search of dist, which tests the
    // compiled paths (relative to this folder) before any source map is followed.
    '--include',
    'src/**',
    '--include',
    'dist/src/**',
    '--exclude',
    'src/web/**',
    '--exclude',
    'dist/src/web/**',
    '--exclude',
    '**/*.d.ts',
    '--exclude-after-remap',
    'node',
    join('dist', 'test', 'run.js'),
    ...filter,
  ],
  { stdio: 'inherit', env: { ...process.env, TEST_VERDICT_FILE: verdictFile } },
);
const verdict = existsSync(verdictFile) ? readFileSync(verdictFile, 'utf8').trim() : '0 passed, 1 failed';
if (!existsSync(verdictFile)) process.stdout.write('the test runner ended before reporting (see above)\n');
process.stdout.write(`\n${verdict}\n`);
process.exitCode = result.status ?? 1;
