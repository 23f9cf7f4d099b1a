/**
 * The room over WebSocket, beside UDP and TCP, on the page's HTTP port (page.ts). Message-oriented
 * like UDP, reliable and ordered like TCP, with the framing done by the protocol: one text frame
 * is one message, and the server's lines go out one per frame.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Channel } from '../../core/channel.js';
import type { LeaveReason } from '../../core/peer.js';
import type { BoundAddress, Transport, TransportContext, TransportStats } from '../../core/transport.js';
import { formatAddress } from '../address.js';
import { closeWithGrace } from '../closing.js';
import { StreamLink, StreamLinks } from '../stream-link.js';
import { JSON_PROTOCOL, jsonChannel, readEvent } from './json-events.js';
import { parseOrigins } from './origin.js';
import type { DemoRunner } from './demos-endpoint.js';
import { startPageServer, type WebStats } from './page.js';
import { TimelineFeed, type TimelineSource } from './timeline-feed.js';

/** Where to listen, who may open the WebSocket, and what `/stats` answers. */
export interface WsListenOptions {
  host: string;
  port: number;
  /** Origins allowed besides the page's own (see parseOrigins); `*` allows any. */
  origins?: readonly string[];
  /** What GET /stats answers (the chat server builds it from the room). */
  stats(local: boolean): WebStats;
  /** The room's live timeline, served at `/timeline`; `open`: to anyone (no password, no tickets). */
  timeline?: TimelineSource & { open: boolean };
  /** The teacher key: opens a closed room's timeline (`?key=`) and runs demos (x-udp-chat-key). */
  teacherKey?: string;
  /** Demos the page may run on the server. */
  demos?: DemoRunner;
}

// A frame may carry the trailing `\n` or `\r\n` that the message limit does not count (as a UDP
// datagram from `nc -u` does), so the WebSocket limit is 2 bytes over the room's.
const NEWLINE_SLACK = 2;

/**
 * One line is one text frame, without its `\n`: the frame is the message boundary. The payload
 * is a view of the room's line (no copy), made once per broadcast; ws adds each frame's header.
 */
const WS_CHANNEL: Channel = { name: 'ws', encode: (line) => line.subarray(0, line.length - 1) };

/**
 * A json client's frame is an event around its message: room for the envelope, and for a message
 * of the limit every byte of which JSON escapes (`\u0001`, six characters), with a `from` as long.
 * The room still refuses a message over the limit, with an error event; the frame limit only
 * bounds what is buffered, as ws's maxPayload does for the plain form.
 */
export function jsonFrameLimit(maxMessageBytes: number): number {
  return maxMessageBytes * 6 + 1024;
}

/** True when the upgrade request offers the json subprotocol among its Sec-WebSocket-Protocol values. */
function asksForJson(req: http.IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol'];
  return offered !== undefined && offered.split(',').some((p) => p.trim() === JSON_PROTOCOL);
}

/** One WebSocket connection's link. */
class WsLink extends StreamLink {
  /** When the client last answered a ping (or connected), on the room's clock. */
  lastPong: number;
  // Messages that came while the peer's message budget was empty, oldest first. ws parses a
  // whole socket read before a pause takes effect, so some still come after it: up to
  // `holdMost` (one burst) wait for the budget; past that the room drops them as rate-limited.
  private held: Uint8Array[] = [];

  constructor(
    readonly socket: WebSocket,
    ip: string,
    port: number,
    private readonly links: StreamLinks,
    now: number,
    private readonly holdMost: number,
    channel: Channel,
    /** Frames are JSON events (the `json` subprotocol), read into the room's messages. */
    private readonly json: boolean,
  ) {
    super(channel, ip, formatAddress(ip, port), links);
    this.lastPong = now;
  }

  /** A message off the wire: to the room while the peer's budget lasts, else held, and the socket paused. */
  read(bytes: Uint8Array): void {
    // One frame, one message, whichever the subprotocol (a json event is read as one frame).
    const timeline = this.listened();
    if (timeline) timeline.read(this.peer!, bytes.length, 1);
    if (!this.links.has(this)) return this.hand(bytes);
    // A refill may be due already (timers run late): what it frees goes before this message.
    if (this.held.length >= this.holdMost) this.paceNow();
    // Still full: the budget is empty, so the room drops it (rateLimited) and says slow down.
    if (this.held.length >= this.holdMost) return this.hand(bytes);
    this.held.push(bytes);
    this.pace();
  }

  /** One frame to the room: as it is, or, from a json client, the messages its event carries (or its refusal). */
  private hand(bytes: Uint8Array): void {
    if (!this.json) return this.links.receive(this, bytes);
    // The peer's name now, for a `from` that asks for another (only the room renames).
    const event = readEvent(bytes, this.peer?.name ?? '');
    if (event.kind === 'refused') return this.links.refuse(this, bytes.length, event.code, event.message);
    for (const message of event.messages) this.links.receive(this, encoder.encode(message));
  }

  protected release(most: number): boolean {
    const n = Math.min(most, this.held.length);
    const out = this.held.splice(0, n);
    for (const bytes of out) this.hand(bytes);
    return this.held.length === 0;
  }

  protected discardHeld(): void {
    for (const bytes of this.held.splice(0)) this.hand(bytes);
  }

  protected pauseReading(): void {
    this.socket.pause();
  }

  protected resumeReading(): void {
    this.socket.resume();
  }

  // A browser that stops reading lets the queue grow: ws's own queue plus the socket's.
  protected queued(): number {
    return this.socket.bufferedAmount;
  }

  protected writable(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  protected write(bytes: Uint8Array): void {
    // The room's lines are UTF-8 already, so the same bytes go out as text for every receiver.
    this.socket.send(bytes, { binary: false });
  }

  protected end(reason: LeaveReason): void {
    this.socket.close(reason === 'shutdown' ? 1001 : reason === 'dropped' ? 1008 : 1000, reason);
  }

  protected destroy(): void {
    this.socket.terminate();
  }

  protected gone(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  /** Asks for a pong; the client's WebSocket answers on its own, without the page's help. */
  ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }
}

/** WebSocket connections into the room, on the page's HTTP server. */
export class WsTransport implements Transport {
  readonly name = 'ws';
  private socketErrors = 0;
  private readonly links: StreamLinks;
  // Every WebSocket, peers and those turned away or closing alike, so close() can finish them all.
  private readonly sockets = new Set<WebSocket>();
  private readonly wss: WebSocketServer;
  // The json subprotocol's clients: a server of their own for a frame limit of their own.
  private readonly jsonWss: WebSocketServer;
  // One channel for all json clients, so a broadcast is encoded for them once.
  private readonly jsonChannel = jsonChannel();
  private readonly heartbeat: NodeJS.Timeout;
  private server: http.Server | undefined;
  /** The page's live timeline, when the server has one. */
  feed: TimelineFeed | undefined;

  private constructor(private readonly ctx: TransportContext) {
    this.links = new StreamLinks(ctx);
    const common = {
      noServer: true,
      // Compression would let a small frame inflate into a large message, and lines are short.
      perMessageDeflate: false,
      // Bad UTF-8 is the room's to replace with U+FFFD, as on UDP and TCP, not a reason to close.
      skipUTF8Validation: true,
      clientTracking: false,
    };
    this.wss = new WebSocketServer({ ...common, maxPayload: ctx.limits.maxMessageBytes + NEWLINE_SLACK });
    this.jsonWss = new WebSocketServer({
      ...common,
      maxPayload: jsonFrameLimit(ctx.limits.maxMessageBytes),
      handleProtocols: () => JSON_PROTOCOL,
    });
    // Liveness: a ping every third of the peer timeout, and a client that has not answered one
    // for the whole timeout is cut off. Pongs are not chat: the room's idle clock ignores them.
    this.heartbeat = setInterval(() => this.checkAlive(), Math.max(10, ctx.peerTimeoutMs / 3));
  }

  /** Starts the page's server with WebSockets on it; rejects with EADDRINUSE and the like, or ERR_BAD_ARGUMENT for a bad origin. */
  static async listen(ctx: TransportContext, options: WsListenOptions): Promise<WsTransport> {
    const origins = parseOrigins(options.origins);
    const transport = new WsTransport(ctx);
    const feed = options.timeline ? new TimelineFeed(options.timeline, (err) => transport.socketError(err)) : undefined;
    transport.feed = feed;
    try {
      transport.server = await startPageServer({
        host: options.host,
        port: options.port,
        origins,
        admit: ctx.admit,
        stats: options.stats,
        upgrade: (req, socket, head) => transport.upgrade(req, socket, head),
        denied: () => ctx.drop('denied'),
        foreignHost: () => ctx.drop('foreignHost'),
        onError: (err) => transport.socketError(err),
        timeline: feed && { feed, open: options.timeline!.open },
        teacherKey: options.teacherKey,
        demos: options.demos,
      });
    } catch (err) {
      clearInterval(transport.heartbeat);
      feed?.close();
      throw err;
    }
    return transport;
  }

  /** The bound address. */
  address(): BoundAddress {
    return this.server!.address() as BoundAddress;
  }

  /** The HTTP port the page and the WebSocket are on. */
  get port(): number {
    return this.address().port;
  }

  /** How many WebSocket peers are connected. */
  get size(): number {
    return this.links.size;
  }

  /** Peers, and sockets that errored (ECONNRESET, a broken frame). */
  stats(): TransportStats {
    return { peers: this.links.size, socketErrors: this.socketErrors, challenges: 0 };
  }

  private socketError(err: Error): void {
    this.socketErrors += 1;
    this.ctx.onError(err);
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    // A client that offers `json` gets the room as JSON events; any other (the page, a script)
    // is served exactly as before, by the plain server (whose ws default picks an offered protocol).
    const wss = asksForJson(req) ? this.jsonWss : this.wss;
    wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket.remoteAddress ?? '', socket.remotePort ?? 0, wss === this.jsonWss));
  }

  private accept(ws: WebSocket, ip: string, port: number, json: boolean): void {
    const channel = json ? this.jsonChannel : WS_CHANNEL;
    const link = new WsLink(ws, ip, port, this.links, this.ctx.clock(), Math.max(1, this.ctx.limits.messageBurst), channel, json);
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.links.disconnected(link);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already closed with 1009: tell the room, which tells the others why it went.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && link.peer && this.links.has(link)) {
        // Counted as a message in and a drop, as the TCP framer's refusals are, so the room's
        // counters add up (ws does not say how long the frame was: past the limit is all we know).
        // A json frame carries its envelope, so its limit is larger: say which was passed.
        const frameLimit = json ? jsonFrameLimit(this.ctx.limits.maxMessageBytes) : this.ctx.limits.maxMessageBytes + NEWLINE_SLACK;
        this.ctx.room.tooLong(link.peer, frameLimit + 1, `a WebSocket frame over ${frameLimit} bytes: read no further`);
        this.ctx.room.leave(link.peer, 'dropped', 'message too long');
        return;
      }
      this.socketError(err);
    });
    if (!this.links.join(link)) {
      // The room told it why (room full, too many from its address); the link closes with 1008
      // and cuts a client that does not finish the close handshake, as for any dropped peer.
      link.close('dropped');
      return;
    }
    ws.on('message', (data: RawData) => link.read(toBytes(data)));
    ws.on('pong', () => {
      link.lastPong = this.ctx.clock();
    });
  }

  private checkAlive(): void {
    const now = this.ctx.clock();
    for (const link of [...this.links.values()] as WsLink[]) {
      if (now - link.lastPong > this.ctx.peerTimeoutMs && link.peer) {
        link.cutOff();
        this.ctx.room.leave(link.peer, 'timeout');
      } else link.ping();
    }
  }

  /**
   * Stops listening and closes every connection. The room has already said goodbye and closed
   * each WebSocket; a client that has not finished the close handshake within half a second is cut off.
   */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.feed?.close();
    const server = this.server!;
    await closeWithGrace(server, () => {
      for (const ws of this.sockets) ws.terminate();
      server.closeAllConnections();
    });
  }
}

const encoder = new TextEncoder();

/** A message's bytes: ws hands over a Buffer unless told otherwise (binaryType), but the type allows more. */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
