/**
 * The page's live timeline, `GET /timeline` (a WebSocket, read-only): a hello, then every
 * batchMs a batch of what the room's timeline recorded, while anything happened. Its subscribers
 * are bounded (maxSubscribers, teacherPlaces of them kept for the teacher's pages), and so is
 * what each may cost: a page whose socket has more than maxBufferedBytes queued misses batches
 * (counted, told in `skipped`) instead of growing the server's memory. Access (who may open it) is page.ts's; this module only serves the feed.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { TIMELINE_LIMITS } from '../../core/limits.js';
import { feedTime, type TimelineBatch } from '../../core/timeline.js';

/** One lane of the page's timeline. */
export interface TimelinePeer {
  name: string;
  transport: string;
}

/** What the feed serves from: the room's recorder and what a hello says. */
export interface TimelineSource {
  /** The room's recorder: on while anyone subscribes; take() every batch. */
  timeline: { active: boolean; take(): TimelineBatch | null };
  /** The room's clock (ms), which every `t` and `now` is on. */
  clock(): number;
  peerTimeoutMs: number;
  /** The admitted peers now, in joining order: the hello's lanes, and a batch's when lanes changed unseen. */
  peers(): TimelinePeer[];
}

// A page skipped this many batches in a row (about a minute) is not reading at all: it is closed,
// so a dead tab cannot hold one of the few places for ever.
const MOST_SKIPPED_IN_A_ROW = 600;

// A page is pinged every this many batch ticks (30 s); one that has not answered the last ping by
// the next is gone without a close (a laptop shut) and is cut, freeing its place.
const PING_EVERY_TICKS = 300;

interface Subscriber {
  ws: WebSocket;
  /** Batches this page missed since it subscribed (told in each batch it gets). */
  skipped: number;
  /** Batches missed since the last one it got. */
  inARow: number;
  /** Bytes the page sent (it should send none). */
  sent: number;
  /** It answered the last ping (a browser does, on its own). */
  alive: boolean;
  /** The teacher's page (a loopback address or the teacher key): it may take a kept place. */
  teacher: boolean;
}

/** The `/timeline` WebSocket's subscribers and its batch timer. */
export class TimelineFeed {
  private readonly wss: WebSocketServer;
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ticks = 0;
  /** Batches a page missed, in all. */
  skipped = 0;

  constructor(
    private readonly source: TimelineSource,
    private readonly onError: (err: Error) => void,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      // The page sends nothing: a frame larger than this is refused by ws itself (1009).
      maxPayload: TIMELINE_LIMITS.maxInboundBytes,
    });
  }

  /** Pages subscribed now. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Bytes queued for the pages, in all (what the skipping keeps bounded: about maxBufferedBytes and a batch each). */
  queued(): number {
    let n = 0;
    for (const sub of this.subscribers) n += sub.ws.bufferedAmount;
    return n;
  }

  /**
   * True when no other page may subscribe now; `teacher`: the page is the teacher's, which may
   * take the teacherPlaces the others may not (they are kept so a class cannot fill them all).
   */
  fullFor(teacher: boolean): boolean {
    if (this.closed || this.subscribers.size >= TIMELINE_LIMITS.maxSubscribers) return true;
    if (teacher) return false;
    // Counted when asked (a few pages at most), not kept beside the set.
    let others = 0;
    for (const sub of this.subscribers) if (!sub.teacher) others += 1;
    return others >= TIMELINE_LIMITS.maxSubscribers - TIMELINE_LIMITS.teacherPlaces;
  }

  /** Takes an upgrade page.ts let through (its address, Host, Origin and access checked); `teacher` as for fullFor. */
  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer, teacher = false): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, teacher));
  }

  private accept(ws: WebSocket, teacher: boolean): void {
    // Checked again: two upgrades may both have passed page.ts's check before either was taken.
    if (this.fullFor(teacher)) return void ws.close(1013, 'too many timeline pages open');
    const sub: Subscriber = { ws, skipped: 0, inARow: 0, sent: 0, alive: true, teacher };
    this.subscribers.add(sub);
    ws.on('error', (err) => this.onError(err));
    ws.on('close', () => this.remove(sub));
    ws.on('message', (data: RawData) => this.inbound(sub, data));
    ws.on('pong', () => (sub.alive = true));
    const source = this.source;
    // Recording starts with the first page: until then the room's hot path checked one boolean.
    source.timeline.active = true;
    ws.send(JSON.stringify({ type: 'hello', now: feedTime(source.clock()), peerTimeoutMs: source.peerTimeoutMs, maxEventsPerSecond: TIMELINE_LIMITS.maxEventsPerSecond, peers: source.peers() }));
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TIMELINE_LIMITS.batchMs);
      // The feed must not keep a process alive that is otherwise done.
      this.timer.unref();
    }
  }

  /** The feed is read-only: what a page sends is ignored, and a page that sends much is closed. */
  private inbound(sub: Subscriber, data: RawData): void {
    sub.sent += Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    if (sub.sent > TIMELINE_LIMITS.maxInboundBytes) sub.ws.close(1008, 'the timeline is read-only');
  }

  private remove(sub: Subscriber): void {
    if (!this.subscribers.delete(sub)) return;
    if (this.subscribers.size > 0) return;
    // The last page has gone: the room stops recording and the timer stops.
    this.source.timeline.active = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One batch to every page that reads: serialised once, its `skipped` added per page. */
  tick(): void {
    if (++this.ticks % PING_EVERY_TICKS === 0) this.checkAlive();
    const batch = this.source.timeline.take();
    if (!batch) return;
    let body = `{"type":"batch","now":${batch.now},"events":${JSON.stringify(batch.events)},"aggregate":${JSON.stringify(batch.aggregate)}`;
    // Joins, leaves or renames only counted: the page's lanes as they are now.
    if (batch.lanesChanged) body += `,"peers":${JSON.stringify(this.source.peers())}`;
    for (const sub of this.subscribers) {
      const ws = sub.ws;
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > TIMELINE_LIMITS.maxBufferedBytes) {
        sub.skipped += 1;
        sub.inARow += 1;
        this.skipped += 1;
        if (sub.inARow >= MOST_SKIPPED_IN_A_ROW) ws.terminate();
        continue;
      }
      sub.inARow = 0;
      ws.send(`${body},"skipped":${sub.skipped}}`);
    }
  }

  /** Pages that have not answered the last ping yet. */
  get unanswered(): number {
    let n = 0;
    for (const sub of this.subscribers) if (!sub.alive) n += 1;
    return n;
  }

  /** Cuts the pages that did not answer the last ping, and pings the others. */
  checkAlive(): void {
    for (const sub of this.subscribers) {
      if (!sub.alive) {
        sub.ws.terminate();
        continue;
      }
      sub.alive = false;
      if (sub.ws.readyState === WebSocket.OPEN) sub.ws.ping();
    }
  }

  /** Closes every subscriber and stops the timer. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const sub of this.subscribers) sub.ws.terminate();
    this.subscribers.clear();
    this.source.timeline.active = false;
  }
}
