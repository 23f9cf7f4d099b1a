/**
 * What `npm publish` would ship, read from `npm pack --dry-run` (nothing is written or sent): the
 * licence, every file the README links to (the registry page shows README.md, and its relative
 * links must lead somewhere a reader of the tarball can open), source maps only with the sources
 * they name, and an exports map and bin that point at shipped files.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
const test = suite('the package as npm would publish it');

function packed(): Set<string> {
  // --ignore-scripts: pack what the last build made; the test suite has just built it.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  return new Set(info!.files.map((f) => f.path));
}

const files = packed();

test('a LICENSE file that says what package.json says', () => {
  assert.ok(files.has('LICENSE'));
  assert.is(pkg['license'], 'MIT');
  assert.match(readFileSync(`${root}LICENSE`, 'utf8'), /^MIT License/);
});

test('repository, homepage and bugs are set', () => {
  assert.match(String((pkg['repository'] as { url: string }).url), /^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
  assert.match(String(pkg['homepage']), /^https:\/\//);
  assert.match(String((pkg['bugs'] as { url: string }).url), /^https:\/\/.*\/issues$/);
});

test("every file README.md links to is in the package", () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  assert.ok(links.length > 3, 'README links to its docs');
  for (const link of links) {
    const path = link.replace(/^\.\//, '').replace(/\/$/, '');
    const shipped = files.has(path) || [...files].some((f) => f.startsWith(`${path}/`));
    assert.ok(shipped, `README links to ${link}, which the package does not ship`);
  }
});

test('every source map ships with the sources it names', () => {
  const maps = [...files].filter((f) => f.endsWith('.js.map'));
  assert.ok(maps.length > 50);
  for (const map of maps) {
    const { sources } = JSON.parse(readFileSync(`${root}${map}`, 'utf8')) as { sources: string[] };
    const dir = map.slice(0, map.lastIndexOf('/') + 1);
    for (const source of sources) {
      const resolved = new URL(source, `file:///${dir}`).pathname.slice(1);
      assert.ok(files.has(resolved), `${map} names ${source}, not shipped`);
    }
  }
});

test('the exports map and the bin point at shipped files; tests and scripts are not shipped', () => {
  const exported = pkg['exports'] as Record<string, Record<string, string> | string>;
  for (const target of Object.values(exported).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)))) {
    assert.ok(files.has(target.replace(/^\.\//, '')), `exports names ${target}`);
  }
  for (const bin of Object.values(pkg['bin'] as Record<string, string>)) assert.ok(files.has(bin), `bin ${bin}`);
  assert.ok(files.has('dist/src/web/index.html'), 'the page');
  assert.not.ok([...files].some((f) => f.startsWith('dist/test/') || f.startsWith('dist/scripts/') || f.startsWith('test/')));
});

test.run();
