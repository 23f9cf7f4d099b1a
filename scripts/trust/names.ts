/**
 * Item 9: look-alike and invisible names. With `alice` in a live room, a peer tries every name of
 * the issue (alice with U+034F, U+FE0F or U+E0100 stuck on, Cyrillic `аlice` and `ѕerver`, the
 * Hangul fillers, three combining accents; all accepted before), then look-alikes drawn at random:
 * alice's letters swapped for characters confusables.txt says look the same (a capital I for the
 * l among them), or the name in capitals, with invisible characters added. The bounds: none is accepted, alice is still the only alice, and
 * names in other scripts are still accepted.
 */
import { createRequire } from 'node:module';
import { nameKey } from '../../src/core/names.js';
import type { Random } from '../../src/transports/random.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { UdpPeer } from '../../test/helpers/udp-peer.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

const ISSUE_NAMES = ['alice\u034f', 'alice\ufe0f', 'alice\u{e0100}', '\u0430lice', '\u0455erver', '\u3164', '\u115f\u1160', '\u0301\u0301\u0301'];
const INVISIBLE = ['\u034f', '\ufe0f', '\u{e0100}', '\u3164', '\uffa0', '\u115f', '\u1160', '\u17b4', '\u180b', '\u{e0061}'];
const HONEST = ['анна', '李雷', 'Ωμέγα', '山田たろう', '한글', 'Zoë', 'bob_42'];

/** Every character confusables.txt maps to one letter of `name`, by letter: what a forger swaps in. */
function lookAlikes(name: string): Map<string, string[]> {
  const data = createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>;
  const out = new Map<string, string[]>([...name].map((ch) => [ch, []]));
  for (const [from, to] of Object.entries(data)) out.get(to)?.push(from);
  return out;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * `alice` with letters swapped for look-alikes, or in capitals (a capital for one letter is not a
 * look-alike: `I` for `i` has no dot), and now and then an invisible character.
 */
function forged(random: Random, swaps: Map<string, string[]>): string {
  let name = '';
  for (const ch of 'alice') name += random() < 0.5 ? pick(random, swaps.get(ch)!) : ch;
  if (name === 'alice' && random() < 0.5) name = random() < 0.5 ? 'ALICE' : 'Alice';
  if (name === 'alice' || random() < 0.3) name = name.slice(0, 2) + pick(random, INVISIBLE) + name.slice(2);
  return name;
}

/** Sends `/nick name` and resolves with the answer: `!` refused, `*` renamed. */
async function tryName(peer: UdpPeer, port: number, name: string): Promise<string> {
  const seen = peer.lines.length;
  peer.send(port, `/nick ${name}`);
  return peer.waitFor((line) => peer.lines.indexOf(line, seen) >= seen && /^(! |\* .* is now |\* you are already )/.test(line), 2000);
}

async function run(context: { random: Random; budgetMs: number }): Promise<TrustCheck[]> {
  // Renames and the output budget unlimited: the names are what is under test, not the rename
  // rate nor how many refusals one peer may be told a second.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, limits: { renameBurst: 0, messageBurst: 0, messageRate: 0, outputBytesPerPeer: 0, outputBytesPerIp: 0 } });
  const alice = await UdpPeer.open();
  const mallory = await UdpPeer.open();
  try {
    alice.send(server.port, '/nick alice');
    await alice.waitFor(/is now alice$/);
    mallory.send(server.port, '/nick mallory');
    await mallory.waitFor(/is now mallory$/);
    const accepted: string[] = [];
    const issueAccepted: string[] = [];
    for (const name of ISSUE_NAMES) if (!(await tryName(mallory, server.port, name)).startsWith('! ')) issueAccepted.push(name);
    const swaps = lookAlikes('alice');
    const deadline = performance.now() + context.budgetMs / 2;
    let tried = 0;
    while (performance.now() < deadline && tried < 2000) {
      const name = forged(context.random, swaps);
      tried += 1;
      const answer = await tryName(mallory, server.port, name);
      if (!answer.startsWith('! ')) {
        accepted.push(JSON.stringify(name));
        // Take mallory back, so the next try is a rename again.
        await tryName(mallory, server.port, 'mallory');
      }
    }
    const honest: string[] = [];
    for (const name of HONEST) if ((await tryName(mallory, server.port, name)).startsWith('! ')) honest.push(name);
    const alices = server.room.snapshot(0).filter((p) => nameKey(p.name) === nameKey('alice')).map((p) => p.name);
    return [
      {
        name: 'the names of the issue are refused with alice present',
        pass: issueAccepted.length === 0,
        detail: `${ISSUE_NAMES.length - issueAccepted.length} of ${ISSUE_NAMES.length} refused (was 0 of ${ISSUE_NAMES.length})${issueAccepted.length ? `; accepted ${issueAccepted.map((n) => JSON.stringify(n)).join(' ')}` : ''}`,
      },
      {
        name: 'random look-alikes of alice (confusables.txt swaps, case, invisible characters) are refused',
        pass: accepted.length === 0 && tried >= 100,
        detail: `${tried - accepted.length} of ${tried} refused${accepted.length ? `; accepted ${accepted.slice(0, 5).join(' ')}` : ''}`,
      },
      { name: 'alice is still the only name with her key', pass: alices.length === 1 && alices[0] === 'alice', detail: `names keyed alice: ${alices.join(', ')}` },
      { name: 'names in other scripts are still accepted', pass: honest.length === 0, detail: `${HONEST.length - honest.length} of ${HONEST.length} accepted${honest.length ? `; refused ${honest.join(' ')}` : ''}` },
    ];
  } finally {
    alice.close();
    mallory.close();
    await server.close();
  }
}

export const names: TrustScenario = { item: 9, name: 'look-alike and invisible names', run };
