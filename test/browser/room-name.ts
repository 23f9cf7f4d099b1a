/**
 * The browser test's steps for a named room: a real `udp-chat serve --room lab1 --web 0` process,
 * whose /stats carries `room`, and a page that shows the name in its heading and its tab's title
 * (a student with two labs open tells them apart), readable in the light and in the dark, and
 * passing axe. Without --room the page is as it was (e2e.ts's first step checks its title).
 */
import type { Browser, Page } from 'playwright-core';
import { Output, start, stop } from '../helpers/spawn.js';
import { axe } from './axe.js';
import type { Step } from './timeline.js';

const WAIT_MS = 5000;

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** The steps; what they open is closed by `cleanup` (run by e2e.ts at the end, whatever happened). */
export function roomNameSteps(o: { browser: Browser; results: string; cleanup: Array<() => void> }): Step[] {
  let server: ReturnType<typeof start> | undefined;
  let page: Page | undefined;
  let url = '';
  o.cleanup.push(() => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });
  return [
    [
      'serve --room lab1: the page shows the room\'s name in its heading and its title',
      async () => {
        server = start(['serve', '--room', 'lab1', '--port', '0', '--web', '0', '--json']);
        const out = new Output(server);
        const web = Number(JSON.parse(await out.next(/"event":"start".*"transport":"ws"/, WAIT_MS))['port']);
        url = `http://127.0.0.1:${web}/`;
        const stats = (await (await fetch(`${url}stats`, { signal: AbortSignal.timeout(WAIT_MS) })).json()) as { room?: string };
        assert(stats.room === 'lab1', `/stats has no room: ${JSON.stringify(stats.room)}`);
        const context = await o.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, colorScheme: 'dark' });
        context.setDefaultTimeout(WAIT_MS);
        page = await context.newPage();
        await page.goto(url, { timeout: WAIT_MS });
        await page.locator('#room-name').waitFor({ state: 'visible', timeout: WAIT_MS });
        assert((await page.locator('#room-name').textContent()) === 'lab1', 'the heading does not name the room');
        const heading = (await page.locator('h1').textContent())?.replace(/\s+/g, ' ');
        assert(heading === 'udp-chat: room lab1', `the heading reads ${JSON.stringify(heading)}`);
        assert((await page.title()) === 'lab1 · udp-chat', `the title is ${JSON.stringify(await page.title())}`);
        await page.screenshot({ path: `${o.results}room-name-phone-dark.png` });
      },
    ],
    [
      'the named heading passes axe (contrast, structure) in the dark, then in the light',
      async () => {
        const found = (await axe(page!)).map((v) => `dark: ${v}`);
        await page!.emulateMedia({ colorScheme: 'light' });
        found.push(...(await axe(page!)).map((v) => `light: ${v}`));
        assert(found.length === 0, found.join('\n'));
        await page!.context().close();
        assert((await stop(server!, 'SIGINT')) === 0, 'serve did not stop with exit 0');
      },
    ],
  ];
}
