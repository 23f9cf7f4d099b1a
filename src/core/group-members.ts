/**
 * The member table of a serverless multicast room (`udp-chat chat --multicast`): who is in the
 * group, each name bound to the source address (ip:port) that first claimed it while that source
 * lives. There is no server to trust, so every member keeps its own table from what it hears, and
 * reads each datagram by its source: a line that names someone else than the source's bound name
 * is shown as said by that source, never as someone else. Pure: the clock is passed in.
 */
import { formatAge } from './duration.js';
import { ChatError } from './errors.js';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS } from './limits.js';
import { chatLine, noticeLine, parseServerLine, privateLine, type ServerLine } from './lines.js';
import { nameKey, nameShape, validateName } from './names.js';
import { fullBucket, take, type Bucket } from './rate.js';
import { capBlanks, decodeText, escapeControls, messageLength, messageText } from './sanitize.js';

const encoder = new TextEncoder();

/** Most members one table holds (a class fits); past it a new source is dropped and counted. */
export const DEFAULT_MAX_MEMBERS = 250;
/** Most `! ...` lines about one source's name clash: one a minute. */
export const CLASH_NOTICE_INTERVAL_MS = 60_000;
/**
 * Datagrams a second from sources that hold no name here, all of them together. Each source has
 * its own bucket, but a flood from thousands of ports (or forged addresses) gets a fresh one per
 * source: this shared one bounds what strangers can print, while named members keep their own.
 */
export const DEFAULT_STRANGER_RATE = 20;
// Room for `[private] <NAME> ` around a message of maxMessageBytes: a longer datagram is dropped.
const LINE_OVERHEAD_BYTES = 128;

/** The wire form: the lines a served room would print, so any plain receiver reads the group as a room. */
export const joinedLine = (name: string) => noticeLine(`${name} joined`);
export const hereLine = (name: string) => noticeLine(`${name} is here`);
export const renamedLine = (from: string, to: string) => noticeLine(`${from} is now ${to}`);
export const quitLine = (name: string) => noticeLine(`${name} left (quit)`);
export { chatLine, privateLine };

/** One line of the wire form, read; null when it is none of them. */
export type MemberLine =
  | { kind: 'joined' | 'here' | 'quit'; name: string }
  | { kind: 'renamed'; from: string; to: string }
  | { kind: 'chat'; name: string; text: string; private: boolean };

const NOTICES: ReadonlyArray<[RegExp, 'joined' | 'here' | 'quit']> = [
  [/^(\S+) joined$/, 'joined'],
  [/^(\S+) is here$/, 'here'],
  [/^(\S+) left \(quit\)$/, 'quit'],
];

/** Reads a member line (parseServerLine, then the notices members send). */
export function parseMemberLine(line: string): MemberLine | null {
  const parsed = parseServerLine(line);
  if (parsed.kind === 'chat') return parsed.to ? null : { kind: 'chat', name: parsed.from, text: parsed.text, private: parsed.private };
  if (parsed.kind !== 'notice') return null;
  for (const [pattern, kind] of NOTICES) {
    const m = pattern.exec(parsed.text);
    if (m) return { kind, name: m[1]! };
  }
  const renamed = /^(\S+) is now (\S+)$/.exec(parsed.text);
  return renamed ? { kind: 'renamed', from: renamed[1]!, to: renamed[2]! } : null;
}

export interface GroupMembersOptions {
  /** A member silent this long is gone (`* X left (timeout)`). Default 60 s, the room's. */
  peerTimeoutMs?: number;
  maxMembers?: number;
  maxNameLength?: number;
  /** Longest message text in bytes (limits.ts maxMessageBytes). */
  maxMessageBytes?: number;
  maxBlankRun?: number;
  /** Per source: messages at once, then a second (core/rate.ts); 0 turns it off. */
  messageBurst?: number;
  messageRate?: number;
  maxWhoLines?: number;
  /**
   * Datagrams from sources holding no name here, all together: `strangerBurst` at once (default
   * twice maxMembers and a messageBurst: a full table may join and answer at once, and one paste),
   * then `strangerRate` a second (default DEFAULT_STRANGER_RATE); 0 turns it off.
   */
  strangerBurst?: number;
  strangerRate?: number;
  /** When we joined, on the clock receive() is given: who claims our name within a peer timeout of it may have been here first. */
  joinedAt?: number;
}

export interface Member {
  name: string;
  /** `ip:port`, where it sends from and where a private line to it goes. */
  readonly source: string;
  lastSeen: number;
}

/**
 * What one datagram came to: the lines to show, and whether to answer with a heartbeat soon (a
 * member new to us, or a newcomer that claimed our name: it learns who holds it from the answer).
 */
export interface Heard {
  lines: ServerLine[];
  answer: boolean;
}

/** Drops, each counted by why. */
export interface GroupDrops {
  tooBig: number;
  rateLimited: number;
  tableFull: number;
  /** Over the shared budget of sources that hold no name (a flood from many sources). */
  strangers: number;
}

interface SourceState {
  bucket: Bucket;
  /** When we last told the user about this source's name clash. */
  warnedAt: number;
  /** It announced `* NAME joined` with a name held here: it came after the holder. */
  cameLate: boolean;
  lastSeen: number;
}

const NOTHING: Heard = { lines: [], answer: false };

export class GroupMembers {
  readonly drops: GroupDrops = { tooBig: 0, rateLimited: 0, tableFull: 0, strangers: 0 };
  /** Lines that named someone other than their source (shown as said by the source). */
  forged = 0;
  private readonly bySource = new Map<string, Member>();
  private readonly byKey = new Map<string, Member>();
  private readonly byShape = new Map<string, Member>();
  // Per-source state (rate, clash warnings) for members and unnamed sources alike; bounded.
  private readonly sources = new Map<string, SourceState>();
  private readonly o: Required<GroupMembersOptions>;
  private readonly strangers: Bucket;
  private selfName: string;

  constructor(name: string, options: GroupMembersOptions = {}) {
    this.o = {
      peerTimeoutMs: options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS,
      maxMembers: options.maxMembers ?? DEFAULT_MAX_MEMBERS,
      maxNameLength: options.maxNameLength ?? DEFAULT_LIMITS.maxNameLength,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes,
      maxBlankRun: options.maxBlankRun ?? DEFAULT_LIMITS.maxBlankRun,
      messageBurst: options.messageBurst ?? DEFAULT_LIMITS.messageBurst,
      messageRate: options.messageRate ?? DEFAULT_LIMITS.messageRate,
      maxWhoLines: options.maxWhoLines ?? DEFAULT_LIMITS.maxWhoLines,
      strangerBurst: options.strangerBurst ?? 2 * (options.maxMembers ?? DEFAULT_MAX_MEMBERS) + (options.messageBurst ?? DEFAULT_LIMITS.messageBurst),
      strangerRate: options.strangerRate ?? DEFAULT_STRANGER_RATE,
      joinedAt: options.joinedAt ?? 0,
    };
    this.strangers = fullBucket(this.o.strangerBurst, this.o.joinedAt);
    this.selfName = validateName(name, this.o.maxNameLength);
  }

  /** Our own name. */
  get self(): string {
    return this.selfName;
  }

  get size(): number {
    return this.bySource.size;
  }

  get peerTimeoutMs(): number {
    return this.o.peerTimeoutMs;
  }

  /** The member holding this name (or one that looks like it), if any. */
  find(name: string): Member | undefined {
    return this.byKey.get(nameKey(name)) ?? this.byShape.get(nameShape(name));
  }

  members(): IterableIterator<Member> {
    return this.bySource.values();
  }

  /**
   * Checks a name we want to take (`/nick`): valid, and not bound to another source in our table.
   * Returns the name now ours, or throws ChatError ERR_BAD_NAME or ERR_NAME_TAKEN.
   */
  rename(wanted: string): string {
    const name = validateName(wanted, this.o.maxNameLength);
    const holder = this.find(name);
    if (holder) throw new ChatError('ERR_NAME_TAKEN', `name taken: ${name}${holder.name === name ? '' : ` looks like ${holder.name}`}, held by ${holder.source}`);
    this.selfName = name;
    return name;
  }

  /**
   * One datagram from `source` (`ip:port`), heard on the group or, with `unicast`, on our own
   * socket (only there are private lines taken).
   */
  receive(source: string, bytes: Uint8Array, now: number, unicast = false): Heard {
    const length = messageLength(bytes);
    if (length > this.o.maxMessageBytes + LINE_OVERHEAD_BYTES) {
      this.drops.tooBig += 1;
      return NOTHING;
    }
    // Before any per-source state: a flood of new sources neither prints nor churns the source set past it.
    if (!this.bySource.has(source) && !take(this.strangers, now, this.o.strangerBurst, this.o.strangerRate)) {
      this.drops.strangers += 1;
      return NOTHING;
    }
    const state = this.sourceState(source, now);
    if (!take(state.bucket, now, this.o.messageBurst, this.o.messageRate)) {
      this.drops.rateLimited += 1;
      return NOTHING;
    }
    state.lastSeen = now;
    const text = messageText(bytes, length, this.o.maxBlankRun);
    const member = this.bySource.get(source);
    if (member) member.lastSeen = now;
    const line = parseMemberLine(text);
    if (!line) return this.saidBy(source, text, unicast);
    if (line.kind === 'chat') {
      if (encoder.encode(line.text).length > this.o.maxMessageBytes) {
        this.drops.tooBig += 1;
        return NOTHING;
      }
      if (line.private !== unicast) return this.saidBy(source, text, unicast);
      if (member) return member.name === line.name ? { lines: [chat(line.name, line.text, unicast)], answer: false } : this.forgery(source, text, unicast);
      // A private line comes only from a source we know by name.
      if (unicast) return this.forgery(source, text, unicast);
      const claimed = this.claim(source, line.name, 'chat', now, state);
      if (!claimed.bound) return { lines: [...claimed.lines, ...this.forgery(source, text, false).lines], answer: false };
      return { lines: [...claimed.lines, chat(line.name, line.text, false)], answer: true };
    }
    // Notices go to the group; one sent to our own socket is only text.
    if (unicast) return this.saidBy(source, text, true);
    switch (line.kind) {
      case 'joined':
      case 'here': {
        if (member) return member.name === line.name ? NOTHING : this.forgery(source, text, false);
        const claimed = this.claim(source, line.name, line.kind, now, state);
        return { lines: claimed.lines, answer: claimed.answer };
      }
      case 'quit':
        if (!member || member.name !== line.name) return this.forgery(source, text, false);
        this.unbind(member);
        return { lines: [notice(`${member.name} left (quit)`)], answer: false };
      case 'renamed': {
        // A source we know by address only (its name was refused) takes a name of its own: a claim.
        if (!member) {
          const claimed = this.claim(source, line.to, 'here', now, state);
          if (!claimed.bound) return { lines: [...claimed.lines, ...this.forgery(source, text, false).lines], answer: false };
          return { lines: [notice(`${source} is now ${line.to}`)], answer: true };
        }
        if (member.name !== line.from) return this.forgery(source, text, false);
        return { lines: this.renameMember(member, line.to, now, state), answer: false };
      }
    }
  }

  /** Members silent longer than the peer timeout leave: `* X left (timeout)`. Also forgets idle sources. */
  sweep(now: number): ServerLine[] {
    const out: ServerLine[] = [];
    for (const member of this.bySource.values()) {
      if (now - member.lastSeen > this.o.peerTimeoutMs) {
        this.unbind(member);
        out.push(notice(`${member.name} left (timeout)`));
      }
    }
    for (const [source, state] of this.sources) {
      if (!this.bySource.has(source) && now - state.lastSeen > Math.max(this.o.peerTimeoutMs, CLASH_NOTICE_INTERVAL_MS)) this.sources.delete(source);
    }
    return out;
  }

  /** The `/who` answer, in the room's format: `N peers here:` then `  NAME multicast ADDR idle 3s`, ours marked `(you)`. */
  who(now: number, ownSource: string): string[] {
    const count = this.bySource.size + 1;
    const lines = [noticeLine(`${count} peer${count === 1 ? '' : 's'} here:`), noticeLine(`  ${this.selfName} multicast ${ownSource} idle 0s (you)`)];
    let shown = 1;
    for (const m of this.bySource.values()) {
      if (this.o.maxWhoLines > 0 && shown >= this.o.maxWhoLines) break;
      lines.push(noticeLine(`  ${m.name} multicast ${m.source} idle ${formatAge(Math.max(0, now - m.lastSeen))}`));
      shown += 1;
    }
    if (shown < count) lines.push(noticeLine(`  ... and ${count - shown} more`));
    // Every drop is counted, and /who is where the user reads the counts (there is no server to ask).
    const d = this.drops;
    if (d.tooBig + d.rateLimited + d.tableFull + d.strangers + this.forged > 0) {
      lines.push(noticeLine(`  dropped: ${d.tooBig} too big, ${d.rateLimited} over a source's rate, ${d.tableFull} table full, ${d.strangers} strangers' flood; ${this.forged} shown by address (named another)`));
    }
    return lines;
  }

  private sourceState(source: string, now: number): SourceState {
    let state = this.sources.get(source);
    if (!state) {
      // Bounded: the oldest source not in the table makes room (a flood of forged ports cannot grow it).
      if (this.sources.size >= this.o.maxMembers * 4) {
        for (const old of this.sources.keys()) {
          if (!this.bySource.has(old)) {
            this.sources.delete(old);
            break;
          }
        }
      }
      state = { bucket: fullBucket(this.o.messageBurst, now), warnedAt: -Infinity, cameLate: false, lastSeen: now };
      this.sources.set(source, state);
    }
    return state;
  }

  /** Binds `name` to `source` when it is valid and free; else one `!` line (at most a minute apart per source). */
  private claim(source: string, wanted: string, how: 'joined' | 'here' | 'chat', now: number, state: SourceState): { bound: boolean; answer: boolean; lines: ServerLine[] } {
    let name: string;
    try {
      name = validateName(wanted, this.o.maxNameLength);
    } catch {
      return { bound: false, answer: false, lines: [] };
    }
    // A member here before us sends heartbeats (every third of the timeout, and one soon after our
    // join): one heard first by its join, by a chat line, or later than a peer timeout after our
    // join, was not, and is the latecomer.
    if (how !== 'here' || now - this.o.joinedAt > this.o.peerTimeoutMs) state.cameLate = true;
    const refusal = this.clashWith(source, name, state);
    if (refusal !== undefined) return { bound: false, answer: how === 'joined' && this.isOurs(name), lines: this.warn(state, now, refusal) };
    if (this.bySource.size >= this.o.maxMembers) {
      this.drops.tableFull += 1;
      return { bound: false, answer: false, lines: [] };
    }
    const member: Member = { name, source, lastSeen: now };
    this.bind(member);
    // Heard joining: it is new. Heard otherwise (a heartbeat, a chat line): it was here before us.
    return { bound: true, answer: true, lines: [notice(how === 'joined' ? `${name} joined` : `${name} is here`)] };
  }

  /** Why `source` may not take `name`, or undefined when it may. */
  private clashWith(source: string, name: string, state: SourceState): string | undefined {
    const looks = (held: string) => (held === name ? name : `${name} (looks like ${held})`);
    if (this.isOurs(name)) {
      // A source that came after us is refused; one that was already here (a heartbeat soon after
      // our join, from a source we never heard join) holds the name, and we are the latecomer.
      return state.cameLate
        ? `${source} claims your name ${looks(this.selfName)}; you were here first: it is shown by its address`
        : `your name ${this.selfName} is held by ${source}, who was here before you: others show you by your address; /nick NAME to choose another`;
    }
    const holder = this.find(name);
    if (holder && holder.source !== source) return `${source} claims the name ${looks(holder.name)}, held by ${holder.source}: it is shown by its address`;
    return undefined;
  }

  private isOurs(name: string): boolean {
    return nameKey(name) === nameKey(this.selfName) || nameShape(name) === nameShape(this.selfName);
  }

  private warn(state: SourceState, now: number, message: string): ServerLine[] {
    if (now - state.warnedAt < CLASH_NOTICE_INTERVAL_MS) return [];
    state.warnedAt = now;
    return [{ kind: 'error', text: message }];
  }

  private renameMember(member: Member, wanted: string, now: number, state: SourceState): ServerLine[] {
    let name: string;
    try {
      name = validateName(wanted, this.o.maxNameLength);
    } catch {
      return [];
    }
    const refusal = this.clashWith(member.source, name, { ...state, cameLate: true });
    // Refused: it keeps the name it holds, so nobody is shown as another.
    if (refusal !== undefined) return this.warn(state, now, refusal.replace(': it is shown by its address', `: still shown as ${member.name}`).replace('; you were here first', ''));
    const from = member.name;
    this.unbind(member);
    member.name = name;
    this.bind(member);
    return [notice(`${from} is now ${name}`)];
  }

  private bind(member: Member): void {
    this.bySource.set(member.source, member);
    const key = nameKey(member.name);
    const shape = nameShape(member.name);
    if (!this.byKey.has(key)) this.byKey.set(key, member);
    if (!this.byShape.has(shape)) this.byShape.set(shape, member);
  }

  private unbind(member: Member): void {
    this.bySource.delete(member.source);
    const key = nameKey(member.name);
    const shape = nameShape(member.name);
    if (this.byKey.get(key) === member) this.byKey.delete(key);
    if (this.byShape.get(shape) === member) this.byShape.delete(shape);
  }

  private forgery(source: string, text: string, unicast: boolean): Heard {
    this.forged += 1;
    return this.saidBy(source, text, unicast);
  }

  /** The whole text, as said by its source: its bound name, or its address while it has none. */
  private saidBy(source: string, text: string, unicast: boolean): Heard {
    const label = this.bySource.get(source)?.name ?? source;
    return { lines: [chat(label, text, unicast)], answer: false };
  }
}

function chat(from: string, text: string, isPrivate: boolean): ServerLine {
  return { kind: 'chat', from, text, private: isPrivate };
}

function notice(text: string): ServerLine {
  return { kind: 'notice', text };
}

/**
 * Most lines a follower shows of one datagram. A served room's mirror and members send one line
 * a datagram; one 64 KiB datagram of `x\n` printed 32,768 lines, a flood of them a terminal's worth.
 */
export const FOLLOW_MAX_LINES = 8;

/**
 * What a `--listen-only` follower shows of one datagram: each line as it came (a served room's
 * mirror and members alike), made safe, heartbeats left out; past FOLLOW_MAX_LINES, one line says how many were dropped.
 */
export function followLines(bytes: Uint8Array, maxBlankRun = DEFAULT_LIMITS.maxBlankRun, maxLines = FOLLOW_MAX_LINES): ServerLine[] {
  const out: ServerLine[] = [];
  let dropped = 0;
  for (const raw of decodeText(bytes).split(/\r?\n/)) {
    if (raw === '') continue;
    if (out.length >= maxLines) {
      dropped += 1;
      continue;
    }
    const line = parseMemberLine(raw);
    if (line?.kind === 'here') continue;
    out.push(parseServerLine(capBlanks(escapeControls(raw), maxBlankRun)));
  }
  if (dropped > 0) out.push({ kind: 'error', text: `${dropped} more line${dropped === 1 ? '' : 's'} in one datagram dropped (a room or a member sends one line a datagram)` });
  return out;
}

