/**
 * `udp-chat demo NAME --html` opened as a teacher would, offline: a file:// page in chromium with
 * every network request aborted. The diagram must render (a non-empty box, its marks drawn) and
 * nothing may leave the page. Called from e2e.ts as one step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { SeqResult } from '../../src/client/seq-stats.js';
import { demoHtml } from '../../src/demos/draw/index.js';
import { sequenceDemo } from '../../src/demos/sequence.js';

/** Writes a real loss run's page into `dir`, opens it offline and checks it; throws on a failure. */
export async function checkDemoHtml(browser: Browser, dir: string): Promise<void> {
  const result = await sequenceDemo('loss', { seed: 42, count: 20 });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'demo-loss.html');
  writeFileSync(file, demoHtml(result));
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, offline: true });
  const requests: string[] = [];
  try {
    // Anything but the page itself is a request that would leave it: abort and remember it.
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load', timeout: 5000 });
    const box = await page.locator('figure svg').boundingBox({ timeout: 5000 });
    if (!box || box.width < 100 || box.height < 100) throw new Error(`the diagram did not render: ${JSON.stringify(box)}`);
    const lost = (result.data['udp'] as SeqResult).lostSeqs;
    const drawn = await page.locator('g.mark.lost[data-transport="udp"]').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-seq'))));
    if (JSON.stringify(drawn) !== JSON.stringify(lost)) throw new Error(`lost marks ${drawn.join(',')} but the run lost ${lost.join(',')}`);
    const crossBox = lost.length > 0 ? await page.locator('g.mark.lost path.cross').first().boundingBox() : { width: 1, height: 1 };
    if (!crossBox || crossBox.width === 0) throw new Error('a lost mark has no visible cross');
    if (requests.length > 0) throw new Error(`the page made requests: ${requests.join(', ')}`);
    await page.screenshot({ path: join(dir, 'demo-loss-html.png'), fullPage: true });
  } finally {
    await context.close();
  }
}
