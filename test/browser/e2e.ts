/**
 * The web page end to end, in a real headless browser: Debian's chromium (a test tool's own
 * browser download cannot work here), driven by playwright-core. Two pages and one UDP peer chat
 * in one room. Not a *.test.ts file, so `npm test` runs without a browser; `npm run test:browser`
 * runs this. Prints `N passed, M failed`, exits non-zero on a failure, and saves screenshots in
 * test-results/. `node dist/test/browser/e2e.js reconnect` runs only the steps of reconnect.ts, `room` only those
 * of room-name.ts.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startChatServer, type ChatServer } from '../../src/servers/chat-server.js';
import { issueTicket } from '../../src/servers/tickets.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { checkDemoHtml } from './demo-html.js';
import { reconnectSteps } from './reconnect.js';
import { roomNameSteps } from './room-name.js';
import { demoRunner, floodStep, timelineSteps, type TimelineContext } from './timeline.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../../../test-results/', import.meta.url));
// Every wait on the page has this deadline; the whole run has its own below.
const WAIT_MS = 5000;
const RUN_DEADLINE_MS = 180_000;
const HTML = '<b>bold</b><img src=x onerror=alert(1)>';
// Tickets are optional in this room: the pages join with a name, dan and a forger with a ticket link.
const SECRET = 'the secret of the browser test, 32+ bytes';

type Step = [name: string, run: () => Promise<void>];

let passed = 0;
let failed = 0;

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** Runs the steps in order; once one fails, the rest depend on it and count as failed unrun. */
async function runSteps(steps: Step[]): Promise<void> {
  let broken = false;
  for (const [name, run] of steps) {
    if (broken) {
      failed += 1;
      process.stdout.write(`  - ${name} (not run: an earlier step failed)\n`);
      continue;
    }
    try {
      await run();
      passed += 1;
      process.stdout.write(`  ✓ ${name}\n`);
    } catch (err) {
      failed += 1;
      broken = true;
      process.stdout.write(`  ✘ ${name}\n    ${(err as Error).stack ?? String(err)}\n`);
    }
  }
}

/** A page's log lines as text, and their classes. */
function logLines(page: Page): Promise<Array<{ text: string; kind: string }>> {
  return page.$$eval('#log .line', (lines) => lines.map((l) => ({ text: l.textContent ?? '', kind: l.className })));
}

/** Waits until the page's log has a line whose text is exactly `text`. */
async function waitForLine(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction((t) => [...document.querySelectorAll('#log .line')].some((l) => l.textContent === t), text, { timeout: WAIT_MS });
  } catch {
    throw new Error(`no line ${JSON.stringify(text)} within ${WAIT_MS} ms; the log: ${JSON.stringify((await logLines(page)).map((l) => l.text))}`);
  }
}

/** The peer list as the page shows it: [name, transport, idle or "you"]. */
function peerList(page: Page): Promise<string[][]> {
  return page.$$eval('#peers li', (items) => items.map((li) => [...li.querySelectorAll('.name, .transport, .idle')].map((e) => e.textContent ?? '')));
}

async function waitForPeers(page: Page, expected: Array<[string, string]>): Promise<void> {
  const want = JSON.stringify(expected);
  try {
    await page.waitForFunction(
      (w) => JSON.stringify([...document.querySelectorAll('#peers li')].map((li) => [li.querySelector('.name')?.textContent, li.querySelector('.transport')?.textContent])) === w,
      want,
      { timeout: WAIT_MS },
    );
  } catch {
    throw new Error(`peer list is not ${want} within ${WAIT_MS} ms: ${JSON.stringify(await peerList(page))}`);
  }
}

async function join(page: Page, name: string): Promise<void> {
  // By keyboard, as a student would: type the name, press Enter.
  await page.locator('#name').fill(name);
  await page.locator('#name').press('Enter');
  await page.waitForFunction((n) => document.getElementById('status')?.textContent === `joined as ${n}`, name, { timeout: WAIT_MS });
}

async function say(page: Page, text: string): Promise<void> {
  await page.locator('#text').fill(text);
  await page.locator('#text').press('Enter');
}

async function main(): Promise<void> {
  let server: ChatServer | undefined;
  let browser: Browser | undefined;
  let carl: UdpPeer | undefined;
  const problems: string[] = [];
  const cleanup: Array<() => void> = [];
  const notes: string[] = [];
  const expected: RegExp[] = [];
  const watchdog = setTimeout(() => {
    process.stdout.write(`\nthe browser test passed its ${RUN_DEADLINE_MS} ms deadline\n${passed} passed, ${failed + 1} failed\n`);
    process.exit(1);
  }, RUN_DEADLINE_MS);
  watchdog.unref();
  try {
    server = await startChatServer({ host: '127.0.0.1', port: 0, transport: 'both', web: { port: 0, demos: demoRunner() }, tickets: { secret: SECRET } });
    const url = `http://127.0.0.1:${server.transports.ws!.port}/`;
    const roomPort = server.port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(RESULTS, { recursive: true });
    if (process.argv[2] === 'reconnect') {
      await runSteps(reconnectSteps({ browser, results: RESULTS, cleanup }));
      return;
    }
    await runSteps([['demo --html opens offline: the diagram renders, nothing leaves the page', () => checkDemoHtml(browser!, RESULTS)]]);
    if (process.argv[2] === 'room') {
      await runSteps(roomNameSteps({ browser, results: RESULTS, cleanup }));
      return;
    }
    const open = async (viewport: { width: number; height: number }, mobile: boolean, colorScheme: 'light' | 'dark'): Promise<[BrowserContext, Page]> => {
      const context = await browser!.newContext({ viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1, colorScheme });
      context.setDefaultTimeout(WAIT_MS);
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !expected.some((e) => e.test(m.text()))) problems.push(`console error: ${m.text()}`);
      });
      page.on('dialog', (d) => {
        problems.push(`a dialog opened: ${d.message()}`);
        void d.dismiss();
      });
      return [context, page];
    };
    // ann on a phone, ben on a desktop in dark mode.
    const [, ann] = await open({ width: 390, height: 844 }, true, 'light');
    const [, ben] = await open({ width: 1280, height: 800 }, false, 'dark');
    const timeline: TimelineContext = { ben, ann, carl: () => carl!, roomPort, results: RESULTS, url, notes, expected, cleanup };

    await runSteps([
      [
        'the page loads from the room, asks for a name, and keeps the message box shut until joined',
        async () => {
          for (const page of [ann, ben]) {
            await page.goto(url, { timeout: WAIT_MS });
            assert((await page.title()) === 'udp-chat', 'title');
            assert(await page.locator('#name').isVisible(), 'no name field');
            assert(await page.locator('#text').isDisabled(), 'the message box is open before joining');
            assert((await page.locator('label[for="name"]').textContent()) === 'Your name', 'the name field has no label');
            // Closed views take no room: the hidden Timeline once kept an empty column beside the chat.
            for (const view of ['#timeline', '#teacher', '#demos']) assert(!(await page.locator(view).isVisible()), `${view} shows before it is opened`);
          }
        },
      ],
      [
        'ann and ben join from the two pages and a UDP peer joins as udp-carl',
        async () => {
          await join(ann, 'ann');
          await join(ben, 'ben');
          // Joined, the cursor is in the message box: Enter sends.
          assert((await ann.evaluate(() => document.activeElement?.id)) === 'text', 'focus is not in the message box after joining');
          carl = await UdpPeer.open();
          carl.send(roomPort, '/nick udp-carl');
          await carl.waitFor(/^\* \S+ is now udp-carl$/, WAIT_MS);
          await waitForLine(ann, `* 127.0.0.1:${carl.port} is now udp-carl`);
        },
      ],
      [
        'all three exchange messages',
        async () => {
          await say(ann, 'hello from ann');
          await waitForLine(ben, '<ann> hello from ann');
          await carl!.waitFor('<ann> hello from ann', WAIT_MS);
          await waitForLine(ann, '<ann> hello from ann'); // shown locally: the server sends no echo
          await say(ben, 'hello from ben');
          await waitForLine(ann, '<ben> hello from ben');
          await carl!.waitFor('<ben> hello from ben', WAIT_MS);
          carl!.send(roomPort, 'hello from carl over udp');
          await waitForLine(ann, '<udp-carl> hello from carl over udp');
          await waitForLine(ben, '<udp-carl> hello from carl over udp');
        },
      ],
      [
        "each page's peer list shows the others with their transports (ws, ws, udp)",
        async () => {
          const all: Array<[string, string]> = [
            ['ann', 'ws'],
            ['ben', 'ws'],
            ['udp-carl', 'udp'],
          ];
          await waitForPeers(ann, all);
          await waitForPeers(ben, all);
          const annSees = await peerList(ann);
          assert(annSees[0]?.[2] === 'you', `ann is not marked as herself: ${JSON.stringify(annSees)}`);
          assert(/^idle \d+[smh]$/.test(annSees[2]?.[2] ?? ''), `no idle time for udp-carl: ${JSON.stringify(annSees)}`);
        },
      ],
      [
        'choosing a name sends that peer a private message, styled apart, heard by nobody else',
        async () => {
          await ann.locator('#peers li', { hasText: 'ben' }).locator('button').click();
          assert((await ann.locator('#text').inputValue()) === '/msg ben ', 'the message box does not hold /msg ben');
          await ann.locator('#text').press('End');
          await ann.keyboard.type('psst');
          await ann.keyboard.press('Enter');
          await waitForLine(ben, '[private] <ann> psst');
          const line = (await logLines(ben)).find((l) => l.text === '[private] <ann> psst');
          assert(line?.kind.includes('private'), `the private line is not styled as private: ${line?.kind}`);
          carl!.send(roomPort, '/ping sync');
          await carl!.waitFor('/pong sync', WAIT_MS);
          assert(!carl!.lines.some((l) => l.includes('psst')), 'udp-carl heard the private message');
        },
      ],
      [
        'HTML in a message is shown as text, from a UDP peer and from a page alike',
        async () => {
          carl!.send(roomPort, HTML);
          await waitForLine(ann, `<udp-carl> ${HTML}`);
          await say(ben, `ben says ${HTML}`);
          await waitForLine(ann, `<ben> ben says ${HTML}`);
          for (const page of [ann, ben]) {
            const elements = await page.$$eval('#log img, #log b', (found) => found.length);
            assert(elements === 0, `the log holds ${elements} <img>/<b> elements`);
          }
          assert(!problems.some((p) => p.startsWith('a dialog')), 'alert() ran');
        },
      ],
      [
        'notices and errors are styled apart from chat',
        async () => {
          await say(ann, '/frobnicate');
          await ann.waitForSelector('#log .line.error', { timeout: WAIT_MS });
          const colour = (selector: string) => ann.$eval(selector, (e) => getComputedStyle(e).color);
          const [chat, notice, error] = [await colour('#log .line.chat:not(.self)'), await colour('#log .line.notice'), await colour('#log .line.error')];
          assert(new Set([chat, notice, error]).size === 3, `chat ${chat}, notice ${notice}, error ${error} are not all different`);
        },
      ],
      [
        'the teacher panel shows, per transport, messages and bytes in and out, drops and expiries, live',
        async () => {
          await ben.locator('#teacher-toggle').click();
          assert((await ben.locator('#teacher-toggle').getAttribute('aria-expanded')) === 'true', 'the toggle does not say it is open');
          // Rows udp, tcp, ws; columns msgs in, bytes in, msgs out, bytes out, in/s, out/s.
          const table = () => ben.$$eval('#traffic tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => Number((c.textContent ?? '').replace(/\D/g, '')))));
          // Updated every second: wait for what has been sent so far (udp-carl 4 messages, the pages 6 and more).
          const reached = (udp: number, ws: number) =>
            ben.waitForFunction(
              ([u, w]) => {
                const cells = [...document.querySelectorAll('#traffic tr')].map((r) => Number((r.querySelector('td')?.textContent ?? '').replace(/\D/g, '')));
                return cells.length === 3 && cells[0]! >= u! && cells[2]! >= w!;
              },
              [udp, ws],
              { timeout: WAIT_MS },
            );
          try {
            await reached(4, 6);
          } catch {
            throw new Error(`the panel does not count the messages sent: ${JSON.stringify(await table())}`);
          }
          const before = await table();
          assert(before.every((r) => r.length === 6) && before[0]![1]! > 0 && before[2]![2]! > 0 && before[2]![3]! > 0, `bytes: ${JSON.stringify(before)}`);
          carl!.send(roomPort, 'counted');
          await reached(before[0]![0]! + 1, 0);
          assert((await ben.locator('#expired').textContent()) === '0', 'expired');
          assert((await ben.locator('#drops').textContent()) === 'none', 'drops');
          await ann.goto(`${url}#teacher`, { timeout: WAIT_MS });
          assert(await ann.locator('#teacher').isVisible(), '#teacher in the URL does not open the panel');
          await ann.goto(url, { timeout: WAIT_MS });
          await join(ann, 'ann');
          await waitForPeers(ben, [
            ['ben', 'ws'],
            ['udp-carl', 'udp'],
            ['ann', 'ws'],
          ]);
        },
      ],
      [
        'screenshots on a phone (390x844, 360x740) and a desktop show the chat',
        async () => {
          await say(ann, 'back again, on a phone');
          await waitForLine(ben, '<ann> back again, on a phone');
          carl!.send(roomPort, `one more ${HTML}`);
          await waitForLine(ann, `<udp-carl> one more ${HTML}`);
          await ann.screenshot({ path: RESULTS + 'e2e.png' });
          await ann.setViewportSize({ width: 360, height: 740 });
          const overflow = await ann.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert(overflow <= 0, `the page is ${overflow}px wider than a 360px screen`);
          await ann.screenshot({ path: RESULTS + 'e2e-360.png' });
          await ben.screenshot({ path: RESULTS + 'e2e-desktop.png' });
        },
      ],
      [
        'a ticket link (?ticket=) names the page from the ticket, leaves the address bar, and joins under the signed name',
        async () => {
          const [, dan] = await open({ width: 390, height: 844 }, true, 'light');
          await dan.goto(`${url}?ticket=${await issueTicket({ name: 'dan', secret: SECRET })}`, { timeout: WAIT_MS });
          assert((await dan.locator('#name').inputValue()) === 'dan', 'the name field does not hold the ticket name');
          assert(await dan.locator('#name').evaluate((e) => (e as HTMLInputElement).readOnly), 'the ticket name can be edited');
          assert((await dan.evaluate(() => location.search)) === '', 'the ticket is still in the address bar');
          await dan.locator('#join button').click();
          await dan.waitForFunction(() => document.getElementById('status')?.textContent === 'joined as dan', undefined, { timeout: WAIT_MS });
          await waitForLine(dan, '* signed in by ticket as dan');
          await ben.waitForFunction(() => [...document.querySelectorAll('#log .line')].some((l) => / is now dan$/.test(l.textContent ?? '')), undefined, { timeout: WAIT_MS });
          await dan.close();
        },
      ],
      [
        'a forged ticket, pasted into the field, gets a clear ! line and no name',
        async () => {
          const [, eve] = await open({ width: 1280, height: 800 }, false, 'light');
          await eve.goto(url, { timeout: WAIT_MS });
          await eve.locator('#password').fill(await issueTicket({ name: 'ben', secret: 'not the secret of this room, 32+ bytes' }));
          assert((await eve.locator('#name').inputValue()) === 'ben', 'the name field does not follow the pasted ticket');
          await eve.locator('#join button').click();
          await waitForLine(eve, "! ticket refused: the ticket is not signed with this room's secret (forged, or for another server)");
          await eve.screenshot({ path: RESULTS + 'e2e-forged-ticket.png' });
          await eve.close();
        },
      ],
      ...timelineSteps(timeline),
      [
        'leaving is announced to the others as a quit',
        async () => {
          await ann.locator('#join button').click();
          await waitForLine(ben, '* ann left (quit)');
          await carl!.waitFor('* ann left (quit)', WAIT_MS);
          await ann.waitForFunction(() => document.getElementById('status')?.textContent === 'not connected', undefined, { timeout: WAIT_MS });
        },
      ],
      floodStep(timeline),
      [
        'no page error, console error or dialog along the way',
        async () => {
          assert(problems.length === 0, problems.join('; '));
        },
      ],
    ]);
    // A named room (serve --room): its own process and page.
    await runSteps(roomNameSteps({ browser, results: RESULTS, cleanup }));
    // A page that outlives its server: its own `serve --web` process, restarted, and its own pages.
    await runSteps(reconnectSteps({ browser, results: RESULTS, cleanup }));
  } catch (err) {
    failed += 1;
    process.stdout.write(`  ✘ setting up: ${(err as Error).stack ?? String(err)}\n`);
  } finally {
    for (const close of cleanup) close();
    carl?.close();
    await browser?.close();
    await server?.close();
    clearTimeout(watchdog);
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
    process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
  }
}

process.stdout.write('the web page in headless chromium\n');
await main();
