/**
 * The seam between a room and the other servers of its cluster (`serve --cluster`): what the
 * room hands the bus, and what the bus brings back, read as untrusted input. The bus itself (Redis
 * pub/sub and presence, src/cluster/) is I/O and lives outside core; here are only the message
 * shapes and the check every message from the bus passes before the room acts on it, as a
 * message from a peer does: sizes, names, numbers, and nothing that could print as a notice.
 */
import { ChatError } from './errors.js';
import { validateName } from './names.js';
import type { LeaveReason } from './peer.js';

/** Why peers left, as the bus says it: the room's reasons, and `gone` for a server that vanished. */
export type BusLeaveReason = LeaveReason | 'gone';
const LEAVE_REASONS: readonly BusLeaveReason[] = ['quit', 'timeout', 'disconnected', 'dropped', 'shutdown', 'gone'];

/** What one server tells the others. `name`s are as the room spells them; texts are the room's safe text. */
export type BusMessage =
  | { t: 'say'; name: string; text: string }
  /** `id`: the peer's number on its server, the same across its renames (so a read of the presence can tell a rename from a leave and a join). */
  | { t: 'join'; name: string; transport: string; ticket?: boolean; id?: number }
  | { t: 'leave'; names: string[]; reason: BusLeaveReason; detail?: string }
  | { t: 'rename'; from: string; to: string }
  /** A private line, sent only to the server that holds `to`. */
  | { t: 'msg'; from: string; to: string; text: string }
  /** `* NAME: N messages dropped ...`: a limit told to every receiver, so it never passes for loss. */
  | { t: 'dropped'; name: string; count: number; rate: number }
  /** This server is back on the bus (or new): the others read the cluster's presence again. */
  | { t: 'sync' }
  /** This server is shutting down (its peers' leave went first): the others log a clean goodbye, not a death. */
  | { t: 'bye' }
  /** To the server holding `from` (a peer without a ticket): a ticket signs in as `to`, its look-alike or itself; give that peer its first name back. */
  | { t: 'displace'; from: string; to: string };

/**
 * What a room needs of its cluster. Each call is one message at most; nothing waits on the
 * network but claim(), whose answer comes on a later tick.
 */
export interface RoomBus {
  /** This server's name in the cluster (`--node`): first names end in `@NODE`, so they never clash across servers. */
  readonly node: string;
  /** Tells every other server of the room (and keeps this server's presence in the cluster's store). */
  publish(message: BusMessage): void;
  /** A private line for a peer on server `node` (the only one told), or a ticket's `displace`. */
  sendTo(node: string, message: Extract<BusMessage, { t: 'msg' | 'displace' }>): void;
  /**
   * Asks the cluster for a name (its clash `key` and look-alike `shape`), atomically: `done()`
   * when it is this server's now, `done(holder)` when a peer on another live server holds it or
   * its look-alike. A claim the link cannot make is refused (`done` with a reason), never granted.
   */
  claim(name: string, key: string, shape: string, ticket: boolean, done: (refusal?: string, code?: string) => void): void;
  /** Gives a claimed name back, by its clash key (its peer left before the claim came back, or was turned away). */
  release(key: string): void;
}

/** The most bytes of JSON one bus message may take (a leave of many names is the longest). */
export const MAX_BUS_MESSAGE_BYTES = 256 * 1024;
/** The most names one leave carries; a longer list goes as several messages. */
export const MAX_NAMES_PER_LEAVE = 1000;

// A transport's name as the room spells it: `udp`, `tcp`, `ws`, `json`.
const TRANSPORT = /^[a-z][a-z0-9-]{0,15}$/;

/** True for a peer's number on its server: a safe integer from 1. */
export function isPeerId(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

/** True for a string that could be a transport's name. */
export function isTransportName(v: unknown): v is string {
  return typeof v === 'string' && TRANSPORT.test(v);
}
// A first name as a room gives it (an address, `udp/ADDRESS#2`, `guest7`) and its server's `@NODE`.
const FIRST_NAME = /^[0-9A-Za-z.:[\]/#_-]{1,72}@[A-Za-z0-9_.-]{1,32}$/;
/** A server's name in a cluster: what `--node` takes (and `--room`, which names keys the same way). */
export const NODE_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** `value` as `flag` (--node, --room) takes it, or the one-line error saying what it takes. */
export function serverName(flag: string, value: string): string {
  if (!NODE_NAME.test(value)) throw new ChatError('ERR_BAD_ARGUMENT', `${flag} takes 1 to 32 of A-Z a-z 0-9 _ . - (got ${JSON.stringify(value)})`);
  return value;
}

const encoder = new TextEncoder();

/** Why a bus message was refused: the `cluster.refused` entry that counts it. */
export type BusRefusal = 'malformed' | 'badName' | 'badText' | 'tooLong';

/** A bus message as read, or why not. */
export type BusRead = { ok: true; message: BusMessage } | { ok: false; why: BusRefusal };

/**
 * A name a room could have given: a first name with its server's `@NODE`, or a name a peer
 * chose, which must pass the room's own name rules unchanged (no spaces, controls, mixed
 * scripts or reserved words: nothing that could read as a notice).
 */
export function isRoomName(v: unknown, maxLength: number): v is string {
  if (typeof v !== 'string' || v.length > 128) return false;
  if (v.includes('@')) return FIRST_NAME.test(v);
  try {
    return validateName(v, maxLength) === v;
  } catch {
    return false;
  }
}

/** The server a first name was given on (`guest7@b` → `b`), or undefined for a chosen name. */
export function nodeOfName(name: string): string | undefined {
  const at = name.lastIndexOf('@');
  return at < 0 ? undefined : name.slice(at + 1);
}

/** A text from the bus: a string within the room's message size, made safe again by the room. */
function isText(v: unknown, maxBytes: number): v is string {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a short text needs no encoding to be measured.
  return typeof v === 'string' && (v.length * 3 <= maxBytes || (v.length <= maxBytes && encoder.encode(v).length <= maxBytes));
}

/** A string that can only name a peer the room was told of already (looked up, never printed unless found). */
function isNameRef(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 128;
}

/**
 * Reads one parsed bus message (JSON already decoded, nothing else assumed), checking every field
 * against the room's limits: `maxNameLength` for chosen names (a first name may be longer: an
 * address and its `@NODE`), `maxMessageBytes` for texts. A name that enters the room (a join, a
 * rename's new name, a ticket's) must pass the room's name rules here; one that only refers to a
 * peer the room knows (who speaks, who leaves, whom a private line is for) is looked up by the
 * room, which refuses it unless it names that peer exactly, so it is checked for its size only:
 * the rules ran when the name entered, not again for every line it says. Which server may speak
 * for which name is the room's check (federation.ts), not this one.
 */
export function readBusMessage(raw: unknown, limits: { maxNameLength: number; maxMessageBytes: number }): BusRead {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, why: 'malformed' };
  const m = raw as Record<string, unknown>;
  const name = (v: unknown): v is string => isRoomName(v, limits.maxNameLength);
  const bad = (why: BusRefusal): BusRead => ({ ok: false, why });
  switch (m.t) {
    case 'say':
      if (!isNameRef(m.name)) return bad('badName');
      if (!isText(m.text, limits.maxMessageBytes)) return bad(typeof m.text === 'string' ? 'tooLong' : 'badText');
      return { ok: true, message: { t: 'say', name: m.name, text: m.text } };
    case 'join':
      if (!name(m.name)) return bad('badName');
      if (!isTransportName(m.transport)) return bad('malformed');
      return {
        ok: true,
        message: { t: 'join', name: m.name, transport: m.transport, ...(m.ticket === true ? { ticket: true } : {}), ...(isPeerId(m.id) ? { id: m.id } : {}) },
      };
    case 'leave': {
      if (!Array.isArray(m.names) || m.names.length === 0 || m.names.length > MAX_NAMES_PER_LEAVE) return bad('malformed');
      if (!m.names.every(isNameRef)) return bad('badName');
      if (!LEAVE_REASONS.includes(m.reason as BusLeaveReason)) return bad('malformed');
      if (m.detail !== undefined && !(typeof m.detail === 'string' && m.detail.length <= 80 && /^[\w ,.:'()/-]*$/.test(m.detail))) return bad('badText');
      const out: BusMessage = { t: 'leave', names: m.names as string[], reason: m.reason as BusLeaveReason };
      if (m.detail) out.detail = m.detail as string;
      return { ok: true, message: out };
    }
    case 'rename':
      if (!isNameRef(m.from) || !name(m.to)) return bad('badName');
      return { ok: true, message: { t: 'rename', from: m.from, to: m.to } };
    case 'msg':
      if (!isNameRef(m.from) || !isNameRef(m.to)) return bad('badName');
      if (!isText(m.text, limits.maxMessageBytes)) return bad(typeof m.text === 'string' ? 'tooLong' : 'badText');
      return { ok: true, message: { t: 'msg', from: m.from, to: m.to, text: m.text } };
    case 'dropped':
      if (!isNameRef(m.name)) return bad('badName');
      if (!Number.isSafeInteger(m.count) || (m.count as number) < 1 || typeof m.rate !== 'number' || !(m.rate > 0 && m.rate < 1e9)) return bad('malformed');
      return { ok: true, message: { t: 'dropped', name: m.name, count: m.count as number, rate: m.rate } };
    case 'displace':
      if (!isNameRef(m.from) || !name(m.to)) return bad('badName');
      return { ok: true, message: { t: 'displace', from: m.from, to: m.to } };
    case 'sync':
    case 'bye':
      return { ok: true, message: { t: m.t } };
    default:
      return bad('malformed');
  }
}
