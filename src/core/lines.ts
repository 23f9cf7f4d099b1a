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

/** An error for one peer only. */
export function errorLine(text: string): string {
  return `! ${text}`;
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

/** What kind of line the server sent. */
export type ServerLine =
  | { kind: 'chat'; from: string; text: string; private: boolean }
  | { kind: 'notice'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'pong'; token: string }
  | { kind: 'other'; text: string };

/** Reads one line from a server (or anything else: unknown shapes come back as `other`). */
export function parseServerLine(line: string): ServerLine {
  if (line.startsWith('* ')) return { kind: 'notice', text: line.slice(2) };
  if (line.startsWith('! ')) return { kind: 'error', text: line.slice(2) };
  if (line === '/pong' || line.startsWith('/pong ')) return { kind: 'pong', token: line.slice(6) };
  const chat = /^(\[private(?: to \S+)?\] )?<([^>\s]+)> /.exec(line);
  if (chat) return { kind: 'chat', from: chat[2]!, text: line.slice(chat[0].length), private: Boolean(chat[1]) };
  return { kind: 'other', text: line };
}
