/**
 * The text the server sends, one line per message: `<NAME> TEXT` for chat, `* TEXT` for a
 * notice, `! TEXT` for an error meant for one peer. Clients read lines back with parseServerLine.
 */
import { formatDuration } from './duration.js';

/** A chat line as peers see it. */
export function chatLine(name: string, text: string): string {
  return `<${name}> ${text}`;
}

/**
 * A private chat line. The mark comes first, where a peer's own text can never stand (chat lines
 * start with `<`), so nobody can fake a private message by typing `(private)`.
 */
export function privateLine(name: string, text: string, to?: string): string {
  return `[private${to ? ` to ${to}` : ''}] <${name}> ${text}`;
}

/** A notice from the server. */
export function noticeLine(text: string): string {
  return `* ${text}`;
}

/**
 * `name taken: alice`, or, when the two differ by more than case and width, which name it looks
 * like; `(on server b)` when its holder is on another server of a cluster.
 */
export function nameTaken(name: string, held: string, node?: string): string {
  const same = (n: string) => n.normalize('NFKC').toLowerCase();
  const taken = same(name) === same(held) ? `name taken: ${name}` : `name taken: ${name} looks like ${held}, who is here`;
  return node === undefined ? taken : `${taken} (on server ${node})`;
}

/** An error for one peer only. */
export function errorLine(text: string): string {
  return `! ${text}`;
}

/**
 * What the room tells a peer whose messages its rate limit dropped: how many since it last said
 * so, so a sender can count its refusals exactly (readRefusal). At most one a second per peer;
 * the drops of that second are told in the next one.
 */
export function slowDownLine(dropped: number, rate: number, burst: number): string {
  return errorLine(`slow down: ${dropped} dropped; at most ${rate} messages a second (bursts of ${burst})`);
}

/** What the others are told at the same time: a receiver counting a numbered run counts these apart from its losses. */
export function droppedNotice(name: string, dropped: number, rate: number): string {
  return noticeLine(`${name} sent too fast: ${dropped} message${dropped === 1 ? '' : 's'} dropped (at most ${rate} a second)`);
}

const SLOW_DOWN = /^! slow down: (\d+) dropped/;
const DROPPED_NOTICE = /^\* (\S+) sent too fast: (\d+) messages? dropped/;

/**
 * The messages a line says the room refused: `self` for a `!` line to us (a `! slow down: N
 * dropped` counts N, any other `!` refusal one), `peer` for a notice about another peer's
 * dropped messages; null for any other line.
 */
export function readRefusal(line: string): { kind: 'self'; count: number } | { kind: 'peer'; name: string; count: number } | null {
  if (line.startsWith('! ')) return { kind: 'self', count: Number(SLOW_DOWN.exec(line)?.[1] ?? 1) };
  const notice = DROPPED_NOTICE.exec(line);
  return notice ? { kind: 'peer', name: notice[1]!, count: Number(notice[2]) } : null;
}

/** The welcome a new peer gets; clients read the peer timeout back from it (see welcomeTimeout). */
export function welcomeLine(name: string, peers: number, timeoutMs: number): string {
  const others = peers === 1 ? 'you are alone here' : `${peers - 1} other${peers === 2 ? '' : 's'} here`;
  return noticeLine(
    `welcome ${name}; ${others}; peer timeout ${formatDuration(timeoutMs)}: send /ping (heartbeat) or anything to stay; /help lists commands`,
  );
}

const WELCOME_TIMEOUT = /^\* welcome .*peer timeout (\d+(?:\.\d+)?(?:ms|s|m|h))/;

/** The peer timeout a welcome line states, as written (`60s`), or null when the line is not a welcome. */
export function welcomeTimeout(line: string): string | null {
  return WELCOME_TIMEOUT.exec(line)?.[1] ?? null;
}

/**
 * What a validating UDP server says to an address it has not seen answer yet: send the token back
 * with `/join` (transports/udp/transport.ts). Clients read the token back with readChallenge.
 */
export function challengeLine(token: string): string {
  return noticeLine(`to join, send: /join ${token}`);
}

const CHALLENGE = /^\* to join, send: \/join (\S+)$/;

/** The token of a challenge line, or null when the line is not one. */
export function readChallenge(line: string): string | null {
  return CHALLENGE.exec(line)?.[1] ?? null;
}

const WELCOME_NAME = /^\* welcome (\S+); /;

/** The name a welcome line gives the peer it welcomes, or null when the line is not a welcome. */
export function welcomeName(line: string): string | null {
  return WELCOME_NAME.exec(line)?.[1] ?? null;
}

/** What kind of line the server sent. */
export type ServerLine =
  | { kind: 'chat'; from: string; text: string; private: boolean; to?: string }
  | { kind: 'notice'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'pong'; token: string }
  | { kind: 'other'; text: string };

/** Reads one line from a server (or anything else: unknown shapes come back as `other`). */
export function parseServerLine(line: string): ServerLine {
  if (line.startsWith('* ')) return { kind: 'notice', text: line.slice(2) };
  if (line.startsWith('! ')) return { kind: 'error', text: line.slice(2) };
  if (line === '/pong' || line.startsWith('/pong ')) return { kind: 'pong', token: line.slice(6) };
  const chat = /^(\[private(?: to (\S+))?\] )?<([^>\s]+)> /.exec(line);
  if (chat) {
    const parsed: ServerLine = { kind: 'chat', from: chat[3]!, text: line.slice(chat[0].length), private: Boolean(chat[1]) };
    // `to` only on a private line's echo-self copy, `[private to bob]`.
    if (chat[2]) parsed.to = chat[2];
    return parsed;
  }
  return { kind: 'other', text: line };
}
