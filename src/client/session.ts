/**
 * An interactive chat over a Connection: joins, keeps itself in the room with heartbeats at a
 * third of the peer timeout the server's welcome states, notices when the server stops answering,
 * and gets back in by itself when the server was restarted: over UDP it sees the server forgot
 * it (a fresh welcome, a password asked again) and gives its name, ticket or password again;
 * over a stream it opens a new connection, with backoff, until the server is back.
 */
import { EventEmitter } from 'node:events';
import { parseDuration } from '../core/duration.js';
import { ChatError } from '../core/errors.js';
import { DEFAULT_PEER_TIMEOUT_MS } from '../core/limits.js';
import { parseServerLine, readChallenge, readRefusal, welcomeName, welcomeTimeout, type ServerLine } from '../core/lines.js';
import { noAnswerError, type Connection } from './connection.js';
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
  /**
   * UDP: fail (`failed`) when nothing at all came back this long after start(), as a stream's
   * connect fails after its connect timeout. Without it a UDP session waits as long as it is left to.
   */
  answerTimeoutMs?: number;
  /**
   * A stream (TCP, WebSocket): how to open a new connection when the server closes this one
   * while we are in the room (a restart). Without it the session ends with the stream.
   */
  reopen?: () => Promise<Connection>;
}

// What a password or ticket room says to a newcomer (core/room.ts); a validating UDP server's challenge is core/lines.ts's.
const PASSWORD_ASKED = /^\* this room needs a (?:password|ticket)/;
const RENAMED = /^\* (\S+) is now (\S+)$/;
// The room dropped us for something we did (a wrong password, an echo loop): coming back would do it again.
const DROPPED = /^\* you were dropped \(/;

/**
 * A stream that ended is opened again after 500 ms, doubling to 10 s, each wait jittered to
 * 50-150 % so a class whose server restarted does not come back in one burst. It never gives up
 * by itself: the user is waiting in the room, and leaves with /quit, Ctrl-D or Ctrl-C.
 */
export const RECONNECT_FIRST_MS = 500;
export const RECONNECT_MAX_MS = 10_000;

// How long a leaving client waits for the server's `* bye` before closing anyway.
const BYE_WAIT_MS = 1000;

// While the server is known to be down (refused, silent), heartbeats go at least this often, so
// the client is back in soon after the server is.
const DOWN_HEARTBEAT_MS = 1000;

/**
 * Events: `line` (ServerLine, heartbeat pongs left out), `unresponsive` (ms since the server last
 * answered), `responsive` (it answers again), `error` (ChatError), `failed` (the session could
 * not start: nothing answered; it closes), `reconnecting` (a stream ended; the address tried),
 * `rejoined` (back in the room after a restart, under this name), `closed`.
 */
export class ChatSession extends EventEmitter<{
  line: [ServerLine];
  unresponsive: [number];
  responsive: [];
  error: [ChatError];
  failed: [ChatError];
  reconnecting: [string];
  rejoined: [string];
  closed: [];
  /** The join was sent again (the count so far, the wait before the next): the server has not answered yet. */
  retry: [number, number];
}> {
  /** How many times the join was sent again before the server answered (see JOIN_RETRY_FIRST_MS). */
  joinRetries = 0;
  /** How many times the session got back into the room after the server forgot it. */
  rejoins = 0;
  /** The heartbeat interval in use: a third of the timeout the server stated. */
  heartbeatMs: number;
  /** With the `stats` option: every numbered chat line received, counted as iperf3 counts datagrams. */
  readonly stats: SeqStats | undefined;
  /** Our name in the room as the server last told it; undefined before the welcome. */
  name: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  // Cleared by the first line that is not a challenge: the server has us (or said why not).
  private answered = false;
  // Anything at all came back since start(): after that, a refusal means the server went, not that it never was.
  private heardAny = false;
  private lastHeard = performance.now();
  private beats = 0;
  private silent = false;
  private closed = false;
  // Welcomed on this connection; a second welcome means the server forgot us.
  private inRoom = false;
  // The name to be back under after a restart, while getting back in; undefined otherwise.
  private rejoiningAs: string | undefined;
  private rejoining = false;
  private droppedUs = false;
  private reconnecting = false;
  private quitting: (() => void) | undefined;

  constructor(
    public connection: Connection,
    private readonly options: SessionOptions = {},
  ) {
    super();
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_PEER_TIMEOUT_MS / 3;
    this.stats = options.stats ? new SeqStats() : undefined;
    this.attach(connection);
  }

  private attach(connection: Connection): void {
    connection.on('line', (line) => {
      if (connection === this.connection) this.heard(line);
    });
    connection.on('error', (err) => {
      if (connection === this.connection) this.failure(err);
    });
    // A stream tells the client when the server goes; a datagram socket never does.
    connection.on('end', () => {
      if (connection === this.connection) this.ended();
    });
  }

  private failure(err: ChatError): void {
    if (err.code === 'ERR_CONNECTION_REFUSED') {
      // Before any answer, an ICMP port unreachable means nothing listens there: no use waiting.
      // Linux and macOS report it; Windows never does on UDP (libuv ignores it), so there the
      // answer timeout is what ends a session whose server is not running.
      if (!this.heardAny && this.connection.transport === 'udp') return this.fail(err);
      // A server that is gone answers every heartbeat with an ICMP error: say so once, not each time.
      if (this.refused) return;
      const wasDown = this.down;
      this.refused = true;
      this.paceFor(wasDown);
    }
    // While getting back in, the failed attempts are the reconnect loop's to count, not the user's to read.
    if (this.reconnecting) return;
    this.emit('error', err);
  }

  private fail(err: ChatError): void {
    if (this.closed) return;
    this.emit('failed', err);
    void this.close(false);
  }

  /** The stream ended: we left, the server dropped us, or it went away (a restart: open a new one). */
  private ended(): void {
    if (this.closed) return;
    if (this.quitting) return this.quitting();
    if (this.reconnecting) return this.scheduleReconnect();
    if (!this.options.reopen || !this.inRoom || this.droppedUs) {
      this.emit('error', new ChatError('ERR_SOCKET', `the server closed the connection`));
      void this.close(false);
      return;
    }
    this.startRejoin();
    this.reconnecting = true;
    this.reconnectAttempts = 0;
    this.emit('reconnecting', `${this.connection.transport} ${this.connection.remote}`);
    this.scheduleReconnect();
  }

  private reconnectAttempts = 0;

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    const base = Math.min(RECONNECT_FIRST_MS * 2 ** this.reconnectAttempts, RECONNECT_MAX_MS);
    this.reconnectAttempts += 1;
    const wait = Math.round(base * (0.5 + (this.options.random ?? Math.random)()));
    this.reconnectTimer = setTimeout(() => void this.reconnect(), wait);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    let connection: Connection;
    try {
      connection = await this.options.reopen!();
    } catch {
      if (!this.closed) this.scheduleReconnect();
      return;
    }
    if (this.closed) return void connection.close();
    const old = this.connection;
    this.connection = connection;
    void old.close();
    this.attach(connection);
    this.inRoom = false;
    this.passwordSent = false;
    this.ticketSent = false;
    this.sendJoin();
  }

  /** Remembers who we were, to be that again once the server has us back. */
  private startRejoin(): void {
    this.rejoining = true;
    // With a ticket, the ticket's name; without a name, whatever the server calls us.
    this.rejoiningAs = this.options.name ?? (this.options.ticket ? this.name : undefined);
  }

  /** Joins the room: the first datagram is the name, or a ping. */
  start(): void {
    this.sendJoin();
    this.schedule();
    // A stream delivers the join or fails; a datagram, or the challenge it asks for, can be lost
    // or go unanswered (the challenge rate): send it again until the server answers.
    if (this.connection.transport === 'udp') {
      this.retryJoin(JOIN_RETRY_FIRST_MS);
      const ms = this.options.answerTimeoutMs;
      if (ms) this.answerTimer = setTimeout(() => this.fail(noAnswerError('udp', this.connection.remote, ms)), ms);
    }
  }

  private sendJoin(): void {
    // A room with tickets reads the name from it; a validating UDP server answers with a token
    // first, and the ticket goes again with it (see heard).
    if (this.options.ticket) {
      this.ticketSent = true;
      this.connection.send(`/join ${this.options.ticket}`);
    } else if (this.options.name) this.connection.send(`/nick ${this.options.name}`);
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

  /** Sends what the user typed. `/quit` (or quit, exit) also ends the session, once the server said bye. */
  say(text: string): void {
    if (/^\s*(\/quit|quit|exit)\s*$/i.test(text)) return void this.leave(text);
    this.connection.send(text);
  }

  /**
   * Leaves as /quit does: tells the server, waits a moment for its `* bye` (shown as a line, on
   * every transport), then closes. Not waited for when the server is known to be gone.
   */
  async leave(text = '/quit'): Promise<void> {
    if (this.closed || this.quitting) return;
    if (this.reconnecting || this.down || !this.heardAny) return this.close(true);
    const bye = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, BYE_WAIT_MS);
      this.quitting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.connection.send(text);
    await bye;
    await this.close(false);
  }

  /** Closes at once: tells the server (unless it already was), then closes the socket. */
  async close(sendQuit = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.answerTimer);
    clearTimeout(this.reconnectTimer);
    if (sendQuit && !this.reconnecting) this.connection.send('/quit');
    await this.connection.close();
    this.emit('closed');
  }

  private beat(): void {
    this.beats += 1;
    this.connection.send(`/ping ${HEARTBEAT_TOKEN}${this.beats}`);
  }

  private schedule(): void {
    clearInterval(this.timer);
    const every = this.down ? Math.min(this.heartbeatMs, DOWN_HEARTBEAT_MS) : this.heartbeatMs;
    this.timer = setInterval(() => {
      if (this.reconnecting) return;
      const quiet = performance.now() - this.lastHeard;
      // Two heartbeats without any answer: the server is gone or the path is down. UDP gives no
      // other sign; tell the user once, and again when it answers.
      if (!this.silent && quiet > this.heartbeatMs * 2) {
        const wasDown = this.down;
        this.silent = true;
        this.emit('unresponsive', Math.round(quiet));
        this.paceFor(wasDown);
      }
      this.beat();
    }, every);
  }

  /** The server is known to be down: it refused (ICMP) or stayed silent, and has not answered since. */
  private get down(): boolean {
    return this.refused || this.silent;
  }

  /** Heartbeats go faster while the server is down (so the client is back soon after it), normal once it answers. */
  private paceFor(wasDown: boolean): void {
    if (this.down !== wasDown && !this.closed) this.schedule();
  }

  private refused = false;
  private readonly seqSenders = new Set<string>();
  // The password is offered once: a wrong one must not be retried until the server drops us.
  private passwordSent = false;
  // The ticket went on this connection since the room last forgot us: once is enough.
  private ticketSent = false;

  private heard(raw: string): void {
    const at = wallClockMs();
    this.lastHeard = performance.now();
    const wasDown = this.down;
    this.refused = false;
    this.heardAny = true;
    clearTimeout(this.answerTimer);
    if (this.reconnecting) {
      this.reconnecting = false;
      this.reconnectAttempts = 0;
    }
    if (this.silent) {
      this.silent = false;
      this.emit('responsive');
    }
    this.paceFor(wasDown);
    const line = parseServerLine(raw);
    // A validating server asks a new address to echo a token; a password room asks for the
    // password. The client answers both by itself, then asks for its name again.
    const challenge = readChallenge(raw);
    if (!challenge && !this.answered) {
      this.answered = true;
      clearTimeout(this.retryTimer);
    }
    if (line.kind === 'pong' && line.token.startsWith(HEARTBEAT_TOKEN)) return;
    // A room that asks us in again (a challenge, the password, a welcome to our heartbeat) after
    // it had us has forgotten us: it was restarted. Over UDP nothing else says so.
    const door = challenge !== null || PASSWORD_ASKED.test(raw);
    if (this.inRoom && door) {
      this.inRoom = false;
      this.passwordSent = false;
      this.ticketSent = false;
      this.startRejoin();
    }
    if (challenge) {
      const credential = this.options.ticket ?? this.options.password;
      if (this.options.password) this.passwordSent = true;
      this.connection.send(`/join ${challenge}${credential ? ` ${credential}` : ''}`);
      if (this.options.name && !this.options.ticket) this.connection.send(`/nick ${this.options.name}`);
      return;
    }
    // With a ticket the password is not needed: the ticket went first and admits by itself.
    if (PASSWORD_ASKED.test(raw) && this.options.password !== undefined && !this.passwordSent && !this.options.ticket) {
      this.passwordSent = true;
      this.connection.send(`/join ${this.options.password}`);
      if (this.options.name) this.connection.send(`/nick ${this.options.name}`);
    }
    // A ticket room that forgot us asks for the ticket: it goes again (the first went with start()).
    if (door && this.rejoining && this.options.ticket && !this.ticketSent) this.sendJoin();
    const back = line.kind === 'notice' && this.follow(line.text);
    if (DROPPED.test(raw)) this.droppedUs = true;
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
    if (back) this.emit('rejoined', this.name!);
    if (this.quitting && raw === '* bye') this.quitting();
  }

  /**
   * Follows our name through the room's notices (the welcome, renames), and sees a welcome that
   * comes after the one we had: the server forgot us and took our heartbeat for a newcomer, so
   * the name (or ticket) goes again. True once we are back as who we were.
   */
  private follow(text: string): boolean {
    const welcome = welcomeName(`* ${text}`);
    if (welcome !== null) {
      if (this.inRoom) {
        this.startRejoin();
        if (this.options.ticket || this.options.name) this.sendJoin();
      }
      this.inRoom = true;
      this.name = welcome;
    }
    const renamed = RENAMED.exec(`* ${text}`);
    if (renamed && renamed[1] === this.name) this.name = renamed[2]!;
    if (this.rejoining && this.inRoom && (this.rejoiningAs === undefined || this.rejoiningAs === this.name)) {
      this.rejoining = false;
      this.rejoiningAs = undefined;
      this.rejoins += 1;
      return true;
    }
    return false;
  }
}
