/**
 * Run inside a test's network namespace (helpers/netns.ts): two serverless members, alice and bob,
 * in an IPv6 group on the namespace's veth; alice speaks to the group, then privately to bob by
 * unicast to his IPv6 source. Prints one JSON line: the lines each saw (as `kind text`).
 */
import { GroupChat } from '../../src/client/group-chat.js';
import type { ServerLine } from '../../src/core/lines.js';

const [group, port, iface] = process.argv.slice(2) as [string, string, string];
const seen: Record<string, string[]> = { alice: [], bob: [] };
const show = (l: ServerLine) => (l.kind === 'chat' ? `${l.private ? '[private] ' : ''}<${l.from}> ${l.text}` : `${l.kind} ${'text' in l ? l.text : ''}`);
const deadline = Date.now() + 5000;
async function until(check: () => boolean): Promise<boolean> {
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
const open = async (name: string) => {
  const chat = await GroupChat.open({ group, port: Number(port), interface: iface, ttl: 1, name });
  chat.on('line', (l) => seen[name]!.push(show(l)));
  chat.start();
  return chat;
};
const bob = await open('bob');
const alice = await open('alice');
try {
  await until(() => seen['bob']!.some((l) => l.includes('alice joined')) && seen['alice']!.some((l) => l.includes('bob')));
  alice.say('hello over IPv6');
  await until(() => seen['bob']!.includes('<alice> hello over IPv6'));
  alice.say('/msg bob psst');
  await until(() => seen['bob']!.includes('[private] <alice> psst'));
} finally {
  await alice.close();
  await bob.close();
}
process.stdout.write(JSON.stringify(seen) + '\n');
