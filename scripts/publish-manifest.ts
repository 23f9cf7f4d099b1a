/**
 * `npm pack` and `npm publish` (prepack/postpack): ships package.json without the `prepare` script.
 *
 * `prepare` builds dist/ on `npm install` in a clone, which is how the README's first command works.
 * In the published package it has nothing to do (dist/ is already built and shipped), but npm 11
 * lists it among "install scripts not yet covered by allowScripts" on every global install of the
 * tarball: a warning a student would read as something broken. So prepack saves package.json aside
 * and writes it without `prepare`; postpack puts the saved one back. A pack that failed in between
 * leaves the saved copy, which the next `strip` restores first rather than saving a stripped one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const manifest = `${root}package.json`;
const saved = `${root}.package.json.prepack`;

function restore(): void {
  if (existsSync(saved)) renameSync(saved, manifest);
}

const step = process.argv[2];
if (step === 'strip') {
  restore();
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(saved, text);
  const pkg = JSON.parse(text) as { scripts?: Record<string, string> };
  delete pkg.scripts?.['prepare'];
  writeFileSync(manifest, JSON.stringify(pkg, null, 2) + '\n');
} else if (step === 'restore') {
  restore();
} else {
  process.stderr.write('usage: node dist/scripts/publish-manifest.js strip|restore\n');
  process.exitCode = 2;
}
