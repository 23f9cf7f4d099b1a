/**
 * Names peers choose, checked as Unicode's security mechanisms for identifiers (UTS #39) say, so
 * that nobody can pose as someone else with a name that looks like theirs:
 *
 * - letters, marks and digits of any script plus `_ . -`, and no default-ignorable code point
 *   (variation selectors, the combining grapheme joiner, Hangul fillers: invisible, so `alice`
 *   with one stuck on would look like `alice`);
 * - one script (UTS #39 5.1, "single script" with Script_Extensions, Common and Inherited
 *   belonging to every script, and Han with Hiragana, Katakana, Hangul or Bopomofo counting as the
 *   one script of Japanese, Korean or Chinese), so a Cyrillic `а` cannot hide in `alice`;
 * - no combining mark first, no run of more than 4 nonspacing marks and none repeated (UTS #39 5.4),
 *   so no name is only marks, and none stacks marks over its neighbours' lines;
 * - two names clash when their confusable skeletons (UTS #39 section 4) agree, case folded, so
 *   an all-Cyrillic `аре` clashes with `ape` (nameKey), or as written, so a capital I clashes
 *   with an l (nameShape); the reserved names are compared the same way.
 *
 * The skeleton's data is confusables.txt as the `unhomoglyph` package ships it (nodeca, MIT);
 * scripts, default-ignorables and marks come from Node's own ICU through regex property escapes.
 * Names are checked on a rename only, never on the message path.
 */
import unhomoglyph from 'unhomoglyph';
import { ChatError } from './errors.js';

// Letters, marks and digits of any script, plus `_ . -`: no whitespace, controls, bidi marks,
// `:` (so nobody can pose as an address-named peer) or `|` (the dialect's separator).
const NAME = /^[\p{L}\p{M}\p{N}_.\-]+$/u;
// Invisible by definition: a renderer shows nothing for them.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const IGNORABLES = /\p{Default_Ignorable_Code_Point}/gu;
const MARK = /^\p{M}/u;
// UTS #39 5.4: more than four nonspacing marks in a row, or the same one twice, in NFD.
const MARK_PILE = /\p{Mn}{5}|(\p{Mn})\1/u;
// Script_Extensions {Common} or {Inherited}: such a character goes with any script.
const ANY_SCRIPT = /[\p{scx=Zyyy}\p{scx=Zinh}]/u;

/**
 * The scripts a name may be written in, by ISO 15924 code: every script Unicode 17 has, as Node's
 * ICU knows them. A code the running Node does not know (an older ICU) is skipped, and a letter
 * of a script missing here fits no script, so its name is refused: the list fails closed.
 */
const SCRIPT_CODES =
  'Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Miao Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Tols Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb';

/** The ISO 15924 codes of the scripts this Node's ICU knows, of those a name may be written in. */
export function knownScripts(): string[] {
  return scriptList()
    .map((s) => s.code)
    .filter((code) => !(code in AUGMENTED));
}

/** UTS #39's augmented scripts: Han written with kana, hangul or bopomofo is one writing system. */
const AUGMENTED: Readonly<Record<string, readonly string[]>> = { Jpan: ['Hani', 'Hira', 'Kana'], Kore: ['Hani', 'Hang'], Hanb: ['Hani', 'Bopo'] };

interface Script {
  code: string;
  has: RegExp;
}

let scripts: Script[] | undefined;

function scriptList(): Script[] {
  if (scripts) return scripts;
  scripts = [];
  for (const code of SCRIPT_CODES.split(' ')) {
    try {
      scripts.push({ code, has: new RegExp(`^\\p{scx=${code}}$`, 'u') });
    } catch {
      // This Node's ICU predates the script; its letters fit no script and are refused.
    }
  }
  const known = new Set(scripts.map((s) => s.code));
  for (const [code, parts] of Object.entries(AUGMENTED)) {
    if (parts.every((p) => known.has(p))) scripts.push({ code, has: new RegExp(`^[${parts.map((p) => `\\p{scx=${p}}`).join('')}]$`, 'u') });
  }
  return scripts;
}

const scriptNames = new Intl.DisplayNames(['en'], { type: 'script' });

function scriptName(code: string): string {
  return scriptNames.of(code) ?? code;
}

/**
 * Null when every character of the name fits one script (Common and Inherited fit all), else the
 * two characters that do not go together and a script of each, for the refusal.
 */
export function mixedScripts(name: string): { first: string; other: string; firstScript: string; otherScript: string } | null {
  let fits: Script[] | undefined;
  let first = '';
  for (const ch of name) {
    if (ANY_SCRIPT.test(ch)) continue;
    const own = (fits ?? scriptList()).filter((s) => s.has.test(ch));
    if (!fits) {
      fits = own;
      first = ch;
      continue;
    }
    if (own.length === 0) {
      const otherScript = scriptList().find((s) => s.has.test(ch))?.code ?? 'Zzzz';
      return { first, other: ch, firstScript: fits[0]?.code ?? 'Zzzz', otherScript };
    }
    fits = own;
  }
  if (fits && fits.length === 0) return { first, other: first, firstScript: 'Zzzz', otherScript: 'Zzzz' };
  return null;
}

/**
 * UTS #39's skeleton: NFD, default-ignorables removed, each character mapped to its prototype in
 * confusables.txt, NFD again. Two strings that look alike have the same skeleton (`m` is `rn`,
 * Cyrillic `а` is `a`). Not for display: it is only compared.
 */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD').replace(IGNORABLES, '')).normalize('NFD');
}

/**
 * The key two names clash under: NFKC and case folded (so `Ａlice` and `ALICE` are `alice`), then
 * its skeleton, lowercased again (confusables.txt maps the digit `0` to a capital `O`), so `аlice`
 * in Cyrillic, `ALICE`, `alice` and `a1ice` share one key. Case is folded first, as for any
 * case-insensitive identifier: a capital `I` is therefore not taken for an `l`.
 */
export function nameKey(name: string): string {
  return skeleton(name.normalize('NFKC').toLowerCase()).toLowerCase();
}

/**
 * A second clash key for what folding case first misses: the skeleton of the name as written,
 * then lowercased, so a capital that looks like another lowercase letter clashes too (`aIice`,
 * with a capital i, or Greek `αΙice`, looks like `alice`). Two names clash when either key agrees.
 */
export function nameShape(name: string): string {
  return skeleton(name.normalize('NFKC')).toLowerCase();
}

/** Names nobody may take: they would read as the server speaking. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['server', 'admin', 'root', 'system', 'everyone', 'all', 'you', 'me']);

// By key, so `ѕеrvеr` with Cyrillic letters, `SERVER` and `ｓｅｒｖｅｒ` are reserved as `server` is.
const RESERVED_KEYS: ReadonlyMap<string, string> = new Map([...RESERVED_NAMES].map((n) => [nameKey(n), n]));
const RESERVED_SHAPES: ReadonlyMap<string, string> = new Map([...RESERVED_NAMES].map((n) => [nameShape(n), n]));

function escaped(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function bad(message: string): ChatError {
  return new ChatError('ERR_BAD_NAME', message);
}

/** Checks a name a peer chose. Returns the NFC form to use, or throws ERR_BAD_NAME saying which rule it broke. */
export function validateName(input: string, maxLength: number): string {
  const name = input.normalize('NFC');
  const length = [...name].length;
  if (length === 0) throw bad('a name needs at least one character');
  if (length > maxLength) throw bad(`a name has at most ${maxLength} characters`);
  if (!NAME.test(name) || !NAME.test(name.normalize('NFKC'))) throw bad('a name has only letters, digits, _ . and -');
  const invisible = IGNORABLE.exec(name);
  if (invisible) throw bad(`a name has no invisible characters (${escaped(invisible[0])})`);
  if (MARK.test(name)) throw bad('a name starts with a letter, digit, _ . or -, not a combining mark');
  if (MARK_PILE.test(name.normalize('NFD'))) throw bad('a name has at most 4 combining marks in a row, none repeated');
  const reserved = RESERVED_KEYS.get(nameKey(name)) ?? RESERVED_SHAPES.get(nameShape(name));
  if (reserved !== undefined) throw bad(reserved === name.toLowerCase() ? `'${name}' is reserved` : `'${name}' looks like '${reserved}', which is reserved`);
  // As written and as NFKC makes it: mathematical letters are Common, but `𝛼` is a Greek alpha.
  const mixed = mixedScripts(name) ?? mixedScripts(name.normalize('NFKC'));
  if (mixed) {
    throw bad(
      `a name uses one script: '${name}' mixes ${scriptName(mixed.firstScript)} '${mixed.first}' (${escaped(mixed.first)}) and ${scriptName(mixed.otherScript)} '${mixed.other}' (${escaped(mixed.other)})`,
    );
  }
  return name;
}
