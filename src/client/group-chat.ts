/**
 * A member of a serverless multicast room (`udp-chat chat --multicast`): what the user types goes
 * to the group as the lines a served room would print, and what the group carries is read through
 * a member table (core/group-members.ts) that binds each name to its source. The same face as
 * ChatSession (`line`, `say`, `close`, `error`, `closed`), so the CLI prints both with one code.
 *
 * Two sockets: the receiver shares the group's port with every member on the machine (it hears
 * the group), the sender has a port of its own, so its source address tells this member apart
 * and is where a private line comes back to; the group copy of what it sends itself is ignored.
 */
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseCommand } from '../core/commands.js';
import { ChatError } from '../core/errors.js';
import { chatLine, followLines, GroupMembers, hereLine, joinedLine, privateLine, quitLine, renamedLine, type GroupMembersOptions } from '../core/group-members.js';
import type { ServerLine } from '../core/lines.js';
import { formatAddress, parseHostPort } from '../transports/address.js';
import { groupError, groupType, openGroupReceiver, openSender } from '../transports/multicast/group.js';

export interface GroupChatOptions extends GroupMembersOptions {
  group: string;
  port: number;
  interface?: string | undefined;
  ttl?: number;
  /** Our name; not needed with listenOnly. */
  name?: string;
  /** Hear the group and print it; send nothing. */
  listenOnly?: boolean;
  /** 0..1, the heartbeat answer's jitter (tests); Math.random by default. */
  random?: () => number;
}

/** What `/help` lists here: the room's commands that work without a server. */
export const GROUP_HELP_LINES: readonly string[] = [
  'commands in a serverless room (either form):',
  '  any text            say it to the group',
  '  /nick NAME          rename|NAME      choose another name',
  '  /who                who              the members this one has heard, with their addresses',
  '  /msg NAME TEXT      to|NAME|TEXT     private message, by unicast to NAME alone',
  '  /quit               quit, exit       leave the room',
  '  /help               help             this list',
  '  //text                               say text that starts with /',
];

// The answer to a newcomer: soon (0-500 ms, jittered so a class does not answer at once), at most one a second.
const ANSWER_JITTER_MS = 500;
const ANSWER_MIN_GAP_MS = 1000;

export class GroupChat extends EventEmitter<{ line: [ServerLine]; error: [ChatError]; closed: [] }> {
  readonly table: GroupMembers | undefined;
  /** Group sends that failed. */
  sendErrors = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private answer: NodeJS.Timeout | undefined;
  private lastBeat = -Infinity;
  private closed = false;
  private readonly locals: Set<string>;
  // The sender's own address, read once (a getsockname each time otherwise): heard() checks every datagram against it.
  private readonly own: AddressInfo | undefined;

  private constructor(
    private readonly options: GroupChatOptions,
    private readonly receiver: dgram.Socket,
    private readonly sender: dgram.Socket | undefined,
  ) {
    super();
    this.table = options.listenOnly ? undefined : new GroupMembers(options.name ?? '', { ...options, joinedAt: performance.now() });
    // A sender bound to the wildcard sends from whichever local address the route picks.
    this.locals = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
    this.own = sender?.address();
    receiver.on('message', (msg, rinfo) => this.heard(msg, rinfo, false));
    receiver.on('error', (err) => this.fail(groupError(err, `group ${this.group}`)));
    sender?.on('message', (msg, rinfo) => this.heard(msg, rinfo, true));
    sender?.on('error', (err) => this.fail(groupError(err, `group ${this.group}`)));
  }

  /** Joins the group (and, for a member, opens its own sender); throws the one-line ChatError groupError gives. */
  static async open(options: GroupChatOptions): Promise<GroupChat> {
    // The name is checked before any socket opens: a bad one is a usage error, not a half-open chat.
    if (!options.listenOnly) new GroupMembers(options.name ?? '', options);
    const receiver = await openGroupReceiver({ group: options.group, port: options.port, ...(options.interface ? { interface: options.interface } : {}) });
    if (options.listenOnly) return new GroupChat(options, receiver, undefined);
    try {
      const sender = await openSender({ type: groupType(options.group), ...(options.interface ? { interface: options.interface } : {}), ttl: options.ttl ?? 1 });
      return new GroupChat(options, receiver, sender);
    } catch (err) {
      receiver.close();
      throw err;
    }
  }

  /** `239.1.2.3:9000`. */
  get group(): string {
    return formatAddress(this.options.group, this.options.port);
  }

  /** Where this member sends from, `127.0.0.1:PORT`: its identity in the group. */
  get source(): string {
    return this.own ? formatAddress(this.own.address, this.own.port) : '';
  }

  get name(): string {
    return this.table?.self ?? '';
  }

  /** Announces us (`* NAME joined`) and starts the heartbeat and the sweep; a listener only listens. */
  start(): void {
    if (!this.table) return;
    this.send(joinedLine(this.table.self));
    const timeout = this.table.peerTimeoutMs;
    this.heartbeat = setInterval(() => this.beat(), Math.max(50, Math.floor(timeout / 3)));
    this.sweeper = setInterval(() => {
      for (const line of this.table!.sweep(performance.now())) this.emit('line', line);
    }, Math.max(10, Math.min(1000, Math.floor(timeout / 10))));
  }

  /** Stops our heartbeat without a word, as a member whose machine went away (tests of the timeout). */
  silence(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.answer);
  }

  /** What the user typed, through the room's own command parser. */
  say(input: string): void {
    if (this.closed) return;
    if (!this.table) return this.tell('this is --listen-only: it sends nothing');
    const command = parseCommand(input);
    switch (command.kind) {
      case 'say':
        return this.send(chatLine(this.table.self, command.text));
      case 'heartbeat':
        return;
      case 'who':
        for (const line of this.table.who(performance.now(), this.source)) this.emit('line', { kind: 'notice', text: line.slice(2) });
        return;
      case 'msg':
        return this.whisper(command.to, command.text);
      case 'nick': {
        const from = this.table.self;
        try {
          this.table.rename(command.name);
        } catch (err) {
          return this.tell((err as Error).message);
        }
        this.send(renamedLine(from, this.table.self));
        this.emit('line', { kind: 'notice', text: `you are now ${this.table.self}` });
        return;
      }
      case 'quit':
        void this.close();
        return;
      case 'help':
        for (const line of GROUP_HELP_LINES) this.emit('line', { kind: 'notice', text: line });
        return;
      case 'join':
      case 'ping':
      case 'pong':
        return this.tell(`/${command.kind} is for a served room; a serverless room has no server to answer it (/help lists what works here)`);
      case 'invalid':
        return this.tell(command.message);
    }
  }

  /** Leaves: `* NAME left (quit)` to the group (unless `quiet`), then closes both sockets. */
  async close(quiet = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.silence();
    clearInterval(this.sweeper);
    if (this.table && this.sender && !quiet) await this.sendNow(quitLine(this.table.self), this.options.port, this.options.group);
    this.receiver.close();
    this.sender?.close();
    this.emit('closed');
  }

  private whisper(to: string, text: string): void {
    const member = this.table!.find(to);
    if (!member) return this.tell(`no such peer: ${to}; /who lists them`);
    const { host, port } = parseHostPort(member.source);
    this.sender!.send(privateLine(this.table!.self, text) + '\n', port, host, (err) => {
      if (err) this.tell(`private line to ${member.name} not sent: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
  }

  private beat(): void {
    if (this.closed || !this.table) return;
    this.lastBeat = performance.now();
    this.send(hereLine(this.table.self));
  }

  /** A member new to us: a heartbeat soon, so it learns we are here (and who holds what name). */
  private answerNewcomer(): void {
    if (this.answer || this.closed) return;
    const wait = Math.max(Math.round((this.options.random ?? Math.random)() * ANSWER_JITTER_MS), this.lastBeat + ANSWER_MIN_GAP_MS - performance.now());
    this.answer = setTimeout(() => {
      this.answer = undefined;
      this.beat();
    }, wait);
  }

  private heard(msg: Buffer, rinfo: dgram.RemoteInfo, unicast: boolean): void {
    if (this.closed) return;
    if (!this.table) {
      for (const line of followLines(msg)) this.emit('line', line);
      return;
    }
    if (!unicast && this.isOwn(rinfo)) return;
    const heard = this.table.receive(formatAddress(rinfo.address, rinfo.port), msg, performance.now(), unicast);
    for (const line of heard.lines) this.emit('line', line);
    if (heard.answer) this.answerNewcomer();
  }

  private isOwn(rinfo: dgram.RemoteInfo): boolean {
    const own = this.own!;
    if (rinfo.port !== own.port) return false;
    return rinfo.address === own.address || ((own.address === '0.0.0.0' || own.address === '::') && this.locals.has(rinfo.address));
  }

  private send(line: string): void {
    void this.sendNow(line, this.options.port, this.options.group);
  }

  private sendNow(line: string, port: number, host: string): Promise<void> {
    return new Promise((resolve) => {
      this.sender!.send(line + '\n', port, host, (err) => {
        if (err) {
          this.sendErrors += 1;
          this.fail(groupError(err as NodeJS.ErrnoException, `cannot send to group ${this.group}`));
        }
        resolve();
      });
    });
  }

  private tell(text: string): void {
    this.emit('line', { kind: 'error', text });
  }

  private fail(err: ChatError): void {
    if (this.closed) return;
    this.emit('error', err);
  }
}
