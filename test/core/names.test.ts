import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { RESERVED_NAMES, nameKey, validateName } from '../../src/core/names.js';

const MAX = DEFAULT_LIMITS.maxNameLength;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ChatError);
    return (err as ChatError).code;
  }
  return undefined;
}

const valid = suite('validateName: accepted names');

const good: Array<[input: string, expected: string]> = [
  ['alice', 'alice'],
  ['Bob', 'Bob'],
  ['bob_42', 'bob_42'],
  ['a.b-c', 'a.b-c'],
  ['-', '-'],
  ['7', '7'],
  ['Zoë', 'Zoë'],
  ['Zoe\u0308', 'Zo\u00eb'],
  ['李雷', '李雷'],
  ['анна', 'анна'],
  ['Ωμέγα', 'Ωμέγα'],
  ['한글', '한글'],
  ['علي', 'علي'],
  ['नमस्ते', 'नमस्ते'],
  ['Ａlice', 'Ａlice'],
  ['x'.repeat(MAX), 'x'.repeat(MAX)],
  ['李'.repeat(MAX), '李'.repeat(MAX)],
  ['e\u0301'.repeat(MAX), '\u00e9'.repeat(MAX)],
];

for (const [input, expected] of good) {
  valid(`${JSON.stringify(input)} is accepted as ${JSON.stringify(expected)}`, () => {
    assert.is(validateName(input, MAX), expected);
  });
}

valid('the returned name is in NFC', () => {
  for (const [input] of good) {
    const name = validateName(input, MAX);
    assert.is(name, name.normalize('NFC'));
  }
});

valid('the length limit counts characters, not UTF-16 units or bytes', () => {
  assert.is(validateName('𝒜'.repeat(3), 3), '𝒜'.repeat(3));
  assert.is(codeOf(() => validateName('𝒜'.repeat(4), 3)), 'ERR_BAD_NAME');
});

valid.run();

const invalid = suite('validateName: refused names');

const bad: Array<[why: string, input: string]> = [
  ['an empty name', ''],
  ['a name one character too long', 'x'.repeat(MAX + 1)],
  ['a non-ASCII name one character too long', 'ё'.repeat(MAX + 1)],
  ['a decomposed name that is too long once composed', 'e\u0301'.repeat(MAX + 1)],
  ['a space', ' '],
  ['a name with a space', 'bob smith'],
  ['a leading space', ' bob'],
  ['a tab', 'bob\tsmith'],
  ['a newline', 'bob\n'],
  ['a no-break space', 'bob\u00a0smith'],
  ['an ideographic space', '李\u3000雷'],
  ['a NUL', 'bob\u0000'],
  ['an ESC sequence', '\u001b[31mbob'],
  ['a BEL', 'bob\u0007'],
  ['a DEL', 'bob\u007f'],
  ['a C1 control', 'bob\u009b'],
  ['a bidi override U+202E', 'bob\u202ecod.exe'],
  ['a bidi isolate U+2066', '\u2066bob'],
  ['a left-to-right mark', 'bob\u200e'],
  ['a zero-width space', 'bo\u200bb'],
  ['a zero-width joiner', 'bo\u200db'],
  ['a soft hyphen', 'bo\u00adb'],
  ['a colon, as in an address', '127.0.0.1:5000'],
  ['a colon alone', ':'],
  ['a bracketed IPv6 address', '[::1]:5000'],
  ['a pipe', 'a|b'],
  ['a small colon that is a colon under NFKC', 'a\ufe55b'],
  ['a fullwidth pipe', 'a\uff5cb'],
  ['angle brackets', '<bob>'],
  ['a star', '*'],
  ['a bang', '!'],
  ['a slash', 'a/b'],
  ['an emoji', 'bob😀'],
  ['a backslash', 'a\\b'],
];

for (const [why, input] of bad) {
  invalid(`${why} is refused with ERR_BAD_NAME`, () => {
    assert.is(codeOf(() => validateName(input, MAX)), 'ERR_BAD_NAME');
  });
}

const reserved = ['server', 'Server', 'SERVER', 'admin', 'Admin', 'root', 'ROOT', 'system', 'everyone', 'all', 'ALL', 'you', 'me', 'Me', 'ｓｅｒｖｅｒ', 'ＲＯＯＴ'];
for (const input of reserved) {
  invalid(`the reserved name ${JSON.stringify(input)} is refused with ERR_BAD_NAME`, () => {
    assert.is(codeOf(() => validateName(input, MAX)), 'ERR_BAD_NAME');
  });
}

invalid('a name that merely contains a reserved word is accepted', () => {
  assert.is(validateName('servers', MAX), 'servers');
  assert.is(validateName('admin2', MAX), 'admin2');
  assert.is(validateName('root_', MAX), 'root_');
});

invalid('every entry of RESERVED_NAMES is refused', () => {
  for (const name of RESERVED_NAMES) assert.is(codeOf(() => validateName(name, MAX)), 'ERR_BAD_NAME');
});

invalid('the limit passed in is the one enforced', () => {
  assert.is(validateName('abc', 3), 'abc');
  assert.is(codeOf(() => validateName('abcd', 3)), 'ERR_BAD_NAME');
  assert.is(codeOf(() => validateName('a', 0)), 'ERR_BAD_NAME');
});

invalid.run();

const keys = suite('nameKey');

const clashes: Array<[a: string, b: string]> = [
  ['alice', 'ALICE'],
  ['alice', 'Alice'],
  ['alice', 'Ａlice'],
  ['alice', 'ＡＬＩＣＥ'],
  ['Zoë', 'ZOË'],
  ['Zoë', 'Zoe\u0308'],
  ['анна', 'АННА'],
  ['ﬁsh', 'fish'],
  ['x2', 'x²'],
];

for (const [a, b] of clashes) {
  keys(`${JSON.stringify(a)} and ${JSON.stringify(b)} clash`, () => {
    assert.is(nameKey(a), nameKey(b));
  });
}

const distinct: Array<[a: string, b: string]> = [
  ['alice', 'alice2'],
  ['alice', 'alíce'],
  ['李雷', '李'],
  ['bob', 'b.o.b'],
];

for (const [a, b] of distinct) {
  keys(`${JSON.stringify(a)} and ${JSON.stringify(b)} do not clash`, () => {
    assert.is.not(nameKey(a), nameKey(b));
  });
}

keys('the key of a fullwidth name is its ASCII lower case', () => {
  assert.is(nameKey('Ａlice'), 'alice');
  assert.is(nameKey('ALICE'), 'alice');
});

keys('the key is stable: the key of a key is itself', () => {
  for (const name of ['alice', 'Ａlice', 'Zoë', 'анна', '李雷', 'ﬁsh', '127.0.0.1:5000']) {
    assert.is(nameKey(nameKey(name)), nameKey(name));
  }
});

keys.run();
