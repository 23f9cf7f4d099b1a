/**
 * An interactive chat over a Connection: joins, keeps itself in the room with heartbeats at a
 * third of the peer timeout the server's welcome states, and notices when the server stops answering.
 */
import { EventEmitter } from 'node:events';
import { parseDuration } from '../core/duration.js';
import { ChatError } from '../core/errors.js';
import { DEFAULT_PEER_TIMEOUT_MS } from '../core/limits.js';
import { parseServerLine, readRefusal, welcomeTimeout, type ServerLine } from '../core/lines.js';
import type { Connection } from './connection.js';
import { parseSeq, SeqStats, wallClockMs } from './seq-stats.js';

const HEARTBEAT_TOKEN = 'hb-';

/**
 * Until the server answers anything but a challenge, a UDP client sends its join again after
 * 250 ms, doubling to 2 s, each wait jittered to 50-150 %. A validating room answers 5 challenges
 * a second per address (serve --challenge-rate): a class behind one NAT address arriving at once
 * is answered a few at a time, and the rest, unanswered, would wait for the 20 s heartbeat. The
 * jitter spreads the retries of clients that started together; at most one every 2 s per client
 * is what an unanswered heartbeat to a dead server costs anyway.
 */
export const JOIN_RETRY_FIRST_MS = 250;
export const JOIN_RETRY_MAX_MS = 2000;

// The names whose numbered lines a receiver has seen, whose dropped messages it counts as refused; bounded.
const MAX_SEQ_SENDERS = 64;

export interface SessionOptions {
  name?: string;
  /** Heartbeat interval before the welcome says otherwise; a third of the default timeout. */
  heartbeatMs?: number;
  /** Count the chat lines that carry a seq token (`udp-chat send --seq`) in `stats`. */
  stats?: boolean;
  /** The room's password, given with `/join` when the server asks for it. */
  password?: string;
  /** A ticket (`udp-chat ticket NAME`): sent with `/join` as the first message; it carries the name. */
  ticket?: string;
  /** 0..1, for the join retries' jitter (tests); Math.random by default. */
  random?: () => number;
}

// What a validating UDP server and a password room say to a newcomer (see transports/udp.ts, core/room.ts).
const CHALLENGE = /^\* to join, send: \/join (\S+)$/;
const PASSWORD_ASKED = /^\* this room needs a password/;

/**
 * Events: `line` (ServerLine, heartbeat pongs left out), `unresponsive` (ms since the server last
 * answered), `responsive` (it answers again), `error` (ChatError), `closed`.
 */
export class ChatSession extends EventEmitter<{
  line: [ServerLine];
  unresponsive: [number];
  responsive: [];
  error: [ChatError];
  closed: [];
  /** The join was sent again (the count so far, the wait before the next): the server has not answered yet. */
  retry: [number, number];
}> {
  /** How many times the join was sent again before the server answered (see JOIN_RETRY_FIRST_MS). */
  joinRetries = 0;
  /** The heartbeat interval in use: a third of the timeout the server stated. */
  heartbeatMs: number;
  /** With the `stats` option: every numbered chat line received, counted as iperf3 counts datagrams. */
  readonly stats: SeqStats | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  // Cleared by the first line that is not a challenge: the server has us (or said why not).
  private answered = false;
  private lastHeard = performance.now();
  private beats = 0;
  private silent = false;
  private closed = false;

  constructor(
    readonly connection: Connection,
    private readonly options: SessionOptions = {},
  ) {
    super();
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_PEER_TIMEOUT_MS / 3;
    this.stats = options.stats ? new SeqStats() : undefined;
    connection.on('line', (line) => this.heard(line));
    // A server that is gone answers every heartbeat with an ICMP error: say so once, not each time.
    connection.on('error', (err) => {
      if (err.code === 'ERR_CONNECTION_REFUSED') {
        if (this.refused) return;
        this.refused = true;
      }
      this.emit('error', err);
    });
    // A stream tells the client when the server goes; a datagram socket never does.
    connection.on('end', () => {
      this.emit('error', new ChatError('ERR_SOCKET', `the server closed the connection`));
      void this.close(false);
    });
  }

  /** Joins the room: the first datagram is the name, or a ping. */
  start(): void {
    this.sendJoin();
    this.schedule();
    // A stream delivers the join or fails; a datagram, or the challenge it asks for, can be lost
    // or go unanswered (the challenge rate): send it again until the server answers.
    if (this.connection.transport === 'udp') this.retryJoin(JOIN_RETRY_FIRST_MS);
  }

  private sendJoin(): void {
    // A room with tickets reads the name from it; a validating UDP server answers with a token
    // first, and the ticket goes again with it (see heard).
    if (this.options.ticket) this.connection.send(`/join ${this.options.ticket}`);
    else if (this.options.name) this.connection.send(`/nick ${this.options.name}`);
    else this.beat();
  }

  private retryJoin(ms: number): void {
    const wait = Math.round(ms * (0.5 + (this.options.random ?? Math.random)()));
    this.retryTimer = setTimeout(() => {
      if (this.answered || this.closed) return;
      this.joinRetries += 1;
      this.sendJoin();
      const next = Math.min(ms * 2, JOIN_RETRY_MAX_MS);
      this.emit('retry', this.joinRetries, next);
      this.retryJoin(next);
    }, wait);
  }

  /** Sends what the user typed. `/quit` (or quit, exit) also ends the session. */
  say(text: string): void {
    this.connection.send(text);
    if (/^\s*(\/quit|quit|exit)\s*$/i.test(text)) void this.close(false);
  }

  /** Leaves: tells the server (unless it already was), then closes the socket. */
  async close(sendQuit = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    if (sendQuit) this.connection.send('/quit');
    await this.connection.close();
    this.emit('closed');
  }

  private beat(): void {
    this.beats += 1;
    this.connection.send(`/ping ${HEARTBEAT_TOKEN}${this.beats}`);
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const quiet = performance.now() - this.lastHeard;
      // Two heartbeats without any answer: the server is gone or the path is down. UDP gives no
      // other sign; tell the user once, and again when it answers.
      if (!this.silent && quiet > this.heartbeatMs * 2) {
        this.silent = true;
        this.emit('unresponsive', Math.round(quiet));
      }
      this.beat();
    }, this.heartbeatMs);
  }

  private refused = false;
  private readonly seqSenders = new Set<string>();
  // The password is offered once: a wrong one must not be retried until the server drops us.
  private passwordSent = false;

  private heard(raw: string): void {
    const at = wallClockMs();
    this.lastHeard = performance.now();
    this.refused = false;
    if (this.silent) {
      this.silent = false;
      this.emit('responsive');
    }
    const line = parseServerLine(raw);
    // A validating server asks a new address to echo a token; a password room asks for the
    // password. The client answers both by itself, then asks for its name again.
    const challenge = CHALLENGE.exec(raw);
    if (!challenge && !this.answered) {
      this.answered = true;
      clearTimeout(this.retryTimer);
    }
    if (line.kind === 'pong' && line.token.startsWith(HEARTBEAT_TOKEN)) return;
    if (challenge) {
      const credential = this.options.ticket ?? this.options.password;
      if (this.options.password) this.passwordSent = true;
      this.connection.send(`/join ${challenge[1]}${credential ? ` ${credential}` : ''}`);
      if (this.options.name && !this.options.ticket) this.connection.send(`/nick ${this.options.name}`);
      return;
    }
    // With a ticket the password is not needed: the ticket went first and admits by itself.
    if (PASSWORD_ASKED.test(raw) && this.options.password !== undefined && !this.passwordSent && !this.options.ticket) {
      this.passwordSent = true;
      this.connection.send(`/join ${this.options.password}`);
      if (this.options.name) this.connection.send(`/nick ${this.options.name}`);
    }
    const stated = welcomeTimeout(raw);
    if (stated) {
      const every = Math.max(50, Math.floor(parseDuration(stated) / 3));
      if (every !== this.heartbeatMs) {
        this.heartbeatMs = every;
        this.schedule();
      }
    }
    // Chat lines, and raw lines as an echo server sends them back; never the server's own notices.
    if (this.stats && (line.kind === 'chat' || line.kind === 'other')) {
      const numbered = parseSeq(line.text);
      if (numbered) {
        this.stats.add(numbered, at);
        if (line.kind === 'chat' && this.seqSenders.size < MAX_SEQ_SENDERS) this.seqSenders.add(line.from);
      }
    }
    // The room says when it dropped a sender's messages: those of a numbered run are refused, not lost.
    if (this.stats && line.kind === 'notice') {
      const refusal = readRefusal(raw);
      if (refusal?.kind === 'peer' && this.seqSenders.has(refusal.name)) this.stats.refuse(refusal.count);
    }
    this.emit('line', line);
  }
}
