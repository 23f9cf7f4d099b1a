/**
 * Run inside a test's network namespace (helpers/netns.ts): two receivers join an IPv6 group on
 * the namespace's veth, then the real CLI sends one datagram to it with `send --multicast`. Prints
 * one JSON line: what each receiver got and the CLI's exit code.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openGroupReceiver } from '../../src/transports/multicast/group.js';

const [group, port, iface, bin] = process.argv.slice(2) as [string, string, string, string];
const got: string[][] = [[], []];
const receivers = await Promise.all(got.map(() => openGroupReceiver({ group, port: Number(port), interface: iface })));
receivers.forEach((r, i) => r.on('message', (msg) => got[i]!.push(String(msg))));
const deadline = setTimeout(() => finish(-1), 5000);
const cli = spawn(process.execPath, [bin, 'send', '--multicast', group, '-p', port, '--interface', iface, '--ttl', '1', 'hello over IPv6'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
cli.stderr.on('data', (d) => (stderr += d));
const [code] = (await once(cli, 'exit')) as [number];
// The datagram left before the CLI exited; wait (bounded by the deadline above) for both copies.
const check = setInterval(() => {
  if (got.every((g) => g.length > 0)) finish(code);
}, 10);

function finish(exit: number): void {
  clearTimeout(deadline);
  clearInterval(check);
  process.stdout.write(JSON.stringify({ got, code: exit, stderr }) + '\n');
  for (const r of receivers) r.close();
}
