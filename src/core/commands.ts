/**
 * The one command parser every transport shares. It reads both dialects of the protocol:
 * slash commands (`/nick bob`) and the pipe dialect of the classic Go chat tutorials
 * (`rename|bob`, `to|bob|hi`, `who`, `quit`, `exit`). Pure: text in, a Command out.
 */

/** What a peer asked for. `invalid` carries the `!` line the sender alone is told. */
export type Command =
  | { kind: 'say'; text: string }
  | { kind: 'nick'; name: string }
  | { kind: 'who' }
  | { kind: 'msg'; to: string; text: string }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'ping'; token: string }
  | { kind: 'pong'; token: string }
  | { kind: 'join'; token: string }
  | { kind: 'heartbeat' }
  | { kind: 'invalid'; code: 'ERR_UNKNOWN_COMMAND' | 'ERR_BAD_ARGUMENT'; message: string };

/** The help text, one line per message, in both dialects. */
export const HELP_LINES: readonly string[] = [
  'commands (either form):',
  '  any text            say it to everyone else',
  '  /nick NAME          rename|NAME      choose a name',
  '  /who                who              list peers and idle times (addresses on loopback)',
  '  /msg NAME TEXT      to|NAME|TEXT     private message',
  '  /ping [TOKEN]                        heartbeat; answered by /pong [TOKEN]',
  '  /quit               quit, exit       leave the room',
  '  /help               help             this list',
  '  /join [TOKEN] [PASSWORD]             join a room that asks for a token or a password',
  '  /join TICKET                         sign in under the name a ticket carries',
  '  //text                               say text that starts with /',
];

function invalid(message: string, code: 'ERR_UNKNOWN_COMMAND' | 'ERR_BAD_ARGUMENT' = 'ERR_BAD_ARGUMENT'): Command {
  return { kind: 'invalid', code, message };
}

function parseSlash(text: string): Command {
  const space = text.search(/\s/);
  const word = (space < 0 ? text.slice(1) : text.slice(1, space)).toLowerCase();
  const rest = space < 0 ? '' : text.slice(space + 1).trim();
  switch (word) {
    case 'nick':
    case 'name':
      if (!rest) return invalid('usage: /nick NAME');
      if (/\s/.test(rest)) return invalid('a name has no spaces');
      return { kind: 'nick', name: rest };
    case 'who':
    case 'list':
      return { kind: 'who' };
    case 'msg':
    case 'to': {
      const gap = rest.search(/\s/);
      if (!rest || gap < 0) return invalid('usage: /msg NAME TEXT');
      const body = rest.slice(gap + 1).trim();
      if (!body) return invalid('usage: /msg NAME TEXT');
      return { kind: 'msg', to: rest.slice(0, gap), text: body };
    }
    case 'quit':
    case 'exit':
    case 'leave':
      return { kind: 'quit' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'ping':
      return { kind: 'ping', token: rest };
    case 'join':
      return { kind: 'join', token: rest };
    case 'pong':
      return { kind: 'pong', token: rest };
    default:
      return invalid(`unknown command /${word}; /help lists them`, 'ERR_UNKNOWN_COMMAND');
  }
}

function parsePipe(text: string): Command {
  const bar = text.indexOf('|');
  const word = text.slice(0, bar);
  if (word === 'rename') {
    const name = text.slice(bar + 1).trim();
    if (!name) return invalid('usage: rename|NAME');
    if (/[\s|]/.test(name)) return invalid('a name has no spaces or |');
    return { kind: 'nick', name };
  }
  if (word === 'to') {
    const second = text.indexOf('|', bar + 1);
    if (second < 0) return invalid('usage: to|NAME|TEXT');
    const to = text.slice(bar + 1, second).trim();
    const body = text.slice(second + 1).trim();
    if (!to || !body) return invalid('usage: to|NAME|TEXT');
    return { kind: 'msg', to, text: body };
  }
  return { kind: 'say', text };
}

/** Parses one message (already decoded and made safe) into the command it carries. */
export function parseCommand(text: string): Command {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'heartbeat' };
  if (trimmed.charCodeAt(0) === 0x2f /* / */) {
    if (trimmed.charCodeAt(1) === 0x2f) return { kind: 'say', text: text.slice(text.indexOf('/') + 1) };
    return parseSlash(trimmed);
  }
  switch (trimmed) {
    case 'who':
      return { kind: 'who' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'help':
      return { kind: 'help' };
  }
  if (trimmed.startsWith('rename|') || trimmed.startsWith('to|')) return parsePipe(trimmed);
  return { kind: 'say', text };
}
