/**
 * What the room does with one message it accepted: parse it, then relay a chat line, answer a
 * command, or refuse it. The room has already checked the sender's rate and the message's size.
 */
import { HELP_LINES, parseCommand } from './commands.js';
import { formatAge, formatDuration } from './duration.js';
import type { ChatError } from './errors.js';
import type { Limits } from './limits.js';
import { chatLine, errorLine, nameTaken, noticeLine, privateLine } from './lines.js';
import { allocLine } from './line-pool.js';
import { nameKey, validateName } from './names.js';
import { encodeLine, type Outbox } from './outbox.js';
import { peerInfo, type Cooldown, type LeaveReason, type Peer } from './peer.js';
import { take } from './rate.js';
import type { DropReason, RoomCounters } from './counters.js';
import type { RoomEvent } from './events.js';
import type { Roster } from './roster.js';
import type { Timeline } from './timeline.js';
import type { Federation } from './federation.js';

/** What dispatch needs of the room. */
export interface DispatchContext {
  readonly roster: Roster;
  readonly outbox: Outbox;
  readonly counters: RoomCounters;
  readonly limits: Readonly<Limits>;
  readonly echoSelf: boolean;
  clock(): number;
  emit(event: RoomEvent): void;
  /** Counts `count` drops of `peer`'s (the room's drop(): the counters and the timeline). */
  drop(reason: DropReason, count: number, peer: Peer): void;
  leave(peer: Peer, reason: LeaveReason, detail?: string): void;
  /** A peer not yet admitted sent `/join TOKEN`: the password check. */
  tryPassword(peer: Peer, given: string): void;
  /** `/join X`: true when X is a ticket, which the room then checks (see tickets.ts); false for a password. */
  tryTicket(peer: Peer, given: string): boolean;
  /** Why a peer may not take this free name (a guest name, a ticket's, its own signed one), or undefined. */
  nameRefusal(peer: Peer, key: string): string | undefined;
  /** What a peer not yet admitted must send: `a password: send /join PASSWORD`, or a ticket. */
  readonly door: string;
  /** `/who` shows each peer's ip:port: on loopback, where the address is the lesson; not in a room others can reach. */
  readonly showAddresses: boolean;
  /** The page's live timeline: every use is behind its `active` check. */
  readonly timeline: Timeline;
  /** The other servers of a clustered room, or undefined. */
  readonly federation: Federation | undefined;
  /** Asks the cluster for a name (see Room.claim): `granted` runs when it is free everywhere; at once without a cluster. */
  claim(peer: Peer, name: string, key: string, granted: () => void): void;
}

const encoder = new TextEncoder();

/**
 * Handles one accepted message: `text` is its safe text; `raw` its bytes as they came, given only
 * when they are plain ASCII (sanitize's plainAscii: the text is those very bytes); `size` its
 * length without the newline.
 */
export function dispatch(ctx: DispatchContext, peer: Peer, text: string, raw: Uint8Array | undefined, size: number): void {
  const command = parseCommand(text);
  if (!peer.admitted && command.kind !== 'join' && command.kind !== 'quit') {
    ctx.drop('notAdmitted', 1, peer);
    ctx.outbox.tell(peer, errorLine(`this room needs ${ctx.door} first`));
    return;
  }
  ctx.counters.handled += 1;
  if (command.kind === 'join' && ctx.tryTicket(peer, command.token)) return;
  if (!peer.admitted) {
    if (command.kind === 'join') return ctx.tryPassword(peer, command.token);
    return ctx.leave(peer, 'quit');
  }
  if (ctx.timeline.active && command.kind !== 'say' && command.kind !== 'msg') ctx.timeline.command(peer, command.kind);
  switch (command.kind) {
    case 'join':
      ctx.outbox.tell(peer, noticeLine('you are in the room already'));
      return;
    case 'say':
      return say(ctx, peer, command.text, command.text.length === size ? raw : undefined, size);
    case 'heartbeat':
    case 'pong':
      return;
    case 'ping':
      ctx.outbox.tell(peer, command.token ? `/pong ${command.token}` : '/pong');
      return;
    case 'nick':
      return rename(ctx, peer, command.name);
    case 'who':
      return who(ctx, peer);
    case 'msg':
      return whisper(ctx, peer, command.to, command.text, size);
    case 'quit':
      return ctx.leave(peer, 'quit');
    case 'help':
      if (tooSoon(ctx, peer, peer.help, '/help')) return;
      for (const line of HELP_LINES) ctx.outbox.tell(peer, noticeLine(line));
      return;
    case 'invalid':
      return refuse(ctx, peer, command.code, command.message);
  }
}

/** Tells a peer `! message` and reports the refusal. */
export function refuse(ctx: Pick<DispatchContext, 'outbox' | 'emit'>, peer: Peer, code: string, message: string): void {
  ctx.outbox.tell(peer, errorLine(message));
  ctx.emit({ type: 'error', peer: peerInfo(peer), code, message });
}

/**
 * Relays a chat line. `raw` is the message as it came, when it is plain ASCII and its text is all
 * of it: then it is copied behind the peer's cached `<name> ` bytes instead of being
 * formatted and encoded again (the per-message cost that matters with few receivers).
 */
function say(ctx: DispatchContext, peer: Peer, text: string, raw: Uint8Array | undefined, size: number): void {
  ctx.counters.messages += 1;
  const line = raw ? fastLine(peer, raw, text.length) : encodeLine(chatLine(peer.name, text));
  ctx.outbox.broadcast(line, ctx.echoSelf ? undefined : peer);
  ctx.federation?.said(peer, text);
  // Every admitted peer hears a broadcast but the sender (unless --echo-self): the sender is admitted here.
  if (ctx.timeline.active) ctx.timeline.message(peer, size, text, ctx.roster.admitted - (ctx.echoSelf ? 0 : 1));
  ctx.emit({ type: 'message', peer: peerInfo(peer), text });
}

function fastLine(peer: Peer, raw: Uint8Array, size: number): Uint8Array {
  const prefix = (peer.prefix ??= encoder.encode(chatLine(peer.name, '')));
  const line = allocLine(prefix.length + size + 1);
  line.set(prefix);
  line.set(raw.subarray(0, size), prefix.length);
  line[line.length - 1] = 0x0a;
  return line;
}

function whisper(ctx: DispatchContext, peer: Peer, to: string, text: string, size: number): void {
  // A gathered `* X joined` goes out before anything X says, a private line too.
  ctx.outbox.flushPending();
  const target = ctx.roster.find(to);
  // On another server of a cluster: routed to that server alone; the bus is at-most-once, as a
  // datagram is (docs/CLUSTER.md), and the sender is told it went, as for a peer here.
  const away = target ? undefined : ctx.federation?.remote.find(to);
  if (away) ctx.federation!.whisper(peer, away, text);
  // A peer still waiting for the password hears nothing, private messages included.
  else if (!target || !target.admitted) return refuse(ctx, peer, 'ERR_NO_SUCH_PEER', `no such peer: ${to}; /who lists them`);
  else ctx.outbox.deliver(target, encodeLine(privateLine(peer.name, text)));
  ctx.counters.messages += 1;
  const toName = (away ?? target)!.name;
  // The sender is told it went, and to whom (the name as the room spells it), whatever its client:
  // an nc user sees `[private to bob] <alice> text` as the page does. A `! no such peer` otherwise.
  if (target !== peer) ctx.outbox.tell(peer, privateLine(peer.name, text, toName));
  // Never the text: the feed may be open to the whole room, a private line is the two peers' alone.
  if (ctx.timeline.active) ctx.timeline.privateMessage(peer, size, toName);
  ctx.emit({ type: 'message', peer: peerInfo(peer), text, to: toName });
}

function rename(ctx: DispatchContext, peer: Peer, wanted: string): void {
  const l = ctx.limits;
  if (!take(peer.renames, ctx.clock(), l.renameBurst, 1000 / l.renameIntervalMs)) {
    ctx.drop('renameLimited', 1, peer);
    return refuse(ctx, peer, 'ERR_RATE_LIMITED', `too many renames; one every ${formatDuration(l.renameIntervalMs)}`);
  }
  let name: string;
  try {
    name = validateName(wanted, l.maxNameLength);
  } catch (err) {
    return refuse(ctx, peer, 'ERR_BAD_NAME', (err as ChatError).message);
  }
  const key = nameKey(name);
  const taken = (): string | undefined => {
    const holder = ctx.roster.clash(name, key);
    if (holder && holder !== peer) return nameTaken(name, holder.name);
    const away = ctx.federation?.remote.clash(name, key);
    return away ? nameTaken(name, away.name, away.node) : undefined;
  };
  const clash = taken();
  if (clash) return refuse(ctx, peer, 'ERR_NAME_TAKEN', clash);
  if (name === peer.name) return void ctx.outbox.tell(peer, noticeLine(`you are already ${name}`));
  const reserved = ctx.nameRefusal(peer, key);
  if (reserved) return refuse(ctx, peer, 'ERR_NAME_TAKEN', reserved);
  ctx.claim(peer, name, key, () => {
    // With a cluster this runs later: someone here may have taken the name meanwhile.
    const late = taken();
    if (late) return refuse(ctx, peer, 'ERR_NAME_TAKEN', late);
    renamed(ctx, peer, name, key);
  });
}

/** A peer takes a name that is free here and, in a cluster, everywhere. */
function renamed(ctx: DispatchContext, peer: Peer, name: string, key: string): void {
  const from = peer.name;
  ctx.roster.rename(peer, name, key);
  ctx.outbox.broadcast(encodeLine(noticeLine(`${from} is now ${name}`)));
  ctx.federation?.renamed(from, name);
  ctx.emit({ type: 'rename', peer: peerInfo(peer), from });
}


/**
 * True (after counting it, and telling the peer once) when a listing command comes sooner than
 * whoIntervalMs after the last one answered: a `/who` is a few dozen lines for a few bytes, so a
 * forged stream of them must not be answered in full each time.
 */
function tooSoon(ctx: DispatchContext, peer: Peer, last: Cooldown, command: string): boolean {
  const every = ctx.limits.whoIntervalMs;
  const now = ctx.clock();
  if (every <= 0 || now - last.at >= every) {
    last.at = now;
    last.warned = false;
    return false;
  }
  ctx.drop('whoTooSoon', 1, peer);
  if (!last.warned) {
    last.warned = true;
    ctx.outbox.tell(peer, errorLine(`${command} answers once every ${formatDuration(every)}; again in ${formatDuration(Math.ceil((last.at + every - now) / 1000) * 1000)}`));
  }
  return true;
}

// Kept free in the output budget for the `... and N more` line that closes a listing cut short.
const MORE_LINE_BYTES = 32;

function who(ctx: DispatchContext, peer: Peer): void {
  if (tooSoon(ctx, peer, peer.who, '/who')) return;
  // Nobody is listed before the room has been told they joined.
  ctx.outbox.flushPending();
  const now = ctx.clock();
  const away = ctx.federation?.remote;
  const count = ctx.roster.admitted + (away?.size ?? 0);
  const most = ctx.limits.maxWhoLines;
  if (!ctx.outbox.tell(peer, noticeLine(`${count} peer${count === 1 ? '' : 's'} here:`))) return;
  let shown = 0;
  for (const entry of whoEntries(ctx, peer, now)) {
    if (most > 0 && shown === most) break;
    const line = encodeLine(noticeLine(entry));
    // The answer stops where the output budget would: its size is bounded by that budget too.
    if (shown + 1 < count && line.length + MORE_LINE_BYTES > ctx.outbox.available(peer)) {
      ctx.drop('outputBudget', (most > 0 ? Math.min(count, most) : count) - shown, peer);
      break;
    }
    if (!ctx.outbox.reply(peer, line)) break;
    shown += 1;
  }
  if (shown < count) ctx.outbox.tell(peer, noticeLine(`  ... and ${count - shown} more`));
}

/** The `/who` rows: this server's peers, then (in a cluster) the other servers'. */
function* whoEntries(ctx: DispatchContext, asker: Peer, now: number): Generator<string> {
  for (const other of ctx.roster.byId.values()) if (other.admitted) yield whoEntry(ctx, other, asker, now);
  for (const other of ctx.federation?.remote.all() ?? []) {
    const marked = other.ticket ? ' (ticket)' : '';
    yield `  ${other.name} ${other.transport} on ${other.node} idle ${formatAge(Math.max(0, now - other.lastSeen))}${marked}`;
  }
}

/**
 * One `/who` row: `  alice udp 127.0.0.1:5000 idle 3s (you)`. The address only where it is
 * the lesson (loopback): in a room others can reach, a peer's ip:port is what a forger needs.
 * `ticket` marks a name signed by a ticket.
 */
function whoEntry(ctx: DispatchContext, other: Peer, asker: Peer, now: number): string {
  const where = ctx.showAddresses ? ` ${other.link.address}` : '';
  const marks = [other.ticket ? 'ticket' : '', other === asker ? 'you' : ''].filter(Boolean);
  const marked = marks.length > 0 ? ` (${marks.join(', ')})` : '';
  return `  ${other.name} ${other.link.channel.name}${where} idle ${formatAge(Math.max(0, now - other.lastSeen))}${marked}`;
}
