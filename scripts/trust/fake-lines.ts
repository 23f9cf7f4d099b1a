/**
 * Item 10: lines that fake other lines. A peer sends `ok`, padding, `* bob left (quit)`, padding,
 * `[private] <bob> psst`: the issue's line (72 and 63 spaces, relayed whole before, and shown at
 * 80 columns as a notice and a private line), then lines padded at random with blanks of every
 * kind (TABs, no-break, em, ideographic spaces, braille blanks, marks stacked on spaces) and with
 * invisible characters (Hangul fillers, zero-width spaces and joiners, tags, variation selectors).
 * The bounds: every line arrives, none with a run of blanks wider than the room's cap or an
 * invisible character left raw, and a plain line arrives byte for byte.
 */
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import type { Random } from '../../src/transports/random.js';
import { startChatServer } from '../../src/servers/chat-server.js';
import { UdpPeer } from '../../test/helpers/udp-peer.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

const FAKE = 'ok' + ' '.repeat(72) + '* bob left (quit)' + ' '.repeat(63) + '[private] <bob> psst';
const BLANKS = [' ', '\t', '\u00a0', '\u2003', '\u3000', '\u2800', '\u205f', ' \u0301', ' \u0301\u200d', '\u2800\ufe0f'];
const INVISIBLE = ['\u3164', '\uffa0', '\u115f', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u034f', '\ufe0f', '\u{e0020}', '\u{e0100}', '\u180e', '\u2062'];
const MAX = DEFAULT_LIMITS.maxBlankRun;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** 9 to 120 pieces of padding, blank or invisible, one kind or mixed. */
function padding(random: Random): string {
  const pieces = 9 + Math.floor(random() * 112);
  const kinds = random() < 0.5 ? [pick(random, [...BLANKS, ...INVISIBLE])] : [...BLANKS, ...INVISIBLE];
  let out = '';
  for (let i = 0; i < pieces; i++) out += pick(random, kinds);
  return out;
}

/** Columns of the widest run of blanks in a line (TAB 8, an ideographic space 2, a mark 0). */
function widestBlank(line: string): number {
  let widest = 0;
  let run = 0;
  for (const ch of line) {
    if (/[\t\p{Zs}\u2800]/u.test(ch)) run += ch === '\t' ? 8 : ch === '\u3000' ? 2 : 1;
    else if (!(run > 0 && /\p{M}/u.test(ch))) run = 0;
    widest = Math.max(widest, run);
  }
  return widest;
}

// Raw invisible characters a relayed line may not hold (a joiner is kept only after a letter it joins).
const RAW_INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const JOINED = /(?<=[^\s\p{C}\p{M}\p{Default_Ignorable_Code_Point}\u2800]\p{M}*)[\u200c\u200d\ufe00-\ufe0f\u{e0100}-\u{e01ef}]{1,2}/gu;

async function run(context: { random: Random; budgetMs: number }): Promise<TrustCheck[]> {
  // The message rate off: the lines are what is under test, not how fast one may send them.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, limits: { messageBurst: 0, messageRate: 0 } });
  const eve = await UdpPeer.open();
  const carol = await UdpPeer.open();
  try {
    eve.send(server.port, '/nick eve');
    await eve.waitFor(/is now eve$/);
    carol.send(server.port, '/nick carol');
    await carol.waitFor(/is now carol$/);
    const heardFrom = carol.lines.length;
    const sent = [FAKE];
    eve.send(server.port, FAKE);
    const deadline = performance.now() + context.budgetMs / 2;
    while (performance.now() < deadline && sent.length < 500) {
      const line = `ok${padding(context.random)}* bob left (quit)${padding(context.random)}[private] <bob> psst`;
      if (new TextEncoder().encode(line).length > DEFAULT_LIMITS.maxMessageBytes) continue;
      sent.push(line);
      eve.send(server.port, line);
      // One in flight at a time keeps loopback from dropping any: the count must be exact.
      if (sent.length % 25 === 0) await carol.waitFor(() => carol.lines.length - heardFrom >= sent.length, 2000).catch(() => '');
    }
    const plain = `a plain line,${' '.repeat(MAX)}spaced within the cap`;
    eve.send(server.port, plain);
    await carol.waitFor(`<eve> ${plain}`, 2000).catch(() => '');
    const heard = carol.lines.slice(heardFrom).filter((l) => l.startsWith('<eve> ') && l !== `<eve> ${plain}`);
    const widest = Math.max(0, ...heard.map(widestBlank));
    const raw = heard.filter((l) => RAW_INVISIBLE.test(l.replace(JOINED, '')));
    const first = heard[0] ?? '';
    return [
      { name: 'every faked line arrives, none dropped', pass: heard.length === sent.length, detail: `${heard.length} of ${sent.length} relayed` },
      {
        name: `no relayed line keeps a run of blanks wider than ${MAX} columns`,
        pass: widest <= MAX && heard.length > 0,
        detail: `widest run ${widest} columns (the issue's line: was 72, now ${widestBlank(first)}; ${first.length} characters, was ${FAKE.length + 6})`,
      },
      { name: 'no relayed line keeps an invisible character raw', pass: raw.length === 0, detail: `${raw.length} of ${heard.length} with one${raw[0] ? `: ${JSON.stringify(raw[0].slice(0, 80))}` : ''}` },
      { name: 'a plain line within the cap arrives byte for byte', pass: carol.lines.includes(`<eve> ${plain}`), detail: JSON.stringify(plain) },
    ];
  } finally {
    eve.close();
    carol.close();
    await server.close();
  }
}

export const fakeLines: TrustScenario = { item: 10, name: 'lines that fake other lines', run };
