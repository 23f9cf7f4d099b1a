/** A subscriber of the page's live timeline (`/timeline`), for tests: every frame parsed, every wait with a deadline. */
import { WebSocket, type RawData } from 'ws';
import type { TimelineAggregate, TimelineEvent } from '../../src/core/timeline.js';
import { opened } from './ws-peer.js';

export interface Hello {
  type: 'hello';
  now: number;
  peerTimeoutMs: number;
  maxEventsPerSecond: number;
  peers: { name: string; transport: string }[];
}

export interface Batch {
  type: 'batch';
  now: number;
  events: TimelineEvent[];
  aggregate: TimelineAggregate | null;
  skipped: number;
  peers?: { name: string; transport: string }[];
}

/** A connected `/timeline` WebSocket that keeps every frame. */
export class TimelineClient {
  readonly frames: (Hello | Batch)[] = [];
  /** Every frame as it came, to look for what must never be there. */
  readonly raw: string[] = [];
  closeCode: number | undefined;
  private waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      const text = String(data);
      this.raw.push(text);
      this.frames.push(JSON.parse(text) as Hello | Batch);
      this.wake();
    });
    socket.on('close', (code: number) => {
      this.closeCode = code;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Opens ws://HOST:PORT/timeline (with `query`) and waits for the hello; rejects with UpgradeRefused. */
  static async open(port: number, options: { host?: string; query?: string; origin?: string; ms?: number } = {}): Promise<TimelineClient> {
    const socket = new WebSocket(`ws://${options.host ?? '127.0.0.1'}:${port}/timeline${options.query ?? ''}`, {
      handshakeTimeout: options.ms ?? 2000,
      ...(options.origin ? { origin: options.origin } : {}),
    });
    const client = new TimelineClient(socket);
    await opened(socket);
    try {
      await client.until(() => client.frames.length > 0, 2000, 'the hello');
    } catch (err) {
      socket.terminate();
      throw err;
    }
    return client;
  }

  get hello(): Hello {
    return this.frames[0] as Hello;
  }

  get batches(): Batch[] {
    return this.frames.filter((f): f is Batch => f.type === 'batch');
  }

  /** Every event of every batch so far, in order. */
  get events(): TimelineEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Waits until `check` holds (checked at each frame); fails after `ms`. */
  until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check() && this.closeCode === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (check()) resolve();
        else reject(new Error(`${what}: the timeline closed (${this.closeCode})`));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what}: not within ${ms} ms`));
      }, ms);
      this.waiters.add(waiter);
    });
  }

  /** Waits for an event that matches and returns it. */
  async event<E extends TimelineEvent>(match: (e: TimelineEvent) => e is E, ms?: number, what?: string): Promise<E>;
  async event(match: (e: TimelineEvent) => boolean, ms?: number, what?: string): Promise<TimelineEvent>;
  async event(match: (e: TimelineEvent) => boolean, ms = 2000, what = 'an event'): Promise<TimelineEvent> {
    await this.until(() => this.events.some(match), ms, what);
    return this.events.find(match)!;
  }

  close(): void {
    this.socket.terminate();
  }
}
