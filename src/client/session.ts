/**
 * An interactive chat over a Connection: joins, keeps itself in the room with heartbeats at a
 * third of the peer timeout the server's welcome states, and notices when the server stops answering.
 */
import { EventEmitter } from 'node:events';
import { parseDuration } from '../core/duration.js';
import { ChatError } from '../core/errors.js';
import { DEFAULT_PEER_TIMEOUT_MS } from '../core/limits.js';
import { parseServerLine, welcomeTimeout, type ServerLine } from '../core/lines.js';
import type { Connection } from './connection.js';
import { parseSeq, SeqStats, wallClockMs } from './seq-stats.js';

const HEARTBEAT_TOKEN = 'hb-';

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
}> {
  /** The heartbeat interval in use: a third of the timeout the server stated. */
  heartbeatMs: number;
  /** With the `stats` option: every numbered chat line received, counted as iperf3 counts datagrams. */
  readonly stats: SeqStats | undefined;
  private timer: NodeJS.Timeout | undefined;
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
    // A room with tickets reads the name from it; a validating UDP server answers with a token
    // first, and the ticket goes again with it (see heard).
    if (this.options.ticket) this.connection.send(`/join ${this.options.ticket}`);
    else if (this.options.name) this.connection.send(`/nick ${this.options.name}`);
    else this.beat();
    this.schedule();
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
    if (line.kind === 'pong' && line.token.startsWith(HEARTBEAT_TOKEN)) return;
    // A validating server asks a new address to echo a token; a password room asks for the
    // password. The client answers both by itself, then asks for its name again.
    const challenge = CHALLENGE.exec(raw);
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
      if (numbered) this.stats.add(numbered, at);
    }
    this.emit('line', line);
  }
}
