/**
 * Run inside a namespace whose /etc/hosts names ::1 alone `localhost` and `ip6-localhost` (see
 * test/cli/localhost.test.ts): a room on ::1, and `udp-chat chat -H localhost` (UDP) and
 * `-H ip6-localhost --tcp` as a user runs them. Prints one JSON line: who got in, and the exit codes.
 */
import { startChatServer } from '../../src/servers/chat-server.js';
import { eventually } from './udp-peer.js';
import { start } from './spawn.js';

const server = await startChatServer({ host: '::1', port: 0, transport: 'both' });
const result: { joined: string[]; codes: (number | null)[]; stderr: string } = { joined: [], codes: [], stderr: '' };
try {
  const runs = [
    ['carol', ['-H', 'localhost']],
    ['dave', ['-H', 'ip6-localhost', '--tcp']],
  ] as const;
  for (const [name, args] of runs) {
    const chat = start(['chat', ...args, '-p', String(server.port), '--name', name]);
    chat.stderr.on('data', (d) => (result.stderr += d));
    const exit = new Promise<number | null>((resolve) => chat.once('exit', resolve));
    await eventually(() => server.room.find(name) !== undefined || chat.exitCode !== null, 5000, `${name} in the room`).catch(() => {});
    if (server.room.find(name)) result.joined.push(name);
    chat.stdin.end('/quit\n');
    result.codes.push(await exit);
  }
} finally {
  await server.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
