/**
 * The HTTP side of the web transport: the page (src/web), a JSON `/stats` for its live panel,
 * `GET /demos` and `POST /demos/NAME` for its Demos view (demos-endpoint.ts), and the policy a
 * WebSocket upgrade must pass (address, Host, path, Origin, and for `/timeline` who may read it)
 * before it is handed on to the chat transport or the timeline feed. It knows nothing of the
 * room: `/stats` answers whatever the server's stats() gives.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { PeerSnapshot, RoomCounters } from '../../core/room.js';
import { isLoopback } from '../address.js';
import { listening } from '../bind.js';
import { CLOSE_GRACE_MS } from '../stream-link.js';
import { DemoDesk, type DemoAnswer, type DemoRunner } from './demos-endpoint.js';
import { hostAllowed, hostRule, type HostRule } from './host.js';
import { originAllowed } from './origin.js';
import { teacherKeyMatches } from './teacher.js';
import type { TimelineFeed } from './timeline-feed.js';

/** What GET /stats answers: the room's counters, its peers (unless hidden), and the limits the page needs. */
export interface WebStats {
  peerTimeoutMs: number;
  maxMessageBytes: number;
  /** kernelDrops: datagrams the OS dropped before the server read them (a number, or `not available`). */
  counters: RoomCounters & { peers: number; kernelDrops?: number | 'not available' };
  /**
   * Admitted peers in joining order, at most maxWhoLines of them; absent in a room with a password.
   * Each with its ip:port only when the request came from the server's own machine (the teacher).
   */
  peers?: PeerSnapshot[];
  /** The room's name (serve --room), which the page shows; absent for an unnamed room. */
  room?: string;
}

/** How the page server is set up. */
export interface PageOptions {
  host: string;
  port: number;
  /** Origins allowed besides the page's own (parsed by parseOrigins); `*` allows any. */
  origins: readonly string[];
  admit(ip: string, port?: number): boolean;
  /** `local`: the request came from a loopback address, the server's own machine. */
  stats(local: boolean): WebStats;
  /** An upgrade that passed the policy: the WebSocket transport takes it from here. */
  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void;
  /** An upgrade from an address --allow/--deny keeps out. */
  denied(): void;
  /** A request or upgrade for a Host that is not this server's (DNS rebinding): answered 403. */
  foreignHost(): void;
  /** A socket error on an upgrading connection, or the server's own. */
  onError(err: Error): void;
  /**
   * The live timeline at `/timeline`; `open`: anyone may read it (a room without a password or
   * tickets), else only the server's own machine or a browser holding the teacher key (`?key=`).
   */
  timeline?: { feed: TimelineFeed; open: boolean };
  /** The teacher key (banner: `?teacher=KEY`): reads a closed room's timeline, runs demos. */
  teacherKey?: string;
  /** Demos the page may run on the server (`GET /demos`, `POST /demos/NAME`). */
  demos?: DemoRunner;
}

// The page's files: plain HTML, JS and CSS, no build step. The build copies src/web to
// dist/src/web, so the folder sits at the same place beside this module in the source and the package.
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/timeline.js': { file: 'timeline.js', type: 'text/javascript; charset=utf-8' },
  '/chart.js': { file: 'chart.js', type: 'text/javascript; charset=utf-8' },
  '/demos.js': { file: 'demos.js', type: 'text/javascript; charset=utf-8' },
  '/svg.js': { file: 'svg.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
const WEB_DIR = new URL('../../web/', import.meta.url);

// Where the WebSocket answers: `/`, where the page opens it, and `/ws`, where the Go tutorials'
// clients dial it (seed 003's gorilla/websocket chat, "Mastering WebSockets With Go"). Nothing else.
const WS_PATHS: ReadonlySet<string> = new Set(['/', '/ws']);

// Everything the page needs comes from this server (no CDN, no inline script): a peer's text
// that slipped into the DOM as HTML still could not run.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Starts the page's HTTP server; rejects with EADDRINUSE and the like. */
export async function startPageServer(o: PageOptions): Promise<http.Server> {
  const assets = new Map<string, Buffer>();
  // Read once: the page is small and a classroom may load it a hundred times at once.
  for (const { file } of Object.values(ASSETS)) if (!assets.has(file)) assets.set(file, readFileSync(new URL(file, WEB_DIR)));
  // A request (or a WebSocket handshake) must arrive whole within 10s: a client trickling its
  // headers must not hold a connection for Node's default minute.
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 10_000 });
  // Known once bound (port 0, a name): nothing is answered before then anyway.
  let hosts: HostRule = { names: new Set(), anyLocal: false };
  const desk = o.demos ? new DemoDesk(o.demos, o.teacherKey) : undefined;
  server.on('request', (req, res) => request(o, hosts, assets, desk, req, res));
  server.on('upgrade', (req, socket: Socket, head: Buffer) => upgrade(o, hosts, req, socket, head));
  await listening(server, (s) => s.listen(o.port, o.host));
  // Only once bound: a bind error (EADDRINUSE) is the caller's to report, as one line, not a socket error logged first.
  server.on('error', (err) => o.onError(err));
  hosts = hostRule((server.address() as { address: string }).address, o.host, o.origins);
  return server;
}

const FOREIGN_HOST = 'this server does not answer for that host name (udp-chat serve --origin http://NAME:PORT adds one)';

// `POST /demos/NAME`: a demo's name is a word.
const DEMO_PATH = /^\/demos\/([a-z0-9-]{1,40})$/;

function request(o: PageOptions, hosts: HostRule, assets: Map<string, Buffer>, desk: DemoDesk | undefined, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (!o.admit(req.socket.remoteAddress ?? '', req.socket.remotePort)) return answer(res, 403, 'forbidden\n');
  if (!hostAllowed(req.headers.host, hosts)) {
    o.foreignHost();
    return answer(res, 403, `${FOREIGN_HOST}\n`);
  }
  const [path] = splitUrl(req.url);
  if (desk && req.method === 'POST' && path.startsWith('/demos/')) return runDemo(o, desk, path, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return answer(res, 405, 'method not allowed\n');
  }
  if (desk && path === '/demos') return answerJson(res, desk.list());
  if (path === '/stats') {
    res.setHeader('cache-control', 'no-store');
    return answer(res, 200, JSON.stringify(o.stats(isLoopback(req.socket.remoteAddress ?? ''))), 'application/json; charset=utf-8');
  }
  const asset = ASSETS[path];
  if (!asset) return answer(res, 404, 'not found\n');
  res.setHeader('cache-control', 'no-cache');
  answer(res, 200, assets.get(asset.file)!, asset.type);
}

/**
 * `POST /demos/NAME` (demos-endpoint.ts says who may). A browser's POST from another site carries
 * its Origin: refused here too, besides the key header it cannot send without a preflight.
 */
function runDemo(o: PageOptions, desk: DemoDesk, path: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  // The body means nothing: read and let go, so the connection can be answered and reused.
  req.resume();
  if (!originAllowed(req.headers.origin, req.headers.host, o.origins)) return answerJson(res, { status: 403, body: { error: 'origin not allowed' } });
  const name = DEMO_PATH.exec(path)?.[1];
  const answered = name === undefined ? Promise.resolve({ status: 404, body: { error: 'no such demo: GET /demos lists them' } }) : desk.run(req, name);
  // A runner that throws (a library user's) is a 500, never a request left hanging or a rejection
  // that ends the process.
  answered
    .then((a) => answerJson(res, a))
    .catch((err: Error) => {
      o.onError(err);
      if (!res.headersSent) answerJson(res, { status: 500, body: { error: 'the demo failed' } });
    });
}

function answerJson(res: http.ServerResponse, a: DemoAnswer): void {
  if (res.destroyed) return;
  res.setHeader('cache-control', 'no-store');
  answer(res, a.status, JSON.stringify(a.body), 'application/json; charset=utf-8');
}

function answer(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function upgrade(o: PageOptions, hosts: HostRule, req: http.IncomingMessage, socket: Socket, head: Buffer): void {
  // Node removes its own error listener from an upgraded socket: an RST must not go uncaught.
  socket.on('error', (err) => o.onError(err));
  if (!o.admit(socket.remoteAddress ?? '', socket.remotePort)) {
    o.denied();
    return refuse(socket, 403, 'forbidden');
  }
  if (!hostAllowed(req.headers.host, hosts)) {
    o.foreignHost();
    return refuse(socket, 403, FOREIGN_HOST);
  }
  const [path, query] = splitUrl(req.url);
  const timeline = path === TIMELINE_PATH ? o.timeline : undefined;
  if (!timeline && !WS_PATHS.has(path)) return refuse(socket, 404, 'not found');
  if (!originAllowed(req.headers.origin, req.headers.host, o.origins)) {
    return refuse(socket, 403, 'origin not allowed (udp-chat serve --origin allows more)');
  }
  if (!timeline) return o.upgrade(req, socket, head);
  // A room with a password or tickets is not shown to anyone who asks: the teacher's machine, or
  // the key. A browser on the teacher's machine is the teacher only on the page's own origin (or a
  // listed one): with `--origin *` any site the teacher visits passes the Origin check, and from
  // that browser it would read a closed room.
  const fromHere = isLoopback(socket.remoteAddress ?? '') && originAllowed(req.headers.origin, req.headers.host, o.origins.filter((x) => x !== '*'));
  const teacher = fromHere || teacherKeyMatches(new URLSearchParams(query).get('key'), o.teacherKey);
  if (!timeline.open && !teacher) return refuse(socket, 403, 'this room is closed: the timeline is for the teacher (open the teacher link the server printed)');
  // The teacher's pages have places the class cannot take (TIMELINE_LIMITS.teacherPlaces).
  if (timeline.feed.fullFor(teacher)) return refuse(socket, 503, 'too many timeline pages open; close one');
  timeline.feed.upgrade(req, socket, head, teacher);
}

// Where the page opens its live timeline (a read-only WebSocket of its own).
const TIMELINE_PATH = '/timeline';

/** A request's path and its query string (without the `?`). */
function splitUrl(url = '/'): [string, string] {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

/** Answers an upgrade with a plain HTTP error and closes the socket. */
function refuse(socket: Socket, status: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(message) + 1}\r\n\r\n${message}\n`,
  );
  // A client that keeps its end open is not waited for.
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}
