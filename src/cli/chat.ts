/** `udp-chat chat`: the interactive client. */
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { CLIENT_TRANSPORTS, openConnection } from '../client/connection.js';
import { Menu, type MenuStep } from '../client/menu.js';
import { ChatSession } from '../client/session.js';
import { formatDuration } from '../core/duration.js';
import { GroupChat } from '../client/group-chat.js';
import { ChatError } from '../core/errors.js';
import { addressOptions, connectOptions, duration, endOfInputKey, groupFrom, groupOptions, notEmpty, port, positive } from './options.js';
import { formatSeqStats, formatServerLine, paint, wrapForTerminal } from './output.js';
import { untilSignal } from './signals.js';

// `udp-chat chat 127.0.0.1 9000`, as `nc -u 127.0.0.1 9000`: the positionals are --host and --port.
export const command = 'chat [host] [port]';
export const describe = `join a room interactively, or with --multicast a serverless room in a group (/help lists commands; /quit or ${endOfInputKey()} leaves)`;

export function builder(y: Argv) {
  // No defaults for --host, --transport and --menu here: chat fills them in (chatDefaults), so
  // --multicast can tell one given by the user (a mistake with a group) from the default.
  const built = addressOptions(y, 'server to join (default 127.0.0.1)', CLIENT_TRANSPORTS)
    .default('host', undefined)
    .default('transport', undefined)
    .option('name', { alias: 'n', type: 'string', describe: 'your name in the room' })
    .option('password', { type: 'string', describe: "the room's password, given when asked" })
    .option('ticket', { type: 'string', describe: 'a ticket from the teacher (udp-chat ticket NAME): joins under its name' })
    .conflicts('ticket', 'name')
    .option('stats', { type: 'boolean', default: false, describe: 'count the numbered lines (send --seq) and print lost, refused by the room, late, duplicated, latency on exit' })
    .option('menu', { type: 'boolean', describe: "a numbered menu, as the Go tutorial's client: 1 public chat, 2 private chat, 3 rename, 0 exit (exit returns to the menu)" })
    .option('connect-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'give up when the server has not answered (UDP) or accepted the connection (TCP, WebSocket) after this long' })
    .option('multicast', { type: 'string', requiresArg: true, describe: 'a serverless room: chat with everyone in this multicast group (say 239.1.2.3) on -p PORT, no server; needs --name' })
    .option('listen-only', { type: 'boolean', describe: "with --multicast: print what the group carries (members' lines, or a room's from serve --multicast), send nothing" })
    .option('peer-timeout', { type: 'string', requiresArg: true, describe: 'with --multicast: a member silent this long has left (default 60s); heartbeats go every third of it' })
    .middleware(hostPortTogether)
    .group(['host', 'port', 'transport', 'tcp', 'framing', 'name', 'password', 'ticket', 'connect-timeout'], 'Basics:')
    .group(['multicast', 'listen-only', 'peer-timeout', 'interface', 'ttl'], 'Multicast (no server):')
    .group(['stats', 'menu'], 'Output:')
    .example('$0 chat --name alice', 'join the room on 127.0.0.1:9000 over UDP')
    .example('$0 chat 192.168.1.10 9000', 'as nc -u 192.168.1.10 9000 (HOST PORT, or HOST:PORT)')
    .example('$0 chat -H 192.168.1.10 --tcp --name bob', "the teacher's room over TCP")
    .example('$0 chat --multicast 239.1.2.3 --interface 127.0.0.1 --name carol', 'a room with no server: everyone in the group on this machine (-p is the group\'s port)')
    .example('$0 chat --multicast 239.1.2.3 -p 9001 --listen-only', 'follow a group (serve --multicast), sending nothing');
  return notEmpty(groupOptions(built), 'ticket', 'password', 'multicast');
}

/** `chat 127.0.0.1:9000` (the URL habit) is `chat 127.0.0.1 9000`; an IPv6 address needs brackets, `[::1]:9000`. */
function hostPortTogether(argv: Record<string, unknown>): void {
  const hostPort = typeof argv['host'] === 'string' ? /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(argv['host']) : null;
  if (!hostPort) return;
  argv['host'] = argv['H'] = hostPort[1] ?? hostPort[2];
  argv['port'] = argv['p'] = hostPort[3];
}

/**
 * The prompt, and how a line is shown. Lines arrive while the user types: clear the prompt line,
 * print, then redraw the prompt. On a terminal a long line wraps with its continuation indented,
 * so no message can fake a line of its own by running onto the next one; piped, it is printed as it came.
 */
function terminal(tty: boolean) {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: '> ' });
  const show = (text: string) => {
    if (tty) process.stdout.write('\r\x1b[K');
    process.stdout.write((process.stdout.isTTY ? wrapForTerminal(text, process.stdout.columns) : text) + '\n');
    if (tty) rl.prompt(true);
  };
  return { rl, show };
}

// Flags of a served room that mean nothing to a group (--multicast has no server to reach).
const ROOM_ONLY = ['host', 'transport', 'tcp', 'ticket', 'password', 'menu', 'stats'] as const;

/** `chat --multicast GROUP`: a member of a serverless room, or with --listen-only a follower of a group. */
async function groupChat(argv: Record<string, unknown>): Promise<void> {
  const usage = (message: string) => new ChatError('ERR_BAD_ARGUMENT', message);
  if (argv['multicast'] === undefined) throw usage(`--${argv['listen-only'] !== undefined ? 'listen-only' : 'peer-timeout'} goes with --multicast GROUP`);
  const given = ROOM_ONLY.find((flag) => argv[flag] !== undefined && argv[flag] !== false);
  if (given) throw usage(`--${given} is for a served room; --multicast joins a serverless group and takes -p, --interface, --ttl, --name, --peer-timeout, --listen-only`);
  const listenOnly = Boolean(argv['listen-only']);
  const name = typeof argv['name'] === 'string' ? argv['name'] : undefined;
  if (!listenOnly && name === undefined) throw usage('--multicast needs --name NAME (your name in the group), or --listen-only to follow it');
  const peerTimeoutMs = argv['peer-timeout'] === undefined ? undefined : positive(duration(argv['peer-timeout'], 'peer-timeout'), 'peer-timeout');
  const { group, interface: iface, ttl } = groupFrom(argv);
  let chat: GroupChat;
  try {
    chat = await GroupChat.open({ group, port: port(argv['port'], false), interface: iface, ttl, listenOnly, ...(name !== undefined ? { name } : {}), ...(peerTimeoutMs ? { peerTimeoutMs } : {}) });
  } catch (err) {
    // A name the rules refuse is the user's mistake: one line, exit 2.
    if (err instanceof ChatError && err.code === 'ERR_BAD_NAME') throw usage(`--name: ${err.message}`);
    throw err;
  }
  const c = paint(process.stdout);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const { rl, show } = terminal(tty && !listenOnly);
  chat.on('line', (line) => show(formatServerLine(line, c)));
  // A socket error (no route for the group, the interface gone): one line, exit 1.
  chat.on('error', (err) => {
    process.stderr.write(`udp-chat: ${err.message}\n`);
    process.exitCode = 1;
    void chat.close(true);
  });
  const done = new Promise<void>((resolve) => chat.once('closed', resolve));
  show(c.dim(listenOnly ? `listening to group ${chat.group}; Ctrl-C stops` : `in group ${chat.group} as ${chat.name}, sending from ${chat.source}; /help lists commands, /quit leaves`));
  rl.on('line', (text) => chat.say(text));
  // A follower reads no input: end of input does not end it, only a signal does.
  if (!listenOnly) rl.on('close', () => void chat.close());
  void untilSignal().then(() => chat.close());
  chat.start();
  if (tty && !listenOnly) rl.prompt();
  await done;
  rl.close();
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  if (argv['multicast'] !== undefined || argv['listen-only'] !== undefined || argv['peer-timeout'] !== undefined) return groupChat(argv);
  const target = connectOptions({ ...argv, host: argv['host'] ?? '127.0.0.1', transport: argv['transport'] ?? 'udp' });
  const connection = await openConnection(target);
  const name = typeof argv['name'] === 'string' ? argv['name'] : undefined;
  const c = paint(process.stdout);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const session = new ChatSession(connection, {
    ...(name ? { name } : {}),
    ...(typeof argv['password'] === 'string' ? { password: argv['password'] } : {}),
    ...(typeof argv['ticket'] === 'string' ? { ticket: argv['ticket'] } : {}),
    stats: Boolean(argv['stats']),
    // UDP has no connect: the first answer is the sign the server is there (as TCP's handshake is).
    answerTimeoutMs: target.connectTimeoutMs ?? 5000,
    // A stream that ends while we are in the room (a server restart) is opened again, to the same host.
    ...(connection.transport === 'udp' ? {} : { reopen: () => openConnection(target) }),
  });
  const { rl, show } = terminal(tty);
  const remote = () => session.connection.remote;
  session.on('line', (line) => show(formatServerLine(line, c)));
  session.on('unresponsive', (ms) => show(c.yellow(`warning: no answer from ${remote()} for ${formatDuration(ms)}; is the server still there?`)));
  session.on('responsive', () => show(c.green(`the server answers again`)));
  session.on('reconnecting', (where) => show(c.yellow(`* reconnecting to ${where} (the server closed the connection); /quit or Ctrl-D leaves`)));
  session.on('rejoined', (as) => show(c.green(`* back in the room as ${as}`)));
  // Not a blank screen while a busy validating room has not answered yet (see JOIN_RETRY_FIRST_MS).
  session.on('retry', (n) => {
    if (n === 1) show(c.dim(`no answer from ${remote()} yet; sending the join again until it answers`));
  });
  session.on('error', (err) => show(c.red(`error: ${err.message}`)));
  // Nothing answered at all (UDP: refused, or silent for --connect-timeout): one line, exit 1, as TCP's refused connect.
  session.on('failed', (err) => {
    process.stderr.write(`udp-chat: ${err.message}\n`);
    process.exitCode = 1;
  });

  const done = new Promise<void>((resolve) => session.once('closed', resolve));
  if (argv['menu']) {
    // Seed 002's client: what the user types picks a mode; the room's lines keep coming meanwhile.
    const menu = new Menu();
    const apply = (step: MenuStep) => {
      for (const line of step.show) show(line);
      for (const message of step.send) session.say(message);
      if (step.quit) void session.leave();
    };
    apply(menu.start());
    rl.on('line', (text) => apply(menu.input(text)));
  } else rl.on('line', (text) => session.say(text));
  // Enter took the prompt off the screen with the line: put it back, so the user sees where to type next.
  if (tty) rl.on('line', () => rl.prompt(true));
  // End of input leaves as /quit does: the server's `* bye` is shown before the client goes.
  rl.on('close', () => void session.leave());
  // DESIGN.md: SIGINT and SIGTERM leave as /quit does (the stats still print), and exit 0.
  void untilSignal().then(() => session.close());
  session.start();
  if (tty) rl.prompt();
  await done;
  rl.close();
  if (session.stats) for (const line of formatSeqStats(session.stats.result())) process.stdout.write(line + '\n');
}
