import { ChatError } from './errors.js';

// Letters, marks and digits of any script, plus `_ . -`: no whitespace, controls, bidi marks,
// `:` (so nobody can pose as an address-named peer) or `|` (the dialect's separator).
const NAME = /^[\p{L}\p{M}\p{N}_.\-]+$/u;

/** Names nobody may take: they would read as the server speaking. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['server', 'admin', 'root', 'system', 'everyone', 'all', 'you', 'me']);

/** The key two names clash under: NFKC normalised and case-folded, so `Ａlice` and `ALICE` are `alice`. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/** Checks a name a peer chose. Returns the NFC form to use, or throws ERR_BAD_NAME. */
export function validateName(input: string, maxLength: number): string {
  const name = input.normalize('NFC');
  const length = [...name].length;
  if (length === 0) throw new ChatError('ERR_BAD_NAME', 'a name needs at least one character');
  if (length > maxLength) throw new ChatError('ERR_BAD_NAME', `a name has at most ${maxLength} characters`);
  if (!NAME.test(name) || !NAME.test(name.normalize('NFKC'))) {
    throw new ChatError('ERR_BAD_NAME', 'a name has only letters, digits, _ . and -');
  }
  if (RESERVED_NAMES.has(nameKey(name))) throw new ChatError('ERR_BAD_NAME', `'${name}' is reserved`);
  return name;
}
