/**
 * What TCP and WebSocket links share: a send queue with a cap (a peer that stops reading is
 * dropped rather than let it stall the room or grow the server's memory), a close that lets
 * the goodbye go out before the connection ends, cutting a peer that never finishes, and
 * backpressure on the way in: a peer whose message budget is empty is not read until it refills.
 */
import type { Channel } from '../core/channel.js';
import type { LeaveReason, Peer, PeerLink } from '../core/peer.js';
import type { TimelineSink } from '../core/timeline.js';
import type { MessageBudget, TransportContext } from '../core/transport.js';

// After the goodbye is written, a peer that keeps its end open gets this long before a hard close.
export const CLOSE_GRACE_MS = 1000;

/** One stream connection's link; a subclass says how to write, end and cut its socket. */
export abstract class StreamLink implements PeerLink {
  /** The room's peer, once joined. */
  peer: Peer | undefined;
  /** A TCP handshake (and a WebSocket's) proves the peer receives at its address. */
  readonly proven = true;
  /** Set when the link is being cut rather than closed politely: dropped as slow, or not answering. */
  private cutting = false;
  /** Set while the connection is not read because the peer's message budget is empty. */
  private paused = false;
  /** Reads on when the budget has refilled. */
  private refill: NodeJS.Timeout | undefined;
  /** When reading last stopped (the room's clock): held back without a break since then. */
  private pausedAt = 0;

  constructor(
    readonly channel: Channel,
    readonly ip: string,
    readonly address: string,
    private readonly home: StreamLinks,
  ) {}

  /** Bytes waiting to be written to the peer. */
  protected abstract queued(): number;
  /** True while bytes can still be written. */
  protected abstract writable(): boolean;
  /** Queues bytes for the peer. */
  protected abstract write(bytes: Uint8Array): void;
  /** Closes politely, after what is queued (a FIN, a close frame). */
  protected abstract end(reason: LeaveReason): void;
  /** Closes at once. */
  protected abstract destroy(): void;
  /** True once the connection is fully closed. */
  protected abstract gone(): boolean;
  /** Stops reading the connection (socket.pause(), ws.pause()); what was read already may still come. */
  protected abstract pauseReading(): void;
  /** Reads the connection again. */
  protected abstract resumeReading(): void;
  /**
   * Hands the messages held back to the room, no more than `most` of them; returns true when
   * none is left held.
   */
  protected abstract release(most: number): boolean;
  /** The peer has left: counts what is still held as `afterLeave` and lets it go. */
  protected abstract discardHeld(): void;

  /** The timeline when a page listens and this link's peer is in the room: where its reads are reported. */
  protected listened(): TimelineSink | undefined {
    const timeline = this.home.timeline;
    return timeline.active && this.peer !== undefined && this.home.has(this) ? timeline : undefined;
  }

  /** True when the link is being cut. */
  get cut(): boolean {
    return this.cutting;
  }

  /** Marks the link to be cut when the room closes it: it does not read or does not answer. */
  cutOff(): void {
    this.cutting = true;
  }

  send(bytes: Uint8Array): void {
    if (this.cutting || !this.writable()) return;
    // Checked before queueing: past the cap the peer is dropped, and nothing more is buffered for it.
    if (this.queued() + bytes.length > this.home.maxQueueBytes) {
      this.cutOff();
      // Not from inside the room's broadcast loop: leave() would broadcast in the middle of it.
      setImmediate(() => this.home.dropSlow(this));
      return;
    }
    this.write(bytes);
  }

  /**
   * Hands what is held to the room as fast as the peer's message budget allows. While some is
   * held and the budget is empty the connection is not read (its bytes wait in the kernel, and
   * the sender's TCP window closes), and a timer reads on when the room says the budget holds a
   * message again. The transport calls this after it has held what it read; it resumes reading
   * only once nothing is held.
   */
  protected pace(): void {
    if (this.refill) return;
    // Each turn hands at least one message on or returns: release() takes one whenever it may.
    while (this.home.has(this)) {
      const budget = this.home.budget(this);
      if (budget.messages > 0) {
        if (!this.release(budget.messages)) continue;
        if (this.paused && this.home.has(this)) {
          this.paused = false;
          this.resumeReading();
        }
        return;
      }
      if (!this.paused) {
        this.paused = true;
        this.pausedAt = this.home.now();
        this.pauseReading();
      } else if (this.home.now() - this.pausedAt >= this.home.floodLimitMs) {
        // Held back for a whole peer timeout: a flood, not a paste. Without this, one that wrote
        // megabytes and vanished would go on speaking at the rate for hours from its backlog.
        return this.home.dropFlooder(this);
      }
      // On the room's clock, as the rate limit itself; at least a millisecond, so a budget a
      // rounding error short of a message waits rather than spins.
      const wait = Math.max(1, Math.ceil(budget.readyAt - this.home.now()));
      this.refill = setTimeout(() => {
        this.refill = undefined;
        this.pace();
      }, wait);
      return;
    }
    // The peer has left (a /quit among what was read): the rest is counted, not handed on.
    this.discardHeld();
  }

  /** pace() now, without waiting for a refill already scheduled (a budget may have come back early). */
  protected paceNow(): void {
    clearTimeout(this.refill);
    this.refill = undefined;
    this.pace();
  }

  close(reason: LeaveReason): void {
    this.home.forget(this);
    clearTimeout(this.refill);
    this.refill = undefined;
    // A peer that leaves with messages held (quit, dropped, shut down): they were read after all.
    this.discardHeld();
    if (reason === 'disconnected' || this.gone()) return;
    // It does not read or does not answer: a polite close would never finish.
    if (this.cutting) return this.destroy();
    this.end(reason);
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/** A stream transport's joined links, and the slow-reader drop. */
export class StreamLinks {
  private readonly links = new Set<StreamLink>();
  /** Most bytes queued for one peer (0 in the limits: no cap). */
  readonly maxQueueBytes: number;
  /** The page's live timeline (see TransportContext.timeline). */
  readonly timeline: TimelineSink;

  constructor(private readonly ctx: TransportContext) {
    this.maxQueueBytes = ctx.limits.maxQueueBytes > 0 ? ctx.limits.maxQueueBytes : Infinity;
    this.timeline = ctx.timeline;
  }

  /** How many links are in the room. */
  get size(): number {
    return this.links.size;
  }

  /** Every link in the room. */
  values(): IterableIterator<StreamLink> {
    return this.links.values();
  }

  /** Joins the link's peer to the room; false (the room has told it why) when turned away. */
  join(link: StreamLink): boolean {
    const peer = this.ctx.room.join(link);
    if (!peer) return false;
    link.peer = peer;
    this.links.add(link);
    return true;
  }

  /** True while the link's peer is in the room. */
  has(link: StreamLink): boolean {
    return this.links.has(link);
  }

  /** The link's peer's message budget (no limit for a link not in the room: what it sends is counted after-leave). */
  budget(link: StreamLink): MessageBudget {
    return link.peer && this.links.has(link) ? this.ctx.room.budget(link.peer) : { messages: Infinity, readyAt: this.ctx.clock() };
  }

  /** The room's clock. */
  now(): number {
    return this.ctx.clock();
  }

  /** Hands one message to the room, or counts it when the peer has already left (the rest of a chunk). */
  receive(link: StreamLink, bytes: Uint8Array): void {
    if (link.peer && this.links.has(link)) this.ctx.room.receive(link.peer, bytes);
    else this.ctx.drop('afterLeave', 1, link.peer);
  }

  /** Hands the room a message it is to refuse (see RoomDoor.refuse), or counts it when the peer has already left. */
  refuse(link: StreamLink, size: number, code: string, message: string): void {
    if (link.peer && this.links.has(link)) this.ctx.room.refuse(link.peer, size, code, message);
    else this.ctx.drop('afterLeave', 1, link.peer);
  }

  /** The connection closed under the peer: the room tells the others. */
  disconnected(link: StreamLink): void {
    if (link.peer && this.links.has(link)) this.ctx.room.leave(link.peer, 'disconnected');
  }

  /** How long a peer may be held back without a break (its budget empty) before it is dropped: the peer timeout. */
  get floodLimitMs(): number {
    return this.ctx.peerTimeoutMs;
  }

  /** Drops a peer held back for floodLimitMs: `left (dropped: flooding)`, counted as drops.flooding. */
  dropFlooder(link: StreamLink): void {
    if (!link.peer || !this.links.has(link)) return;
    this.ctx.drop('flooding', 1, link.peer);
    this.ctx.room.leave(link.peer, 'dropped', 'flooding');
  }

  /** Drops a peer whose send queue passed the cap. */
  dropSlow(link: StreamLink): void {
    if (link.peer && this.links.has(link)) this.ctx.room.dropSlowReader(link.peer);
  }

  /** Called by a link when the room removes its peer. */
  forget(link: StreamLink): void {
    this.links.delete(link);
  }
}
