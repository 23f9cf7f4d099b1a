/**
 * Issue 10, item 9: look-alike and invisible names. With `alice` in the room, the room used to
 * accept `alice` with an invisible character stuck on, a Cyrillic `аlice`, a Cyrillic `ѕerver`,
 * and names of nothing but fillers or marks. Names now follow UTS #39 and clash by skeleton.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { knownScripts, mixedScripts, nameKey, skeleton, validateName } from '../../src/core/names.js';
import { isGuestKey } from '../../src/core/tickets.js';
import { eventKinds, refused, roomHarness as setup } from '../helpers/room-harness.js';

const MAX = DEFAULT_LIMITS.maxNameLength;

/** The refusal's message, or null when the name is accepted. */
function refusal(name: string): string | null {
  try {
    validateName(name, MAX);
    return null;
  } catch (err) {
    assert.instance(err, ChatError);
    assert.is((err as ChatError).code, 'ERR_BAD_NAME');
    return (err as ChatError).message;
  }
}

// Every name of the issue, with the rule its refusal must name.
const ISSUE_NAMES: Array<[why: string, name: string, rule: RegExp]> = [
  ['alice + U+034F COMBINING GRAPHEME JOINER', 'alice\u034f', /invisible characters \(U\+034F\)/],
  ['alice + U+FE0F VARIATION SELECTOR-16', 'alice\ufe0f', /invisible characters \(U\+FE0F\)/],
  ['alice + U+E0100 VARIATION SELECTOR-17', 'alice\u{e0100}', /invisible characters \(U\+E0100\)/],
  ['Cyrillic а + Latin lice', '\u0430lice', /one script: .* mixes Cyrillic 'а' \(U\+0430\) and Latin 'l'/],
  ['Cyrillic ѕ + Latin erver', '\u0455erver', /looks like 'server', which is reserved/],
  ['U+3164 HANGUL FILLER alone', '\u3164', /invisible characters \(U\+3164\)/],
  ['U+115F U+1160 HANGUL CHOSEONG and JUNGSEONG FILLERS', '\u115f\u1160', /invisible characters \(U\+115F\)/],
  ['three U+0301 COMBINING ACUTE ACCENT', '\u0301\u0301\u0301', /not a combining mark/],
];

const rules = suite('item 9: each name of the issue is refused, saying which rule');

for (const [why, name, rule] of ISSUE_NAMES) {
  rules(why, () => {
    const message = refusal(name);
    assert.ok(message, `${JSON.stringify(name)} was accepted`);
    assert.match(message!, rule);
  });
}

rules('in a room where alice is, every one of them is refused and alice stays the only alice', () => {
  const h = setup({ limits: { renameBurst: 0 } });
  const [alice, mallory] = h.crowd('alice', 'mallory');
  for (const [, name] of ISSUE_NAMES) {
    refused(h, mallory!, [alice!], `/nick ${name}`);
    assert.is(mallory!.peer.name, 'mallory');
  }
  assert.equal(eventKinds(h.events), ISSUE_NAMES.map(() => 'ERR_BAD_NAME'));
  assert.is(h.room.find('alice'), alice!.peer);
});

rules('other invisible fillers and format characters are refused too', () => {
  for (const name of ['\uffa0', 'bob\uffa0', 'bob\u180e', 'bob\u2060', 'bob\u{e0041}', 'bo\u17b4b', 'ᅠ']) {
    assert.ok(refusal(name), JSON.stringify(name));
  }
});

rules('marks: none first, at most four nonspacing marks in a row, none doubled (UTS #39 5.4)', () => {
  assert.match(refusal('\u0301abc')!, /combining mark/);
  assert.match(refusal('a\u0301\u0301')!, /at most 4 combining marks/);
  assert.match(refusal('a\u0300\u0301\u0302\u0303\u0304')!, /at most 4 combining marks/);
  assert.is(refusal('a\u0300\u0301\u0302\u0303'), null);
  assert.is(refusal('नमस्ते'), null);
});

rules.run();

const scripts = suite('item 9: one script per name (UTS #39 5.1, Script_Extensions)');

const SINGLE: string[] = [
  'alice',
  'Zoë',
  'bob_42',
  '-',
  '7',
  '42_.-',
  'анна',
  'Ωμέγα',
  '李雷',
  '한글',
  '김철수',
  '山田たろう', // Han + Hiragana: Japanese, one writing system
  'テスト',
  '김李', // Han + Hangul: Korean
  'ㄅㄆ李', // Bopomofo + Han
  'علي',
  'علي٣', // Arabic-Indic digit: Script_Extensions Arabic
  'नमस्ते',
  'Ａlice',
  'e\u0301e\u0301', // Inherited marks go with any script
];

for (const name of SINGLE) {
  scripts(`${JSON.stringify(name)} is one script and accepted`, () => {
    assert.is(mixedScripts(name), null);
    assert.is(refusal(name), null);
  });
}

const MIXED: Array<[name: string, scripts: RegExp]> = [
  ['\u0430lice', /Cyrillic.*Latin/],
  ['alic\u0435', /Latin.*Cyrillic/],
  ['p\u0430ypal', /Latin.*Cyrillic/],
  ['bob\u03bf', /Latin.*Greek/],
  ['alice\u0661', /Latin.*Arabic/],
  ['テスト한', /Hangul/],
  ['abcא', /Latin.*Hebrew/],
];

for (const [name, which] of MIXED) {
  scripts(`${JSON.stringify(name)} mixes scripts and is refused, naming them`, () => {
    assert.ok(mixedScripts(name));
    assert.match(refusal(name)!, which);
  });
}

scripts('every letter and digit Node knows belongs to some listed script, or to Common or Inherited', () => {
  // If a newer Unicode adds a script, its names would be refused until SCRIPT_CODES lists it.
  const listed = new RegExp(`[${['Zyyy', 'Zinh', ...knownScripts()].map((code) => `\\p{scx=${code}}`).join('')}]`, 'u');
  assert.ok(knownScripts().length >= 160, `${knownScripts().length} scripts`);
  const unlisted: string[] = [];
  for (let code = 0; code <= 0x3ffff; code++) {
    const ch = String.fromCodePoint(code);
    if (/[\p{L}\p{N}]/u.test(ch) && !listed.test(ch)) unlisted.push(`U+${code.toString(16)}`);
  }
  assert.equal(unlisted.slice(0, 10), []);
});

scripts.run();

const clash = suite('item 9: names clash by confusable skeleton (UTS #39 section 4)');

const CLASHES: Array<[a: string, b: string]> = [
  ['alice', '\u0430lice'], // Cyrillic а
  ['alice', 'ALICE'],
  ['alice', 'Ａlice'],
  ['alice', 'a1ice'], // digit one
  ['alice', 'alice\u034f'], // an invisible character is ignored
  ['bob', 'b0b'], // digit zero
  ['ape', '\u0430\u0440\u0435'], // all-Cyrillic, a whole-script confusable
  ['mary', 'rnary'],
  ['server', '\u0455erver'],
  ['Zoë', 'Zoe\u0308'],
  ['x2', 'x²'],
];

for (const [a, b] of CLASHES) {
  clash(`${JSON.stringify(a)} and ${JSON.stringify(b)} share a key`, () => {
    assert.is(nameKey(a), nameKey(b));
  });
}

const APART: Array<[a: string, b: string]> = [
  ['alice', 'alice2'],
  ['alice', 'alíce'],
  ['bob', 'b.o.b'],
  ['李雷', '李'],
  ['anna', 'anne'],
];

for (const [a, b] of APART) {
  clash(`${JSON.stringify(a)} and ${JSON.stringify(b)} do not`, () => {
    assert.is.not(nameKey(a), nameKey(b));
  });
}

clash('the skeleton maps with the confusables data, not by hand: Greek, Cyrillic and Latin A agree', () => {
  assert.is(skeleton('A\u0391\u0410'), 'AAA');
  assert.is(skeleton('m'), 'rn');
});

clash('in a room with ape, an all-Cyrillic аре is refused: the name looks like ape', () => {
  const h = setup();
  const [ape, mallory] = h.crowd('ape', 'mallory');
  const told = refused(h, mallory!, [ape!], '/nick \u0430\u0440\u0435');
  assert.is(told, '! name taken: \u0430\u0440\u0435 looks like ape, who is here');
  assert.equal(eventKinds(h.events), ['ERR_NAME_TAKEN']);
});

clash('the same name in other case is still just taken', () => {
  const h = setup();
  const [alice, mallory] = h.crowd('alice', 'mallory');
  assert.is(refused(h, mallory!, [alice!], '/nick ALICE'), '! name taken: ALICE');
});

clash('reserved names are compared by skeleton: Cyrillic ѕеrvеr and аll are reserved', () => {
  assert.match(refusal('\u0455\u0435rv\u0435r')!, /looks like 'server', which is reserved/);
  assert.match(refusal('SERVER')!, /'SERVER' is reserved/);
  assert.match(refusal('\u0430ll')!, /looks like 'all', which is reserved/);
});

clash.run();

const shape = suite('item 9: a capital that looks like another lowercase letter clashes too');

shape('aIice (a capital i) clashes with alice by its shape, ALICE by its key, and mathematical 𝛼𝚰ice mixes scripts', () => {
  const h = setup({ limits: { renameBurst: 0 } });
  const [alice, mallory] = h.crowd('alice', 'mallory');
  assert.is(refused(h, mallory!, [alice!], '/nick aIice'), '! name taken: aIice looks like alice, who is here');
  // Mathematical letters are Common as written, Greek and Latin once NFKC has made them letters.
  assert.is(refused(h, mallory!, [alice!], '/nick \u{1d6fc}\u{1d6b0}ice'), `! a name uses one script: '\u{1d6fc}\u{1d6b0}ice' mixes Greek '\u03b1' (U+03B1) and Latin 'i' (U+0069)`);
  assert.is(refused(h, mallory!, [alice!], '/nick ALICE'), '! name taken: ALICE');
});

shape('the other way round: with aIice in the room, alice is taken', () => {
  const h = setup();
  const [held, other] = h.crowd('aIice', 'bob');
  assert.is(refused(h, other!, [held!], '/nick alice'), '! name taken: alice looks like aIice, who is here');
});

shape('a shape is given up with the name: after a rename or a leave, alice is free', () => {
  const h = setup({ limits: { renameBurst: 0 } });
  const [held, other] = h.crowd('aIice', 'bob');
  h.send(held!, '/nick carol');
  h.send(other!, '/nick alice');
  assert.is(other!.peer.name, 'alice');
  h.send(other!, '/quit');
  const [again] = h.crowd('alice');
  assert.is(again!.peer.name, 'alice');
});

shape('Ian and lan clash (in a sans-serif font they are the same), distinct names stay distinct', () => {
  const h = setup();
  const [ian, other] = h.crowd('Ian', 'bob');
  assert.is(refused(h, other!, [ian!], '/nick lan'), '! name taken: lan looks like Ian, who is here');

  for (const [a, b] of [['alice', 'allce'], ['bill', 'biii'], ['Iris', 'iris2']] as const) {
    const h = setup();
    const [x, y] = h.crowd(a, b);
    assert.is(x!.peer.name, a);
    assert.is(y!.peer.name, b);
  }
});

shape.run();

const guests = suite('item 9 with tickets: guest names clash by key too');

guests('every guest number, and a name that looks like one, is a guest key; other names are not', () => {
  for (let n = 0; n <= 1000; n++) assert.ok(isGuestKey(nameKey(`guest${n}`)), `guest${n}: ${nameKey(`guest${n}`)}`);
  for (const name of ['GUEST12', 'guest1O', 'guestl0']) assert.ok(isGuestKey(nameKey(name)), name);
  for (const name of ['guest', 'guests', 'guest_1', 'alice1']) assert.not.ok(isGuestKey(nameKey(name)), name);
});

guests.run();
