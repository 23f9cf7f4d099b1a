/** `echo --close-on WORD` without sockets: which bytes are echoed, and when the word closes, chunk by chunk. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CloseOnLine } from '../../src/servers/close-on.js';

const test = suite('the close-on word in a byte stream');

/** Feeds `chunks` and returns what was echoed and whether the word closed the stream. */
function feed(word: string, chunks: string[]): { echoed: string; closed: boolean } {
  const c = new CloseOnLine(word);
  let echoed = '';
  for (const chunk of chunks) {
    echoed += Buffer.from(c.push(Buffer.from(chunk))).toString();
    if (c.closed) return { echoed, closed: true };
  }
  return { echoed: echoed + Buffer.from(c.end()).toString(), closed: false };
}

// Each row: the stream in one piece, what is echoed, whether it closes.
const TABLE: Array<[string, string, boolean]> = [
  ['exit\n', '', true],
  ['exit\r\n', '', true],
  ['hello\nexit\n', 'hello\n', true],
  ['hello\nexit\nafter\n', 'hello\n', true],
  ['exit', 'exit', false],
  ['exit now\n', 'exit now\n', false],
  ['exits\n', 'exits\n', false],
  ['EXIT\n', 'EXIT\n', false],
  [' exit\n', ' exit\n', false],
  ['exit\r\r\n', 'exit\r\r\n', false],
  ['ex\nexit\n', 'ex\n', true],
  ['no exit\nexit\n', 'no exit\n', true],
  ['\n\nexit\n', '\n\n', true],
  ['quite a long line that is not the word\nnor this\n', 'quite a long line that is not the word\nnor this\n', false],
];

test('whole: a line that is exactly the word closes, unanswered; lines before it are echoed', () => {
  for (const [input, echoed, closed] of TABLE) assert.equal(feed('exit', [input]), { echoed, closed }, JSON.stringify(input));
});

test('split at every point, and byte by byte: the same bytes echoed, the same close', () => {
  for (const [input, echoed, closed] of TABLE) {
    for (let cut = 0; cut <= input.length; cut++) assert.equal(feed('exit', [input.slice(0, cut), input.slice(cut)]), { echoed, closed }, `${JSON.stringify(input)} cut at ${cut}`);
    assert.equal(feed('exit', [...input]), { echoed, closed }, `${JSON.stringify(input)} byte by byte`);
  }
});

test('only the start of a line that may still be the word waits; anything else goes at once', () => {
  const c = new CloseOnLine('exit');
  assert.is(Buffer.from(c.push(Buffer.from('hello wor'))).toString(), 'hello wor');
  assert.is(Buffer.from(c.push(Buffer.from('ld\nex'))).toString(), 'ld\n');
  assert.is(Buffer.from(c.push(Buffer.from('tra\n'))).toString(), 'extra\n');
  assert.is(Buffer.from(c.push(Buffer.from('exi'))).toString(), '');
  assert.is(Buffer.from(c.push(Buffer.from('t\r'))).toString(), '');
  assert.is(c.closed, false);
  assert.is(Buffer.from(c.push(Buffer.from('\nlater'))).toString(), '');
  assert.is(c.closed, true);
  assert.is(c.push(Buffer.from('more\n')).length, 0, 'nothing after the word');
});

test('a word that is not ASCII is matched byte for byte', () => {
  assert.equal(feed('tschüß', ['hallo\ntsch', 'ü', 'ß\n']), { echoed: 'hallo\n', closed: true });
});

test.run();
