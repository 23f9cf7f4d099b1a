/**
 * The page's Demos view asks the server to run a demo on its own machine: `GET /demos` lists
 * them (anyone), `POST /demos/NAME` runs one (the teacher only) and answers its result and its
 * diagram. The demos themselves are a callback the server is given (servers cannot import demos).
 */
import type http from 'node:http';
import { isLoopback } from '../address.js';
import { teacherKeyMatches } from './teacher.js';

/** What the server runs demos with (`serve` passes src/demos/runner.ts: DEMOS, drawn by demoSvg). */
export interface DemoRunner {
  list(): { name: string; summary: string }[];
  run(name: string): Promise<{ result: unknown; svg: string }>;
}

/** The header a POST must carry: the teacher key (empty is enough from loopback). */
export const TEACHER_KEY_HEADER = 'x-udp-chat-key';

/** An answer: status and JSON body. */
export interface DemoAnswer {
  status: number;
  body: unknown;
}

/**
 * How long a demo may run before its request is answered 504 and the desk takes the next one.
 * The shipped demos bound their own waits and end in seconds; this keeps a runner that hangs
 * from answering 409 to every later request until the server restarts.
 */
export const DEMO_DEADLINE_MS = 60_000;

/** One demo at a time, for the whole server: a demo binds sockets and takes seconds. */
export class DemoDesk {
  private running: string | undefined;

  constructor(
    private readonly runner: DemoRunner,
    private readonly teacherKey: string | undefined,
    private readonly deadlineMs = DEMO_DEADLINE_MS,
  ) {}

  /** GET /demos; a runner that throws is a 500 (this runs in the server's request handler). */
  list(): DemoAnswer {
    try {
      return { status: 200, body: this.runner.list().map(({ name, summary }) => ({ name, summary })) };
    } catch (err) {
      return unlisted(err);
    }
  }

  /**
   * POST /demos/NAME. The key header must be there, even from loopback (where it may be empty):
   * a cross-site form cannot set a header, and a cross-site fetch that sets one is preflighted
   * (OPTIONS), which this server answers without any CORS header, so the browser never sends it.
   * That is the guard against another site making a teacher's browser start demos (CSRF).
   */
  async run(req: http.IncomingMessage, name: string): Promise<DemoAnswer> {
    const given = req.headers[TEACHER_KEY_HEADER];
    if (typeof given !== 'string') return { status: 403, body: { error: `the ${TEACHER_KEY_HEADER} header is required` } };
    const local = isLoopback(req.socket.remoteAddress ?? '');
    if (!local && !teacherKeyMatches(given, this.teacherKey)) return { status: 403, body: { error: 'only the teacher may run demos: open the page with the teacher link the server printed' } };
    let known: boolean;
    try {
      known = this.runner.list().some((d) => d.name === name);
    } catch (err) {
      return unlisted(err);
    }
    if (!known) return { status: 404, body: { error: 'no such demo: GET /demos lists them' } };
    if (this.running !== undefined) return { status: 409, body: { error: `the demo ${this.running} is running; one at a time` } };
    this.running = name;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.deadlineMs);
    });
    try {
      const ran = await Promise.race([this.runner.run(name), late]);
      if (ran === 'late') return { status: 504, body: { error: `the demo ${name} did not finish within ${this.deadlineMs / 1000} s` } };
      return { status: 200, body: { result: ran.result, svg: ran.svg } };
    } catch (err) {
      return { status: 500, body: { error: `the demo failed: ${(err as Error).message}` } };
    } finally {
      clearTimeout(timer);
      this.running = undefined;
    }
  }
}

function unlisted(err: unknown): DemoAnswer {
  return { status: 500, body: { error: `the demos could not be listed: ${(err as Error).message}` } };
}
