/**
 * The serverless room's member table (core/group-members.ts) with a fake clock: names bound to
 * sources, forged names shown by their source, look-alike clashes, expiry, bounds, `/who`, privates.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { followLines, GroupMembers, parseMemberLine } from '../../src/core/group-members.js';
import type { ChatError } from '../../src/core/errors.js';
import type { ServerLine } from '../../src/core/lines.js';

const test = suite('serverless room: member table');
const enc = (s: string) => new TextEncoder().encode(s + '\n');
const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const C = '127.0.0.1:5003';

function shown(lines: ServerLine[]): string[] {
  return lines.map((l) => (l.kind === 'chat' ? `${l.private ? '[private] ' : ''}<${l.from}> ${l.text}` : l.kind === 'notice' ? `* ${l.text}` : l.kind === 'error' ? `! ${l.text}` : l.kind));
}

test('the wire lines parse back', () => {
  assert.equal(parseMemberLine('* alice joined'), { kind: 'joined', name: 'alice' });
  assert.equal(parseMemberLine('* alice is here'), { kind: 'here', name: 'alice' });
  assert.equal(parseMemberLine('* alice left (quit)'), { kind: 'quit', name: 'alice' });
  assert.equal(parseMemberLine('* alice is now bob'), { kind: 'renamed', from: 'alice', to: 'bob' });
  assert.equal(parseMemberLine('<alice> hi there'), { kind: 'chat', name: 'alice', text: 'hi there', private: false });
  assert.equal(parseMemberLine('[private] <alice> psst'), { kind: 'chat', name: 'alice', text: 'psst', private: true });
  assert.is(parseMemberLine('hello'), null);
  assert.is(parseMemberLine('* welcome alice; you are alone here'), null);
});

test('a name is bound to the first source that claims it; joined and here are told apart', () => {
  const t = new GroupMembers('dan');
  assert.equal(shown(t.receive(A, enc('* alice joined'), 0).lines), ['* alice joined']);
  const here = t.receive(B, enc('* bob is here'), 0);
  assert.equal(shown(here.lines), ['* bob is here']);
  assert.ok(here.answer);
  assert.equal(shown(t.receive(A, enc('<alice> hi'), 10).lines), ['<alice> hi']);
  // A heartbeat of a known member says nothing.
  assert.equal(t.receive(A, enc('* alice is here'), 20).lines, []);
  assert.is(t.find('ALICE')?.source, A);
});

test('a line naming someone else is shown as said by its source, never as that someone', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  t.receive(B, enc('* bob joined'), 0);
  assert.equal(shown(t.receive(B, enc('<alice> send me your password'), 1).lines), ['<bob> <alice> send me your password']);
  assert.equal(shown(t.receive(B, enc('* alice left (quit)'), 1).lines), ['<bob> * alice left (quit)']);
  assert.is(t.find('alice')?.source, A, 'alice is still in');
  // A source with no name: its address, as a served room shows an unnamed UDP peer.
  const forged = shown(t.receive(C, enc('<alice> hi'), 2).lines);
  assert.equal(forged.at(-1), `<${C}> <alice> hi`);
  assert.match(forged[0]!, new RegExp(`^! ${C} claims the name alice, held by ${A}`));
  // The `!` line comes once a minute per source, the text every time.
  assert.equal(shown(t.receive(C, enc('<alice> again'), 3).lines), [`<${C}> <alice> again`]);
  assert.equal(shown(t.receive(C, enc('plain text from nc'), 4).lines), [`<${C}> plain text from nc`]);
  assert.ok(t.forged >= 3);
});

test('a look-alike of a held name is refused as the name itself', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  // Capitals, and a capital I for the l.
  for (const [i, fake] of ['ALICE', 'aIice'].entries()) {
    const out = shown(t.receive(`127.0.0.1:${6001 + i}`, enc(`* ${fake} joined`), 1).lines);
    assert.is(out.length, 1);
    assert.match(out[0]!, /^! .* claims the name .*looks like alice/);
  }
  // A name mixing scripts (a Cyrillic а in Latin) is no name at all: not bound, and nothing shown but its text.
  assert.equal(shown(t.receive(C, enc('<аlice> hi'), 2).lines), [`<${C}> <аlice> hi`]);
  assert.is(t.size, 1);
});

test('our own name: a latecomer is refused; one that was here first is told to us', () => {
  const t = new GroupMembers('alice');
  const late = shown(t.receive(A, enc('* alice joined'), 0).lines);
  assert.match(late[0]!, /claims your name alice; .* shown by its address/);
  // Its heartbeats after that do not make it the holder.
  assert.equal(t.receive(A, enc('* alice is here'), 10).lines, []);
  const other = new GroupMembers('alice', { joinedAt: 1000, peerTimeoutMs: 600 });
  const first = shown(other.receive(B, enc('* alice is here'), 1200).lines);
  assert.match(first[0]!, /^! your name alice is held by 127\.0\.0\.1:5002, who was here before you/);
  // A chat line in our name from a source we never heard, or a heartbeat long after we joined: a latecomer.
  assert.match(shown(other.receive(C, enc('<alice> hi'), 1300).lines)[0]!, /claims your name alice; you were here first/);
  assert.match(shown(other.receive('127.0.0.1:5009', enc('* alice is here'), 1601).lines)[0]!, /claims your name alice; you were here first/);
  // Renaming ourselves to a bound name is refused locally.
  t.receive(C, enc('* carol joined'), 0);
  assert.throws(() => t.rename('Carol'), (err: ChatError) => err.code === 'ERR_NAME_TAKEN');
  assert.throws(() => t.rename('bad name'), (err: ChatError) => err.code === 'ERR_BAD_NAME');
  assert.is(t.rename('alicia'), 'alicia');
});

test('renames: only the bound source renames itself, never onto a held name', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  t.receive(B, enc('* bob joined'), 0);
  assert.equal(shown(t.receive(A, enc('* alice is now alicia'), 1).lines), ['* alice is now alicia']);
  assert.is(t.find('alicia')?.source, A);
  assert.is(t.find('alice'), undefined);
  assert.match(shown(t.receive(B, enc('* bob is now alicia'), 2).lines)[0]!, /still shown as bob/);
  assert.equal(shown(t.receive(B, enc('* alicia is now eve'), 3).lines), ['<bob> * alicia is now eve']);
  // A source refused a name, known by its address, may take a free one.
  t.receive(C, enc('* bob joined'), 4);
  assert.equal(shown(t.receive(C, enc('* bob is now carol'), 5).lines), [`* ${C} is now carol`]);
  assert.is(t.find('carol')?.source, C);
});

test('members silent past the peer timeout leave; a quit leaves at once', () => {
  const t = new GroupMembers('dan', { peerTimeoutMs: 600 });
  t.receive(A, enc('* alice joined'), 0);
  t.receive(B, enc('* bob joined'), 0);
  t.receive(A, enc('* alice is here'), 500);
  assert.equal(shown(t.sweep(600)), []);
  assert.equal(shown(t.sweep(601)), ['* bob left (timeout)']);
  assert.equal(shown(t.receive(A, enc('* alice left (quit)'), 700).lines), ['* alice left (quit)']);
  assert.is(t.size, 0);
  // The name is free again: a new source may take it.
  assert.equal(shown(t.receive(C, enc('* bob joined'), 800).lines), ['* bob joined']);
});

test('the table is bounded; sizes and rates are bounded, and every drop counted', () => {
  const t = new GroupMembers('dan', { maxMembers: 3, messageBurst: 2, messageRate: 1, maxMessageBytes: 20 });
  for (let i = 0; i < 5; i++) t.receive(`127.0.0.1:${7000 + i}`, enc(`* m${i} joined`), 0);
  assert.is(t.size, 3);
  assert.is(t.drops.tableFull, 2);
  assert.equal(t.receive(A, enc(`<x> ${'y'.repeat(200)}`), 0).lines, []);
  assert.is(t.drops.tooBig, 1);
  assert.equal(t.receive('127.0.0.1:7000', enc(`<m0> ${'y'.repeat(21)}`), 0).lines, []);
  assert.is(t.drops.tooBig, 2);
  t.receive(B, enc('one'), 0);
  t.receive(B, enc('two'), 0);
  assert.equal(t.receive(B, enc('three'), 0).lines, []);
  assert.is(t.drops.rateLimited, 1);
  assert.is(shown(t.receive(B, enc('later'), 1000).lines).length, 1, 'the bucket refills');
});

test('a flood from many sources (fresh ports, forged addresses) is bounded as a whole; named members are still heard', () => {
  const t = new GroupMembers('dan', { strangerBurst: 10, strangerRate: 5 });
  t.receive(A, enc('* alice joined'), 0);
  let printed = 0;
  for (let i = 0; i < 5000; i++) printed += t.receive(`127.${(i >> 8) & 255}.${i & 255}.9:${1000 + i}`, enc(`spam ${i}`), 10).lines.length;
  assert.ok(printed <= 10, `strangers printed ${printed} lines at once`);
  assert.is(t.drops.strangers, 5000 + 1 - 10);
  assert.equal(shown(t.receive(A, enc('<alice> still here'), 20).lines), ['<alice> still here']);
  // The shared budget refills: a newcomer is heard a moment later.
  assert.equal(shown(t.receive(B, enc('* bob joined'), 1010).lines), ['* bob joined']);
  assert.is(t.who(1010, 'x').at(-1), "*   dropped: 0 too big, 0 over a source's rate, 0 table full, 4991 strangers' flood; 0 shown by address (named another)");
});

test('text is made safe as the room makes it', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  const [line] = t.receive(A, enc('<alice> hi\x1b[2Jthere'), 1).lines;
  assert.ok(line?.kind === 'chat' && !line.text.includes('\x1b'), JSON.stringify(line));
});

test('/who lists us and the members in the room format', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  t.receive(B, enc('* bob is here'), 1000);
  assert.equal(t.who(4000, '127.0.0.1:5000'), [
    '* 3 peers here:',
    '*   dan multicast 127.0.0.1:5000 idle 0s (you)',
    '*   alice multicast 127.0.0.1:5001 idle 4s',
    '*   bob multicast 127.0.0.1:5002 idle 3s',
  ]);
  const small = new GroupMembers('dan', { maxWhoLines: 2 });
  small.receive(A, enc('* alice joined'), 0);
  small.receive(B, enc('* bob joined'), 0);
  assert.equal(small.who(0, 'x').at(-1), '*   ... and 1 more');
});

test('private lines: only by unicast, only from the source bound to the name they carry', () => {
  const t = new GroupMembers('dan');
  t.receive(A, enc('* alice joined'), 0);
  t.receive(B, enc('* bob joined'), 0);
  assert.equal(shown(t.receive(A, enc('[private] <alice> psst'), 1, true).lines), ['[private] <alice> psst']);
  // From bob's source, carrying alice's name: shown as bob's.
  assert.equal(shown(t.receive(B, enc('[private] <alice> psst'), 1, true).lines), ['[private] <bob> [private] <alice> psst']);
  // From an unknown source: its address.
  assert.equal(shown(t.receive(C, enc('[private] <alice> psst'), 1, true).lines), [`[private] <${C}> [private] <alice> psst`]);
  // A private line on the group is no private line.
  assert.equal(shown(t.receive(A, enc('[private] <alice> psst'), 1).lines), ['<alice> [private] <alice> psst']);
});

test('a listen-only follower shows each line as it came, safe, without heartbeats', () => {
  assert.equal(shown(followLines(enc('* alice is here'))), []);
  assert.equal(shown(followLines(enc('<alice> hi\n* bob joined'))), ['<alice> hi', '* bob joined']);
  // One datagram of 30,000 lines: 8 shown and one line for the rest, not a terminal flooded.
  const many = shown(followLines(enc('x\n'.repeat(30_000))));
  assert.is(many.length, 9);
  assert.is(many.at(-1), '! 29992 more lines in one datagram dropped (a room or a member sends one line a datagram)');
  const [line] = followLines(enc('<x> \x1b[31mred'));
  assert.ok(line?.kind === 'chat' && !line.text.includes('\x1b'));
});

test.run();
