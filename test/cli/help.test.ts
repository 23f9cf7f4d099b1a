/**
 * What a user reads before anything runs: --help (examples, groups, numbers shown as numbers),
 * --version (udp-chat's own, top level only), the completion script, and colour as FORCE_COLOR
 * and NO_COLOR ask. Each through the built binary, as a user would run it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { colourLevel } from '../../src/cli/output.js';
import { endOfInputKey } from '../../src/cli/options.js';
import { BIN, run, runPython } from '../helpers/spawn.js';

const COMMANDS = ['serve', 'chat', 'send', 'echo', 'ping', 'proxy', 'demo', 'ticket'];
const PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Runs the binary with this environment and working directory (not the helper's NO_COLOR default). */
async function runWith(args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
  const child = spawn(process.execPath, [BIN, ...args], { env, ...(cwd ? { cwd } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The environment without the colour variables, plus `extra`. */
function envWith(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  return { ...env, ...extra };
}

const help = suite('--help and --version');

help('every command has examples in its --help, exits 0 and prints nothing on stderr', async () => {
  for (const command of COMMANDS) {
    const r = await run([command, '--help'], undefined, 20_000);
    assert.is(r.code, 0, `${command}: ${r.stderr}`);
    assert.is(r.stderr, '', command);
    assert.match(r.stdout, /\nExamples:\n {2}udp-chat /, `${command} --help has examples`);
  }
  const top = await run(['--help'], undefined, 20_000);
  assert.match(top.stdout, /\nExamples:\n {2}udp-chat serve /);
  assert.match(top.stdout, /udp-chat completion +print a bash or zsh completion script/);
});

help('serve --help is grouped, the basics first, and shows numbers as numbers (while 0x10 is still refused)', async () => {
  const r = await run(['serve', '--help'], undefined, 20_000);
  const groups = [...r.stdout.matchAll(/^(\S[^\n]*):$/gm)].map((m) => m[1]);
  assert.equal(groups.slice(0, 8), ['Basics', 'Who may join', 'Web page', 'Multicast', 'Cluster (one room over several servers)', 'Output', 'Limits (the defaults suit a class)', 'Options']);
  assert.match(r.stdout, /-p, --port +port number \(0 picks a free one\) +\[number\] \[default: 9000\]/);
  assert.match(r.stdout, /--peer-timeout +drop a peer silent this long[^[]*\[string\] \[default: 60s\]/);
  assert.match(r.stdout, /--max-peers\b[^[]*\[number\] \[default: \d+\]/);
  assert.not.match(r.stdout, /\[default: "\d+(\.\d+)?(ms|s|m|h)?"\]/, 'no number or duration default shown as a JSON string');
  const hex = await run(['serve', '--port', '0x10'], undefined, 20_000);
  assert.is(hex.code, 2, hex.stderr);
  assert.match(hex.stderr, /bad port '0x10'/);
});

help("--version is udp-chat's own, from its package.json whatever the working directory, and only at the top level", async () => {
  const host = mkdtempSync(join(tmpdir(), 'udp-chat-host-'));
  try {
    // A project that has udp-chat as a dependency: its own package.json says 1.0.0.
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host-project', version: '1.0.0' }));
    const r = await runWith(['--version'], envWith({}), host);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `${PACKAGE.version}\n`);
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
  const sub = await run(['serve', '--version'], undefined, 20_000);
  assert.is(sub.code, 2);
  assert.is(sub.stderr, 'udp-chat: Unknown argument: version (udp-chat serve --help for usage)\n');
});

help('the end-of-input key is Ctrl-D, and Ctrl-Z Enter in the help on Windows', async () => {
  assert.is(endOfInputKey('linux'), 'Ctrl-D');
  assert.is(endOfInputKey('darwin'), 'Ctrl-D');
  assert.is(endOfInputKey('win32'), 'Ctrl-Z Enter');
  const linux = await run(['chat', '--help'], undefined, 20_000);
  assert.match(linux.stdout.replace(/\s+/g, ' '), /\/quit or Ctrl-D leaves/);
  const asWindows = `--import=${new URL('../helpers/as-windows.js', import.meta.url).href}`;
  const windows = await runWith(['chat', '--help'], envWith({ NO_COLOR: '1', NODE_OPTIONS: asWindows }));
  assert.is(windows.code, 0, windows.stderr);
  assert.match(windows.stdout.replace(/\s+/g, ' '), /\/quit or Ctrl-Z Enter leaves/);
  assert.not.match(windows.stdout, /Ctrl-D/);
});

help.run();

const completion = suite('udp-chat completion');

completion('prints a bash script that asks udp-chat, and a zsh one under zsh', async () => {
  const bash = await runWith(['completion'], envWith({ SHELL: '/bin/bash' }));
  assert.is(bash.code, 0, bash.stderr);
  assert.match(bash.stdout, /udp-chat --get-yargs-completions/);
  assert.match(bash.stdout, /^complete .* udp-chat$/m);
  const zsh = await runWith(['completion'], envWith({ SHELL: '/bin/zsh' }));
  assert.is(zsh.code, 0, zsh.stderr);
  assert.match(zsh.stdout, /^#compdef udp-chat$/m);
  assert.match(zsh.stdout, /udp-chat --get-yargs-completions/);
});

completion('answers for `udp-chat se` with the commands, and for `udp-chat serve --pe` with its flags', async () => {
  const commands = await run(['--get-yargs-completions', 'udp-chat', 'se'], undefined, 20_000);
  assert.is(commands.code, 0, commands.stderr);
  const words = commands.stdout.trim().split('\n');
  for (const c of ['serve', 'send', ...COMMANDS]) assert.ok(words.includes(c), `${c} in ${words.join(' ')}`);
  const flags = await run(['--get-yargs-completions', 'udp-chat', 'serve', '--pe'], undefined, 20_000);
  assert.ok(flags.stdout.split('\n').includes('--peer-timeout'), flags.stdout);
});

completion.run();

const colour = suite('colour: FORCE_COLOR and NO_COLOR as chalk and Node read them');

colour('colourLevel: NO_COLOR wins, FORCE_COLOR forces either way, else a terminal only', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  assert.is(colourLevel(tty, {}), 1);
  assert.is(colourLevel(pipe, {}), 0);
  assert.is(colourLevel(pipe, { FORCE_COLOR: '1' }), 1);
  assert.is(colourLevel(pipe, { FORCE_COLOR: '' }), 1);
  assert.is(colourLevel(pipe, { FORCE_COLOR: 'true' }), 1);
  assert.is(colourLevel(pipe, { FORCE_COLOR: '3' }), 3);
  assert.is(colourLevel(pipe, { FORCE_COLOR: '9' }), 3);
  assert.is(colourLevel(tty, { FORCE_COLOR: '0' }), 0);
  assert.is(colourLevel(tty, { FORCE_COLOR: 'false' }), 0);
  assert.is(colourLevel(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }), 0);
  // no-color.org: an empty NO_COLOR is not set.
  assert.is(colourLevel(tty, { NO_COLOR: '' }), 1);
});

/**
 * Python runs `udp-chat echo --port 0` on a pseudo-terminal (stdout a TTY) or a pipe, with the
 * environment given as NAME=VALUE arguments (NAME= unsets), stops it with SIGINT once its banner
 * is out, and prints what it wrote, as Python's repr so the escape bytes show.
 */
const ECHO_ON = String.raw`
import os, pty, signal, subprocess, sys, time
node, main, mode = sys.argv[1:4]
env = dict(os.environ)
for kv in sys.argv[4:]:
    k, v = kv.split('=', 1)
    env.pop(k, None) if v == '-' else env.__setitem__(k, v)
if mode == 'tty':
    master, slave = pty.openpty()
    p = subprocess.Popen([node, main, 'echo', '--port', '0'], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    read = lambda: os.read(master, 4096)
else:
    p = subprocess.Popen([node, main, 'echo', '--port', '0'], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    read = lambda: os.read(p.stdout.fileno(), 4096)
out = b''
deadline = time.time() + 15
while b'echo on' not in out and time.time() < deadline:
    try:
        chunk = read()
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.send_signal(signal.SIGINT)
try:
    p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
print(repr(out))
`;

async function echoBanner(mode: 'tty' | 'pipe', ...env: string[]): Promise<string> {
  const r = await runPython(ECHO_ON, [process.execPath, BIN, mode, 'NO_COLOR=-', 'FORCE_COLOR=-', ...env], 30_000);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /echo on udp/, r.stdout);
  return r.stdout;
}

colour('FORCE_COLOR=1 colours a pipe, FORCE_COLOR=0 keeps a terminal plain, NO_COLOR wins over both', async () => {
  const ESC = /\\x1b\[/;
  assert.not.match(await echoBanner('pipe'), ESC, 'a pipe: no colour');
  assert.match(await echoBanner('pipe', 'FORCE_COLOR=1'), ESC, 'FORCE_COLOR=1 on a pipe colours');
  assert.match(await echoBanner('tty'), ESC, 'a terminal colours');
  assert.not.match(await echoBanner('tty', 'FORCE_COLOR=0'), ESC, 'FORCE_COLOR=0 on a terminal: no colour');
  assert.not.match(await echoBanner('pipe', 'FORCE_COLOR=1', 'NO_COLOR=1'), ESC, 'NO_COLOR wins');
});

colour.run();
