/**
 * The room's timeline: what the transports read and what the room did with it, as events for
 * the page's live Timeline view (`GET /timeline`, docs/DESIGN.md). Pure: the room's clock is
 * passed in and the feed's timer calls take() every batch. Bounded: at most a batch's share of
 * TIMELINE_LIMITS.maxEventsPerSecond events are kept one by one between two takes; past that they
 * are only counted into the batch's aggregate. Off (`active` false, no page subscribed) every
 * method returns at its first line, and the hot paths check `active` before building anything.
 */
import type { DropReason } from './counters.js';
import type { RoomEvent } from './events.js';
import { TIMELINE_LIMITS } from './limits.js';
import type { LeaveReason, Peer } from './peer.js';

/** One event of the feed (docs/DESIGN.md, "The live timeline"). Names are the room's at that moment. */
export type TimelineEvent =
  | { e: 'join'; t: number; peer: string; transport: string }
  | { e: 'leave'; t: number; peer: string; reason: LeaveReason }
  | { e: 'rename'; t: number; peer: string; to: string }
  | { e: 'read'; t: number; peer: string; transport: string; bytes: number; messages: number }
  | { e: 'message'; t: number; peer: string; transport: string; bytes: number; text?: string; to?: string; receivers: number }
  | { e: 'command'; t: number; peer: string; transport: string; command: string }
  | { e: 'drop'; t: number; peer: string | null; transport: string | null; reason: DropReason; count?: number };

/** What a window's events past the budget come to: counted, not listed. */
export interface TimelineAggregate {
  /** The room's clock at the first event counted, and when the batch was taken: every counted event lies between. */
  from: number;
  to: number;
  /** Chat messages (public and private) by transport. */
  messages: Record<string, number>;
  /** Transport reads by transport, and their bytes (the bytes are the reads', off the wire). */
  reads: Record<string, number>;
  bytes: Record<string, number>;
  /** Drops by reason (a drop of several counts them all). */
  drops: Partial<Record<DropReason, number>>;
  /** Events of the other kinds, by kind: joins, leaves, renames, commands. */
  joins: number;
  leaves: number;
  renames: number;
  commands: number;
  /** Every event counted here, of every kind. */
  events: number;
}

/** What one take() hands the feed: the events kept, the rest counted, and whether the lanes changed unseen. */
export interface TimelineBatch {
  now: number;
  events: TimelineEvent[];
  aggregate: TimelineAggregate | null;
  /** A join, leave or rename was only counted: the page cannot follow its lanes from the events alone. */
  lanesChanged: boolean;
}

/** What a transport is given of the timeline: whether anyone listens, and where its reads go. */
export interface TimelineSink {
  /** True while a page listens; a transport checks it before counting anything for the feed. */
  readonly active: boolean;
  /**
   * One read the transport made from a peer: a UDP datagram (messages 1), a TCP chunk with the
   * number of messages the framer cuts from it (0 for a partial line), a WebSocket frame.
   */
  read(peer: Peer, bytes: number, messages: number): void;
}

/** The feed's text of a chat message, cut to TIMELINE_LIMITS.maxTextChars (a label on an arrow, not the chat). */
export function feedText(text: string): string {
  const most = TIMELINE_LIMITS.maxTextChars;
  return text.length <= most ? text : `${text.slice(0, most - 1)}…`;
}

/** A time on the feed: the room's clock to a tenth of a millisecond, enough to order a chunk's reads and messages. */
export function feedTime(now: number): number {
  return Math.round(now * 10) / 10;
}

function add(record: Record<string, number>, key: string, n: number): void {
  record[key] = (record[key] ?? 0) + n;
}

/** The room's timeline recorder (see the module comment). */
export class Timeline implements TimelineSink {
  private on = false;
  private events: TimelineEvent[] = [];
  private aggregate: TimelineAggregate | null = null;
  private lanesChanged = false;
  /** Events kept one by one per batch: maxEventsPerSecond over the batches in a second. */
  readonly perBatch: number;

  constructor(
    private readonly clock: () => number,
    maxEventsPerSecond: number = TIMELINE_LIMITS.maxEventsPerSecond,
    batchMs: number = TIMELINE_LIMITS.batchMs,
  ) {
    this.perBatch = Math.max(1, Math.floor((maxEventsPerSecond * batchMs) / 1000));
  }

  /** True while a page listens. */
  get active(): boolean {
    return this.on;
  }

  /** Turns recording on (a first subscriber) or off (the last one gone: what was held is let go). */
  set active(on: boolean) {
    this.on = on;
    if (!on) this.clear();
  }

  read(peer: Peer, bytes: number, messages: number): void {
    if (!this.on) return;
    const transport = peer.link.channel.name;
    if (this.events.length < this.perBatch) {
      this.events.push({ e: 'read', t: feedTime(this.clock()), peer: peer.name, transport, bytes, messages });
      return;
    }
    const a = this.counted();
    add(a.reads, transport, 1);
    add(a.bytes, transport, bytes);
  }

  /** A chat line relayed to `receivers` peers. */
  message(peer: Peer, bytes: number, text: string, receivers: number): void {
    if (this.on) this.relayed(peer, bytes, receivers, text, undefined);
  }

  /** A private message to `to`: never its text, which is the two peers' alone. */
  privateMessage(peer: Peer, bytes: number, to: string): void {
    if (this.on) this.relayed(peer, bytes, 1, undefined, to);
  }

  /** A command the room answered (`who`, `nick`, `help`, `ping`, ...), by its name alone: never its arguments. */
  command(peer: Peer, command: string): void {
    if (!this.on) return;
    if (this.events.length < this.perBatch) {
      this.events.push({ e: 'command', t: feedTime(this.clock()), peer: peer.name, transport: peer.link.channel.name, command });
      return;
    }
    this.counted().commands += 1;
  }

  /** `count` drops of one reason, from `peer` (its name now) on `transport` where known. */
  drop(reason: DropReason, count = 1, peer?: Peer, transport?: string): void {
    if (!this.on) return;
    if (this.events.length < this.perBatch) {
      const event: TimelineEvent = { e: 'drop', t: feedTime(this.clock()), peer: peer?.name ?? null, transport: peer?.link.channel.name ?? transport ?? null, reason };
      if (count !== 1) event.count = count;
      this.events.push(event);
      return;
    }
    const drops = this.counted().drops;
    drops[reason] = (drops[reason] ?? 0) + count;
  }

  /** The room's join, leave and rename events (the others it records where it knows more). */
  roomEvent(event: RoomEvent): void {
    if (!this.on) return;
    const room = event.type === 'join' || event.type === 'leave' || event.type === 'rename';
    if (!room) return;
    if (this.events.length < this.perBatch) {
      const now = this.clock();
      if (event.type === 'join') this.events.push({ e: 'join', t: feedTime(now), peer: event.peer.name, transport: event.peer.transport });
      else if (event.type === 'leave') this.events.push({ e: 'leave', t: feedTime(now), peer: event.peer.name, reason: event.reason });
      else this.events.push({ e: 'rename', t: feedTime(now), peer: event.from, to: event.peer.name });
      return;
    }
    const a = this.counted();
    if (event.type === 'join') a.joins += 1;
    else if (event.type === 'leave') a.leaves += 1;
    else a.renames += 1;
    this.lanesChanged = true;
  }

  /** The batch since the last take, or null when nothing happened (the feed then sends nothing). */
  take(): TimelineBatch | null {
    if (!this.on || (this.events.length === 0 && this.aggregate === null)) return null;
    const now = feedTime(this.clock());
    // The counted events fall between the first one's time and now: reading the clock for each
    // of them is what a flood would pay for, with nothing to show for it.
    if (this.aggregate) this.aggregate.to = now;
    const batch: TimelineBatch = { now, events: this.events, aggregate: this.aggregate, lanesChanged: this.lanesChanged };
    this.clear();
    return batch;
  }

  /** A message event (with its text, or to one peer without it), or one more message counted. */
  private relayed(peer: Peer, bytes: number, receivers: number, text: string | undefined, to: string | undefined): void {
    const transport = peer.link.channel.name;
    if (this.events.length >= this.perBatch) return add(this.counted().messages, transport, 1);
    const event: TimelineEvent = { e: 'message', t: feedTime(this.clock()), peer: peer.name, transport, bytes, receivers };
    if (text !== undefined) event.text = feedText(text);
    if (to !== undefined) event.to = to;
    this.events.push(event);
  }

  private clear(): void {
    this.events = [];
    this.aggregate = null;
    this.lanesChanged = false;
  }

  /** The batch's aggregate, one event more counted in it; the clock is read for its first event only. */
  private counted(): TimelineAggregate {
    let a = this.aggregate;
    if (!a) {
      const t = feedTime(this.clock());
      a = { from: t, to: t, messages: {}, reads: {}, bytes: {}, drops: {}, joins: 0, leaves: 0, renames: 0, commands: 0, events: 0 };
      this.aggregate = a;
    }
    a.events += 1;
    return a;
  }
}
