/**
 * The browser test's steps for a page that outlives its server: a real `udp-chat serve --web`
 * process, killed (SIGKILL, as a crash or a closed laptop lid would) and then stopped (SIGTERM, a
 * teacher's Ctrl-C), and started again on the same ports. Two pages, one joined with a name and the
 * room's password, one with a ticket link, must show that they are reconnecting, keep the peer
 * list greyed as last seen, back off, and come back under the same names by themselves; Leave must
 * stop it. Its own server process and pages, apart from e2e.ts's in-process room.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { issueTicket } from '../../src/servers/tickets.js';
import { closedPort, start } from '../helpers/spawn.js';
import { UdpPeer } from '../helpers/udp-peer.js';
import { axe } from './axe.js';
import type { Step } from './timeline.js';

const WAIT_MS = 5000;
const PASSWORD = 'restart-proof';
const SECRET = 'the secret of the reconnect test, 32+ bytes';
// The page's backoff (app.js): 0.5 s doubling to 10 s, each wait jittered to between half and all
// of it. The measured gaps may run over by the time a refused connection takes and a busy machine.
const FIRST_MS = 500;
const MAX_MS = 10_000;
const SLACK_MS = 1000;
const WHO_EVERY_MS = 6000;
// A page comes back at its next attempt after the server does: up to the longest wait later.
const BACK_MS = MAX_MS + WAIT_MS;

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** One `serve --web` process on fixed ports, so a restart comes back where the pages look for it. */
class Server {
  child: ChildProcessWithoutNullStreams | undefined;
  stderr = '';

  constructor(
    readonly port: number,
    readonly web: number,
    /** Pages from this origin (the proxy's) may join too. */
    readonly origin: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.web}/`;
  }

  /** Starts it and waits until its page answers (GET /stats), whatever its banner says. */
  async start(): Promise<void> {
    const child = start(['serve', '--port', String(this.port), '--web', String(this.web), '--password', PASSWORD, '--ticket-secret', SECRET, '--origin', this.origin]);
    this.child = child;
    this.stderr = '';
    child.stderr.on('data', (d) => (this.stderr += d));
    child.stdout.resume();
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${this.stderr}`);
      const up = await fetch(`${this.url}stats`, { signal: AbortSignal.timeout(500) }).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline) throw new Error(`serve did not answer on ${this.url} within ${WAIT_MS} ms: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops it with `signal` and waits for the process to be gone (so its ports are free). */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * A TCP relay to the server's web port that can cut the browser's side of every connection while
 * keeping the server's side open: a network that drops, which the server does not notice at once.
 */
class Relay {
  private readonly held: net.Socket[] = [];
  private readonly pairs = new Set<[net.Socket, net.Socket]>();

  private constructor(readonly listener: net.Server) {}

  static async open(target: number): Promise<Relay> {
    const listener = net.createServer();
    const relay = new Relay(listener);
    listener.on('connection', (page) => {
      const server = net.connect(target, '127.0.0.1');
      const pair: [net.Socket, net.Socket] = [page, server];
      relay.pairs.add(pair);
      page.on('data', (d) => server.write(d));
      server.on('data', (d) => !page.destroyed && page.write(d));
      page.on('end', () => server.end());
      server.on('end', () => page.end());
      page.on('error', () => undefined);
      server.on('error', () => page.destroy());
      page.on('close', () => relay.pairs.delete(pair));
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    return relay;
  }

  get port(): number {
    return (this.listener.address() as net.AddressInfo).port;
  }

  /** Drops the browser's side of every connection; the server's side stays open, silent. */
  cut(): void {
    for (const pair of this.pairs) {
      const [page, server] = pair;
      this.pairs.delete(pair);
      this.held.push(server);
      server.removeAllListeners('end');
      page.destroy();
    }
  }

  /** Closes the server's side of what cut() dropped: the server sees them go. */
  release(): void {
    for (const server of this.held.splice(0)) server.destroy();
  }

  close(): void {
    this.release();
    for (const [page, server] of this.pairs) {
      page.destroy();
      server.destroy();
    }
    this.listener.close();
  }
}

export interface ReconnectContext {
  browser: Browser;
  results: string;
  /** Closed by e2e.ts at the end, whatever happened. */
  cleanup: Array<() => void>;
}

/** The page's status line. */
function statusOf(page: Page): Promise<string> {
  return page.locator('#status').textContent().then((t) => t ?? '');
}

async function waitForStatus(page: Page, text: string | RegExp, ms = WAIT_MS): Promise<void> {
  const src = typeof text === 'string' ? `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : text.source;
  try {
    await page.waitForFunction((t) => new RegExp(t).test(document.getElementById('status')?.textContent ?? ''), src, { timeout: ms });
  } catch {
    throw new Error(`the status is not ${typeof text === 'string' ? JSON.stringify(text) : String(text)} within ${ms} ms: ${JSON.stringify(await statusOf(page))}`);
  }
}

/** Waits until the page's log has `count` lines that match. */
async function waitForLine(page: Page, match: RegExp, count = 1): Promise<void> {
  try {
    await page.waitForFunction(
      ([src, n]) => [...document.querySelectorAll('#log .line')].filter((l) => new RegExp(src as string).test(l.textContent ?? '')).length >= (n as number),
      [match.source, count],
      { timeout: WAIT_MS },
    );
  } catch {
    const lines = await page.$$eval('#log .line', (ls) => ls.map((l) => l.textContent));
    throw new Error(`not ${count} lines matching ${match} within ${WAIT_MS} ms; the log: ${JSON.stringify(lines)}`);
  }
}

/** The peer list as shown: name, transport, idle. */
function peers(page: Page): Promise<string[][]> {
  return page.$$eval('#peers li', (items) => items.map((li) => [...li.querySelectorAll('.name, .transport, .idle')].map((e) => e.textContent ?? '')));
}

/** Waits for the peer list to hold these names: a room with a password lists them by /who, asked on joining and every 6 s. */
async function waitForPeerNames(page: Page, names: string[]): Promise<void> {
  const want = JSON.stringify([...names].sort());
  const ms = WHO_EVERY_MS + WAIT_MS;
  try {
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('#peers .name')].map((n) => n.textContent).sort()) === w, want, { timeout: ms });
  } catch {
    throw new Error(`the peer list is not ${want} within ${ms} ms: ${JSON.stringify(await peers(page))}`);
  }
}

/** A UDP peer in the room: /join PASSWORD, then its name. */
async function udpPeer(port: number, name: string): Promise<UdpPeer> {
  const peer = await UdpPeer.open();
  peer.send(port, `/join ${PASSWORD}`);
  await peer.waitFor(/^\* welcome /, WAIT_MS);
  peer.send(port, `/nick ${name}`);
  await peer.waitFor(`* ${peer.address} is now ${name}`, WAIT_MS);
  return peer;
}

/** The steps, in order. */
export function reconnectSteps(c: ReconnectContext): Step[] {
  let server: Server;
  let relay: Relay;
  let fay: Page; // joined with a name and the room's password
  let gus: Page; // joined with a ticket link
  let hal: UdpPeer | undefined;
  let ida: UdpPeer | undefined;
  // When each page opened a chat WebSocket (not the timeline's), in ms on this process's clock.
  const attempts = new Map<Page, number[]>();
  const problems: string[] = [];
  // A server that is down makes the browser say so on the console; those are expected here. A
  // request in flight when the process is killed (the page's periodic fetch) is reset, not refused.
  const expected = [/WebSocket connection to .* failed/, /Failed to load resource: net::ERR_CONNECTION_(REFUSED|RESET)/, /Failed to fetch/];

  const open = async (): Promise<Page> => {
    const context = await c.browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, colorScheme: 'light' });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    attempts.set(page, []);
    page.on('websocket', (ws) => {
      if (new URL(ws.url()).pathname === '/') attempts.get(page)!.push(performance.now());
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected.some((e) => e.test(m.text()))) problems.push(`console error: ${m.text()}`);
    });
    c.cleanup.push(() => void context.close().catch(() => undefined));
    return page;
  };

  /** Waits until the page has opened `n` chat WebSockets in all. */
  const waitForAttempts = async (page: Page, n: number, ms: number): Promise<number[]> => {
    const seen = attempts.get(page)!;
    const deadline = Date.now() + ms;
    while (seen.length < n) {
      if (Date.now() > deadline) throw new Error(`${seen.length} connection attempts, not ${n}, within ${ms} ms`);
      await page.waitForTimeout(50);
    }
    return [...seen];
  };

  return [
    [
      'reconnect: two pages join a room served by a real `serve --web` process, one with a name and the password, one with a ticket link',
      async () => {
        const web = await closedPort('tcp');
        relay = await Relay.open(web);
        c.cleanup.push(() => relay.close());
        server = new Server(await closedPort('udp'), web, `http://127.0.0.1:${relay.port}`);
        c.cleanup.push(() => void server.stop('SIGKILL'));
        await server.start();
        fay = await open();
        gus = await open();
        await fay.goto(server.url, { timeout: WAIT_MS });
        await fay.locator('#name').fill('fay');
        await fay.locator('#password').fill(PASSWORD);
        await fay.locator('#password').press('Enter');
        await waitForStatus(fay, 'joined as fay');
        await gus.goto(`${server.url}?ticket=${await issueTicket({ name: 'gus', secret: SECRET })}`, { timeout: WAIT_MS });
        await gus.locator('#join button').click();
        await waitForStatus(gus, 'joined as gus');
        hal = await udpPeer(server.port, 'hal');
        c.cleanup.push(() => hal?.close());
        await waitForPeerNames(fay, ['fay', 'gus', 'hal']);
      },
    ],
    [
      'reconnect: the server process is killed; the pages say they are reconnecting, keep the peer list greyed as it was, and back off (0.5 s, 1 s, 2 s, jittered)',
      async () => {
        const before = await peers(fay);
        const opened = attempts.get(fay)!.length;
        const killed = performance.now();
        await server.stop('SIGKILL');
        for (const [page, name] of [
          [fay, 'fay'],
          [gus, 'gus'],
        ] as const) {
          await waitForStatus(page, `reconnecting as ${name}…`);
          await waitForLine(page, /^! disconnected \(connection lost\); reconnecting by itself…$/);
        }
        assert(await fay.evaluate(() => document.body.classList.contains('reconnecting')), 'the page is not marked as reconnecting');
        assert(await fay.locator('#peers-stale').isVisible(), 'the peer list does not say it is as last seen');
        // Three more attempts: after 0.25-0.5 s, then 0.5-1 s, then 1-2 s.
        const seen = (await waitForAttempts(fay, opened + 3, 3 * FIRST_MS + 2 * FIRST_MS + 4 * FIRST_MS + 3 * SLACK_MS)).slice(opened);
        const gaps = [seen[0]! - killed, seen[1]! - seen[0]!, seen[2]! - seen[1]!];
        gaps.forEach((gap, i) => {
          const ceiling = FIRST_MS * 2 ** i;
          assert(gap >= ceiling / 2 - 20 && gap <= ceiling + SLACK_MS, `wait ${i + 1} was ${Math.round(gap)} ms, not ${ceiling / 2}-${ceiling} ms: ${gaps.map(Math.round).join(', ')}`);
        });
        // The list is the one from before, frozen (idle times do not grow), its names greyed.
        const during = await peers(fay);
        assert(JSON.stringify(during) === JSON.stringify(before), `the peer list changed while down: ${JSON.stringify(before)} -> ${JSON.stringify(during)}`);
        const colour = (selector: string) => fay.$eval(selector, (e) => getComputedStyle(e).color);
        assert((await colour('#peers li:not(.you) .name')) === (await colour('#peers-stale')), 'the names in the list are not greyed');
        assert(await fay.locator('#peers li:not(.you) .name').first().isDisabled(), 'a name in the list still offers a private message');
        // What is typed while down waits in the box, unsent.
        await fay.locator('#text').fill('typed while the server was away');
        await fay.locator('#text').press('Enter');
        assert((await fay.locator('#text').inputValue()) === 'typed while the server was away', 'the message box lost what was typed');
        const found = await axe(fay);
        await fay.screenshot({ path: `${c.results}e2e-reconnecting.png` });
        assert(found.length === 0, `axe-core, while reconnecting:\n${found.join('\n')}`);
      },
    ],
    [
      'reconnect: the server starts again on the same ports; both pages rejoin by themselves under their names (password, ticket), and another peer hears them',
      async () => {
        await server.start();
        await waitForStatus(fay, 'joined as fay', BACK_MS);
        await waitForStatus(gus, 'joined as gus', BACK_MS);
        // In a room with a password, a ticket is welcomed under its name at once: a second welcome.
        await waitForLine(gus, /^\* welcome gus; /, 2);
        for (const page of [fay, gus]) {
          assert(!(await page.evaluate(() => document.body.classList.contains('reconnecting'))), 'still marked as reconnecting');
          assert(!(await page.locator('#peers-stale').isVisible()), 'the list still says it is as last seen');
        }
        ida = await udpPeer(server.port, 'ida');
        c.cleanup.push(() => ida?.close());
        // The text typed while down is still there: Enter sends it now.
        await fay.locator('#text').press('Enter');
        await ida.waitFor('<fay> typed while the server was away', WAIT_MS);
        await gus.locator('#text').fill('gus is back');
        await gus.locator('#text').press('Enter');
        await ida.waitFor('<gus> gus is back', WAIT_MS);
        // The list is the new room's: hal, whom the restarted server never met, is gone from it.
        await waitForPeerNames(fay, ['fay', 'gus', 'ida']);
      },
    ],
    [
      'reconnect: a server stopped with SIGTERM (peers told it is shutting down) and started again: the pages come back again',
      async () => {
        await server.stop('SIGTERM');
        await waitForLine(fay, /^\* server shutting down$/);
        await waitForLine(fay, /^! disconnected \(the server is shutting down\); reconnecting by itself…$/);
        await waitForStatus(gus, 'reconnecting as gus…');
        await server.start();
        await waitForStatus(fay, 'joined as fay', BACK_MS);
        await waitForStatus(gus, 'joined as gus', BACK_MS);
        ida?.close();
        ida = await udpPeer(server.port, 'ida');
        await fay.locator('#text').fill('fay again');
        await fay.locator('#text').press('Enter');
        await ida.waitFor('<fay> fay again', WAIT_MS);
      },
    ],
    [
      'reconnect: Leave does not reconnect, neither from a connected page nor from one that is reconnecting',
      async () => {
        await fay.locator('#join button').click();
        await ida!.waitFor('* fay left (quit)', WAIT_MS);
        await waitForStatus(fay, 'not connected');
        const fayOpened = attempts.get(fay)!.length;
        await server.stop('SIGKILL');
        await waitForStatus(gus, 'reconnecting as gus…');
        assert((await gus.locator('#join button').textContent()) === 'Leave', 'a reconnecting page offers no Leave');
        await gus.locator('#join button').click();
        await waitForStatus(gus, 'not connected');
        const gusOpened = attempts.get(gus)!.length;
        // The first retry would come within 0.5 s: a page that stays quiet for three times that has stopped.
        await server.start();
        await gus.waitForTimeout(3 * FIRST_MS);
        assert(attempts.get(fay)!.length === fayOpened, 'fay opened a connection after Leave');
        assert(attempts.get(gus)!.length === gusOpened, 'gus opened a connection after Leave');
        assert((await gus.locator('#join button').textContent()) === 'Join', 'the button does not offer Join again');
        assert(await gus.locator('#password').isEditable(), 'the join form is still shut');
      },
    ],
    [
      'reconnect: a connection lost while the server stays up: back as a guest while the old connection holds the name, then the name again once the room lets the old one go',
      async () => {
        const kim = await udpPeer(server.port, 'kim');
        c.cleanup.push(() => kim.close());
        const jo = await open();
        await jo.goto(`http://127.0.0.1:${relay.port}/`, { timeout: WAIT_MS });
        await jo.locator('#name').fill('jo');
        await jo.locator('#password').fill(PASSWORD);
        await jo.locator('#password').press('Enter');
        await waitForStatus(jo, 'joined as jo');
        relay.cut();
        await waitForLine(jo, /^! disconnected \(connection lost\); reconnecting by itself…$/);
        await waitForLine(jo, /^! name taken: jo$/);
        await waitForStatus(jo, /^joined as 127\.0\.0\.1:\d+, not yet as jo: the lost connection still holds it$/);
        // The server finds the old connection gone (its ping would, within 40 s): the page asks at once.
        relay.release();
        await kim.waitFor('* jo left (disconnected)', WAIT_MS);
        await waitForStatus(jo, 'joined as jo');
        await jo.locator('#text').fill('jo is jo again');
        await jo.locator('#text').press('Enter');
        await kim.waitFor('<jo> jo is jo again', WAIT_MS);
      },
    ],
    [
      'reconnect: no page error or unexpected console error along the way',
      async () => {
        assert(problems.length === 0, problems.join('; '));
      },
    ],
  ];
}
