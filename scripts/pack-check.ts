/**
 * `node dist/scripts/pack-check.js`: what a user of the published package would meet, tried before
 * publishing. Packs the package as `npm publish` would (prepack builds it), installs the tarball
 * globally into a scratch prefix, and fails when the install prints any warning or when the
 * installed `udp-chat` does not run: its version, every command's help, a demo, an echo server
 * answering a send, and the web page served from the installed files.
 *
 * Not part of `npm test`: the install fetches the dependencies from the npm registry. Every socket
 * it opens is on 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const win = process.platform === 'win32';
const scratch = mkdtempSync(join(tmpdir(), 'udp-chat-pack-'));
const prefix = join(scratch, 'global');
const bin = win ? join(prefix, 'udp-chat.cmd') : join(prefix, 'bin', 'udp-chat');
let failures = 0;

function check(ok: boolean, what: string, detail = ''): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail}`}\n`);
  if (!ok) failures += 1;
}

function npm(args: string[]) {
  return spawnSync(win ? 'npm.cmd' : 'npm', args, { cwd: root, encoding: 'utf8', shell: win });
}

function udpChat(args: string[], timeout = 15_000) {
  return spawnSync(bin, args, { encoding: 'utf8', timeout, shell: win, env: { ...process.env, NO_COLOR: '1' } });
}

/** Starts the installed udp-chat and resolves with the first stdout line that matches. */
function startUntil(args: string[], pattern: RegExp, ms = 10_000): Promise<{ match: RegExpExecArray; stop: () => void }> {
  const child = spawn(bin, args, { shell: win, env: { ...process.env, NO_COLOR: '1' } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`udp-chat ${args.join(' ')} printed no ${pattern} within ${ms} ms: ${out}`));
    }, ms);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ match, stop: () => child.kill('SIGINT') });
      }
    });
  });
}

try {
  const packed = npm(['pack', '--pack-destination', scratch, '--json']);
  check(packed.status === 0, 'npm pack', packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
  process.stdout.write(`     ${info!.filename}: ${info!.size} bytes packed, ${info!.unpackedSize} unpacked, ${info!.entryCount} files\n`);
  const installed = npm(['install', '--global', '--prefix', prefix, join(scratch, info!.filename)]);
  const warnings = `${installed.stdout}\n${installed.stderr}`.split('\n').filter((l) => /\bwarn\b/i.test(l));
  check(installed.status === 0, 'npm install --global from the tarball', installed.stderr);
  check(warnings.length === 0, 'the install printed no warning', warnings.join('\n'));

  // Installed as a dependency of a project with its own version, udp-chat must still print its own.
  const host = join(scratch, 'host-project');
  mkdirSync(host);
  writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host-project', version: '1.0.0', private: true }));
  const asDependency = spawnSync(win ? 'npm.cmd' : 'npm', ['install', '--no-audit', '--no-fund', join(scratch, info!.filename)], { cwd: host, encoding: 'utf8', shell: win });
  check(asDependency.status === 0, 'npm install as a dependency', asDependency.stderr);
  const depVersion = spawnSync(join(host, 'node_modules', '.bin', win ? 'udp-chat.cmd' : 'udp-chat'), ['--version'], { cwd: host, encoding: 'utf8', shell: win });
  check(depVersion.stdout.trim() === pkg.version, `as a dependency of a 1.0.0 project, udp-chat --version still prints ${pkg.version}`, depVersion.stdout + depVersion.stderr);

  const version = udpChat(['--version']);
  check(version.status === 0 && version.stdout.trim() === pkg.version, `udp-chat --version prints ${pkg.version}`, version.stdout + version.stderr);
  const help = udpChat(['--help']);
  // The Commands section only: the Examples section below it also starts lines with `udp-chat`.
  const section = /^Commands:\n([\s\S]*?)\n\n/m.exec(help.stdout)?.[1] ?? '';
  const commands = [...new Set([...section.matchAll(/^ {2}udp-chat (\w+)/gm)].map((m) => m[1]!))];
  check(help.status === 0 && commands.length >= 8, `udp-chat --help lists the commands (${commands.join(', ')})`, help.stdout + help.stderr);
  for (const command of commands) {
    const r = udpChat([command, '--help']);
    check(r.status === 0 && r.stdout.includes(`udp-chat ${command}`), `udp-chat ${command} --help`, r.stderr);
  }
  const demo = udpChat(['demo', 'size', '--count', '20']);
  check(demo.status === 0 && /65507/.test(demo.stdout), 'udp-chat demo size', demo.stderr);

  const echo = await startUntil(['echo', '--port', '0'], /port (\d+)/);
  try {
    const sent = udpChat(['send', '-p', echo.match[1]!, '--wait', '500ms', 'hello']);
    check(sent.status === 0 && sent.stdout.includes('hello'), 'udp-chat send gets its answer from udp-chat echo', sent.stdout + sent.stderr);
  } finally {
    echo.stop();
  }
  const serve = await startUntil(['serve', '--port', '0', '--web', '0'], /https?:\/\/127\.0\.0\.1:(\d+)\//);
  try {
    const page = await fetch(`http://127.0.0.1:${serve.match[1]}/`);
    const html = await page.text();
    check(page.status === 200 && /<html/i.test(html), 'serve --web serves the page from the installed files', `${page.status}`);
  } finally {
    serve.stop();
  }
} catch (err) {
  check(false, 'the check ran to its end', String(err));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(failures === 0 ? 'the package installs cleanly and runs\n' : `${failures} check(s) failed\n`);
process.exitCode = failures === 0 ? 0 : 1;
