/**
 * The room over WebSocket, beside UDP and TCP: an HTTP server on its own port that serves the
 * web page (src/web), a JSON `/stats` for its live panel, and WebSocket connections into the
 * same room. Message-oriented like UDP, reliable and ordered like TCP, with the framing done by
 * the protocol: one text frame is one message, and the server's lines go out one per frame.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ChatError } from '../core/errors.js';
import type { LeaveReason, Peer, PeerLink, TransportName } from '../core/peer.js';
import type { Room, RoomCounters } from '../core/room.js';
import { formatAddress } from './address.js';
import { closeWithGrace } from './closing.js';

/** Where to listen, and who may open the page's WebSocket. */
export interface WsListenOptions {
  host: string;
  port: number;
  /** Origins allowed besides the page's own (see parseOrigins); `*` allows any. */
  origins?: readonly string[];
  /** Who may connect at all (--allow/--deny); others get 403. */
  admit?: (ip: string) => boolean;
  /** List peers by name in /stats (off for a room with a password: its members are not public). */
  listPeers?: boolean;
}

/** One peer as `/stats` lists it. */
export interface WebPeer {
  name: string;
  transport: TransportName;
  /** Milliseconds since the room last heard from it. */
  idleMs: number;
}

/** What GET /stats answers: the room's counters, its peers (unless hidden), and the limits the page needs. */
export interface WebStats {
  peerTimeoutMs: number;
  maxMessageBytes: number;
  counters: RoomCounters & { peers: number };
  /** Admitted peers in joining order, at most maxWhoLines of them; absent in a room with a password. */
  peers?: WebPeer[];
}

// The page's files: plain HTML, JS and CSS, no build step. The build copies src/web to
// dist/src/web, so the folder sits next to this module in the source and in the package alike.
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
const WEB_DIR = new URL('../web/', import.meta.url);

// Everything the page needs comes from this server (no CDN, no inline script): a peer's text
// that slipped into the DOM as HTML still could not run.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// After the goodbye frame, a client that does not answer the close handshake gets this long.
const CLOSE_GRACE_MS = 1000;

// A frame may carry the trailing `\n` or `\r\n` that the message limit does not count (as a UDP
// datagram from `nc -u` does), so the WebSocket limit is 2 bytes over the room's.
const NEWLINE_SLACK = 2;

/**
 * Checks `--origin` values and returns them normalised (`http://host:port`); `*` stays as it is.
 * Throws ERR_BAD_ARGUMENT for anything that is not an http(s) origin.
 */
export function parseOrigins(origins: readonly string[] = []): string[] {
  return origins.map((origin) => {
    if (origin === '*') return origin;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.username) {
      throw new ChatError('ERR_BAD_ARGUMENT', `bad origin '${origin}': use a scheme and host like http://192.168.1.10:8080 (or * for any)`);
    }
    return url.origin;
  });
}

/**
 * Whether a WebSocket upgrade may proceed. Browsers always send Origin: the page's own (the Host
 * it was loaded from) is allowed, and so are the listed ones. A request without Origin is not a
 * browser page (udp-chat chat, a script), which no other site can make a visitor's browser send.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*')) return true;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  if (allowed.includes(from.origin)) return true;
  if (!host || (from.protocol !== 'http:' && from.protocol !== 'https:')) return false;
  try {
    // Both through URL, so case and a default port (:80) compare alike.
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}

/** One WebSocket connection's link. */
class WsLink implements PeerLink {
  readonly transport = 'ws' as const;
  readonly address: string;
  peer: Peer | undefined;
  /** When the client last answered a ping (or connected). */
  lastPong = performance.now();
  /** Set when the link is being cut rather than closed politely: dropped as slow, or not answering pings. */
  cut = false;

  constructor(
    private readonly owner: WsTransport,
    readonly socket: WebSocket,
    readonly ip: string,
    port: number,
  ) {
    this.address = formatAddress(ip, port);
  }

  send(line: Uint8Array): void {
    if (this.cut || this.socket.readyState !== WebSocket.OPEN) return;
    // A browser that stops reading lets the queue grow (bufferedAmount: ws's own queue plus the
    // socket's); past the cap it is dropped, as a TCP peer is. Checked before queueing more.
    if (this.socket.bufferedAmount + line.length > this.owner.maxQueueBytes) {
      this.cut = true;
      // Not from inside the room's broadcast loop: leave() would broadcast in the middle of it.
      setImmediate(() => this.owner.dropSlow(this));
      return;
    }
    // One line is one text frame, without its `\n`: the frame is the message boundary. The room's
    // lines are UTF-8 already, so the same bytes go out as text for every receiver.
    this.socket.send(line.subarray(0, line.length - 1), { binary: false });
  }

  close(reason: LeaveReason): void {
    this.owner.forget(this);
    if (reason === 'disconnected' || this.socket.readyState === WebSocket.CLOSED) return;
    if (this.cut) {
      // It does not read or does not answer: a close handshake would never finish.
      this.socket.terminate();
      return;
    }
    this.socket.close(reason === 'shutdown' ? 1001 : reason === 'dropped' ? 1008 : 1000, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Asks for a pong; the client's WebSocket answers on its own, without the page's help. */
  ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }
}

/** The page and its WebSocket, on their own HTTP port, feeding one room. */
export class WsTransport {
  /** Socket errors seen (ECONNRESET, a broken frame): counted, never fatal. */
  socketErrors = 0;
  private readonly links = new Set<WsLink>();
  // Every WebSocket, peers and those turned away or closing alike, so close() can finish them all.
  private readonly sockets = new Set<WebSocket>();
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly server: http.Server,
    private readonly room: Room,
    private readonly assets: Map<string, Buffer>,
    private readonly origins: readonly string[],
    private readonly admit: (ip: string) => boolean,
    private readonly listPeers: boolean,
    private readonly onError: (err: Error) => void,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: room.limits.maxMessageBytes + NEWLINE_SLACK,
      // Compression would let a small frame inflate into a large message, and lines are short.
      perMessageDeflate: false,
      // Bad UTF-8 is the room's to replace with U+FFFD, as on UDP and TCP, not a reason to close.
      skipUTF8Validation: true,
      clientTracking: false,
    });
    server.on('request', (req, res) => this.request(req, res));
    server.on('upgrade', (req, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    server.on('error', (err) => onError(err));
    // Liveness: a ping every third of the peer timeout, and a client that has not answered one
    // for the whole timeout is cut off. Pongs are not chat: the room's idle clock ignores them.
    this.heartbeat = setInterval(() => this.checkAlive(), Math.max(10, room.peerTimeoutMs / 3));
  }

  /** Most bytes queued for one peer. */
  get maxQueueBytes(): number {
    return this.room.limits.maxQueueBytes > 0 ? this.room.limits.maxQueueBytes : Infinity;
  }

  /** Starts listening; rejects with EADDRINUSE and the like, or ERR_BAD_ARGUMENT for a bad origin. */
  static async listen(room: Room, options: WsListenOptions, onError: (err: Error) => void = () => {}): Promise<WsTransport> {
    const origins = parseOrigins(options.origins);
    const assets = new Map<string, Buffer>();
    // Read once: the page is small and a classroom may load it a hundred times at once.
    for (const { file } of Object.values(ASSETS)) if (!assets.has(file)) assets.set(file, readFileSync(new URL(file, WEB_DIR)));
    // A request (or a WebSocket handshake) must arrive whole within 10s: a client trickling its
    // headers must not hold a connection for Node's default minute.
    const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 10_000 });
    const failed = once(server, 'error');
    server.listen(options.port, options.host);
    const winner = await Promise.race([once(server, 'listening').then(() => null), failed.then(([err]) => err as Error)]);
    if (winner) {
      server.close();
      throw winner;
    }
    return new WsTransport(server, room, assets, origins, options.admit ?? (() => true), options.listPeers ?? true, onError);
  }

  /** The bound address. */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The HTTP port the page and the WebSocket are on. */
  get port(): number {
    return this.address().port;
  }

  /** How many WebSocket peers are connected. */
  get size(): number {
    return this.links.size;
  }

  /** What GET /stats answers. */
  stats(): WebStats {
    const stats: WebStats = {
      peerTimeoutMs: this.room.peerTimeoutMs,
      maxMessageBytes: this.room.limits.maxMessageBytes,
      counters: { ...this.room.counters, peers: this.room.size },
    };
    if (this.listPeers) {
      // The room's clock is performance.now() unless a test gives it another; servers never do.
      const now = performance.now();
      const most = this.room.limits.maxWhoLines > 0 ? this.room.limits.maxWhoLines : Infinity;
      stats.peers = [];
      for (const peer of this.room.peers()) {
        if (stats.peers.length >= most) break;
        if (peer.admitted) stats.peers.push({ name: peer.name, transport: peer.link.transport, idleMs: Math.max(0, Math.round(now - peer.lastSeen)) });
      }
    }
    return stats;
  }

  private request(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.admit(req.socket.remoteAddress ?? '')) return this.answer(res, 403, 'forbidden\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return this.answer(res, 405, 'method not allowed\n');
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/stats') {
      res.setHeader('cache-control', 'no-store');
      return this.answer(res, 200, JSON.stringify(this.stats()), 'application/json; charset=utf-8');
    }
    const asset = ASSETS[path];
    if (!asset) return this.answer(res, 404, 'not found\n');
    res.setHeader('cache-control', 'no-cache');
    this.answer(res, 200, this.assets.get(asset.file)!, asset.type);
  }

  private answer(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    // Node removes its own error listener from an upgraded socket: an RST must not go uncaught.
    socket.on('error', (err) => {
      this.socketErrors += 1;
      this.onError(err);
    });
    const ip = socket.remoteAddress ?? '';
    if (!this.admit(ip)) {
      this.room.drop('denied');
      return refuse(socket, 403, 'forbidden');
    }
    if ((req.url ?? '/').split('?')[0] !== '/') return refuse(socket, 404, 'not found');
    if (!originAllowed(req.headers.origin, req.headers.host, this.origins)) {
      return refuse(socket, 403, 'origin not allowed (udp-chat serve --origin allows more)');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ip, socket.remotePort ?? 0));
  }

  private accept(ws: WebSocket, ip: string, port: number): void {
    const link = new WsLink(this, ws, ip, port);
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (link.peer && this.links.has(link)) this.room.leave(link.peer, 'disconnected');
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already closed with 1009: tell the room, which tells the others why it went.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && link.peer && this.links.has(link)) {
        // Counted as a message in and a drop, as the TCP framer's refusals are, so the room's
        // counters add up (ws does not say how long the frame was: past the limit is all we know).
        this.room.tooLong(link.peer, this.room.limits.maxMessageBytes + 1);
        this.room.leave(link.peer, 'dropped', 'message too long');
        return;
      }
      this.socketErrors += 1;
      this.onError(err);
    });
    const peer = this.room.join(link);
    if (!peer) {
      // The room told it why (room full, too many from its address) before this.
      ws.close(1008, 'turned away');
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      return;
    }
    link.peer = peer;
    this.links.add(link);
    ws.on('message', (data: RawData) => {
      if (this.links.has(link)) this.room.receive(peer, toBytes(data));
      else this.room.drop('afterLeave');
    });
    ws.on('pong', () => {
      link.lastPong = performance.now();
    });
  }

  private checkAlive(): void {
    const now = performance.now();
    for (const link of this.links) {
      if (now - link.lastPong > this.room.peerTimeoutMs && link.peer) {
        link.cut = true;
        this.room.leave(link.peer, 'timeout');
      } else link.ping();
    }
  }

  /** Drops a peer whose send queue passed the cap. */
  dropSlow(link: WsLink): void {
    if (!link.peer || !this.links.has(link)) return;
    this.room.dropSlowReader(link.peer);
  }

  /** Called by a link when the room removes its peer. */
  forget(link: WsLink): void {
    this.links.delete(link);
  }

  /**
   * Stops listening and closes every connection. The room has already said goodbye and closed
   * each WebSocket; a client that has not finished the close handshake within half a second is cut off.
   */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await closeWithGrace(this.server, () => {
      for (const ws of this.sockets) ws.terminate();
      this.server.closeAllConnections();
    });
  }
}

/** A message's bytes: ws hands over a Buffer unless told otherwise (binaryType), but the type allows more. */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
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
