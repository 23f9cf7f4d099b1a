/** `udp-chat chat`: the interactive client. */
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { CLIENT_TRANSPORTS, openConnection } from '../client/connection.js';
import { Menu, type MenuStep } from '../client/menu.js';
import { ChatSession } from '../client/session.js';
import { formatDuration } from '../core/duration.js';
import { addressOptions, connectOptions, notEmpty } from './options.js';
import { formatSeqStats, formatServerLine, paint, wrapForTerminal } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'chat';
export const describe = 'join a room interactively (/help lists commands; /quit or Ctrl-D leaves)';

export function builder(y: Argv) {
  const built = addressOptions(y, 'server to join', CLIENT_TRANSPORTS)
    .option('name', { alias: 'n', type: 'string', describe: 'your name in the room' })
    .option('password', { type: 'string', describe: "the room's password, given when asked" })
    .option('ticket', { type: 'string', describe: 'a ticket from the teacher (udp-chat ticket NAME): joins under its name' })
    .conflicts('ticket', 'name')
    .option('stats', { type: 'boolean', default: false, describe: 'count the numbered lines (send --seq) and print lost, refused by the room, late, duplicated, latency on exit' })
    .option('menu', { type: 'boolean', default: false, describe: "a numbered menu, as the Go tutorial's client: 1 public chat, 2 private chat, 3 rename, 0 exit (exit returns to the menu)" })
    .option('connect-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'TCP and WebSocket: give up connecting after this long' });
  return notEmpty(built, 'ticket', 'password');
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const connection = await openConnection(connectOptions(argv));
  const name = typeof argv['name'] === 'string' ? argv['name'] : undefined;
  const c = paint(process.stdout);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const session = new ChatSession(connection, {
    ...(name ? { name } : {}),
    ...(typeof argv['password'] === 'string' ? { password: argv['password'] } : {}),
    ...(typeof argv['ticket'] === 'string' ? { ticket: argv['ticket'] } : {}),
    stats: Boolean(argv['stats']),
  });
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: '> ' });

  // Lines arrive while the user types: clear the prompt line, print, then redraw the prompt. On a
  // terminal a long line wraps with its continuation indented, so no message can fake a line of
  // its own by running onto the next one; piped, it is printed as it came.
  const show = (text: string) => {
    if (tty) process.stdout.write('\r\x1b[K');
    process.stdout.write((process.stdout.isTTY ? wrapForTerminal(text, process.stdout.columns) : text) + '\n');
    if (tty) rl.prompt(true);
  };
  session.on('line', (line) => show(formatServerLine(line, c)));
  session.on('unresponsive', (ms) => show(c.yellow(`warning: no answer from ${connection.remote} for ${formatDuration(ms)}; is the server still there?`)));
  session.on('responsive', () => show(c.green(`the server answers again`)));
  // Not a blank screen while a busy validating room has not answered yet (see JOIN_RETRY_FIRST_MS).
  session.on('retry', (n) => {
    if (n === 1) show(c.dim(`no answer from ${connection.remote} yet; sending the join again until it answers`));
  });
  session.on('error', (err) => show(c.red(`error: ${err.message}`)));

  const done = new Promise<void>((resolve) => session.once('closed', resolve));
  if (argv['menu']) {
    // Seed 002's client: what the user types picks a mode; the room's lines keep coming meanwhile.
    const menu = new Menu();
    const apply = (step: MenuStep) => {
      for (const line of step.show) show(line);
      for (const message of step.send) session.say(message);
      if (step.quit) void session.close();
    };
    apply(menu.start());
    rl.on('line', (text) => apply(menu.input(text)));
  } else rl.on('line', (text) => session.say(text));
  rl.on('close', () => void session.close());
  // DESIGN.md: SIGINT and SIGTERM leave as /quit does (the stats still print), and exit 0.
  void untilSignal().then(() => session.close());
  session.start();
  if (tty) rl.prompt();
  await done;
  rl.close();
  if (session.stats) for (const line of formatSeqStats(session.stats.result())) process.stdout.write(line + '\n');
}
