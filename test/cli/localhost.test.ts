/**
 * `-H localhost` and `-H ip6-localhost` through the system's own resolver, where they name ::1
 * alone: in a namespace of the test's own (a network and a mount namespace, so its /etc/hosts is
 * bind-mounted over for it alone). Skipped where such a namespace cannot be made.
 */
import { spawnSync, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('chat -H localhost reaches a server on ::1');
const CHILD = fileURLToPath(new URL('../helpers/localhost-child.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'udp-chat-hosts-'));
const HOSTS = join(dir, 'hosts');
writeFileSync(HOSTS, '::1 localhost ip6-localhost\n');
const SETUP = `ip link set lo up && mount --bind '${HOSTS}' /etc/hosts`;

test.after(() => rmSync(dir, { recursive: true, force: true }));

function unavailable(): string | null {
  const probe = spawnSync('unshare', ['-m', '-n', 'sh', '-c', `${SETUP} && getent hosts ip6-localhost`], { encoding: 'utf8', timeout: 5000 });
  if (probe.error) return `no unshare: ${probe.error.message}`;
  return probe.status === 0 && probe.stdout.startsWith('::1') ? null : `no mount and network namespace here: ${(probe.stderr || '').trim().split('\n')[0]}`;
}

test('over UDP (-H localhost) and TCP (-H ip6-localhost), each in the room under its name', async () => {
  const why = unavailable();
  if (why) {
    console.log(`  skipped: ${why}`);
    return;
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('unshare', ['-m', '-n', 'sh', '-c', `${SETUP} && exec '${process.execPath}' '${CHILD}'`], { timeout: 20_000, encoding: 'utf8' }, (err, out, stderr) => {
      if (err) reject(new Error(`${err.message}\n${out}\n${stderr}`));
      else resolve(out);
    });
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { joined: string[]; codes: number[]; stderr: string };
  assert.equal(result.joined, ['carol', 'dave'], stdout);
  assert.equal(result.codes, [0, 0], stdout);
  assert.is(result.stderr, '');
});

test.run();
