/**
 * Part of `npm run build`: copies the web page (src/web: plain HTML, JS and CSS, nothing to
 * compile) to dist/src/web, beside the compiled ws transport that serves it, so the published
 * package (files: dist/src) carries it. A node script rather than `cp -r`, so it runs on Windows.
 */
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../src/web', import.meta.url));
const to = fileURLToPath(new URL('../src/web', import.meta.url));
// A file removed from src/web must not live on in dist.
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
