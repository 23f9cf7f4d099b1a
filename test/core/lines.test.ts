import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  challengeLine,
  chatLine,
  errorLine,
  noticeLine,
  parseServerLine,
  privateLine,
  readChallenge,
  welcomeLine,
  welcomeName,
  welcomeTimeout,
  type ServerLine,
} from '../../src/core/lines.js';

const make = suite('line builders');

make('a chat line is <NAME> TEXT', () => {
  assert.is(chatLine('alice', 'hi there'), '<alice> hi there');
});

make('a private line is marked [private] before the name, where peer text cannot stand', () => {
  assert.is(privateLine('alice', 'psst'), '[private] <alice> psst');
});

make('a notice starts with a star and an error with a bang', () => {
  assert.is(noticeLine('bob joined'), '* bob joined');
  assert.is(errorLine('name taken: bob'), '! name taken: bob');
});

const welcomes: Array<[peers: number, phrase: string]> = [
  [1, 'you are alone here'],
  [2, '1 other here'],
  [3, '2 others here'],
  [101, '100 others here'],
];

for (const [peers, phrase] of welcomes) {
  make(`a welcome with ${peers} peer(s) in the room says '${phrase}'`, () => {
    const line = welcomeLine('alice', peers, 60_000);
    assert.ok(line.startsWith('* welcome alice; '), line);
    assert.ok(line.includes(`; ${phrase};`), line);
  });
}

make('a welcome tells how to stay and where help is', () => {
  const line = welcomeLine('alice', 1, 60_000);
  assert.ok(line.includes('/ping'));
  assert.ok(line.includes('/help'));
  assert.not.match(line, /[\r\n]/);
});

make.run();

const parse = suite('parseServerLine');

const rows: Array<[line: string, expected: ServerLine]> = [
  ['<alice> hi there', { kind: 'chat', from: 'alice', text: 'hi there', private: false }],
  ['<alice> ', { kind: 'chat', from: 'alice', text: '', private: false }],
  ['<127.0.0.1:5000> hi', { kind: 'chat', from: '127.0.0.1:5000', text: 'hi', private: false }],
  ['<[::1]:5000> hi', { kind: 'chat', from: '[::1]:5000', text: 'hi', private: false }],
  ['<李雷> 你好', { kind: 'chat', from: '李雷', text: '你好', private: false }],
  ['<alice> <bob> nested', { kind: 'chat', from: 'alice', text: '<bob> nested', private: false }],
  ['[private] <alice> psst', { kind: 'chat', from: 'alice', text: 'psst', private: true }],
  ['[private] <alice> ', { kind: 'chat', from: 'alice', text: '', private: true }],
  ['[private to bob] <alice> hi', { kind: 'chat', from: 'alice', text: 'hi', private: true, to: 'bob' }],
  ['<alice> (private) psst', { kind: 'chat', from: 'alice', text: '(private) psst', private: false }],
  ['* bob joined', { kind: 'notice', text: 'bob joined' }],
  ['* ', { kind: 'notice', text: '' }],
  ['*   bob udp 127.0.0.1:5000 idle 0ms', { kind: 'notice', text: '  bob udp 127.0.0.1:5000 idle 0ms' }],
  ['! name taken: bob', { kind: 'error', text: 'name taken: bob' }],
  ['! ', { kind: 'error', text: '' }],
  ['/pong abc', { kind: 'pong', token: 'abc' }],
  ['/pong a b', { kind: 'pong', token: 'a b' }],
  ['/pong', { kind: 'pong', token: '' }],
  ['/pongs', { kind: 'other', text: '/pongs' }],
  ['/ping abc', { kind: 'other', text: '/ping abc' }],
  ['hello', { kind: 'other', text: 'hello' }],
  ['', { kind: 'other', text: '' }],
  ['*bob', { kind: 'other', text: '*bob' }],
  ['!bob', { kind: 'other', text: '!bob' }],
  ['<alice>hi', { kind: 'other', text: '<alice>hi' }],
  ['<al ice> hi', { kind: 'other', text: '<al ice> hi' }],
  ['<> hi', { kind: 'other', text: '<> hi' }],
  [' <alice> hi', { kind: 'other', text: ' <alice> hi' }],
];

for (const [line, expected] of rows) {
  parse(`${JSON.stringify(line)} reads as ${expected.kind}`, () => {
    assert.equal(parseServerLine(line), expected);
  });
}

parse('every line the builders make reads back as its kind', () => {
  assert.equal(parseServerLine(chatLine('bob', 'x y')), { kind: 'chat', from: 'bob', text: 'x y', private: false });
  assert.equal(parseServerLine(privateLine('bob', 'x y')), { kind: 'chat', from: 'bob', text: 'x y', private: true });
  assert.equal(parseServerLine(noticeLine('x y')), { kind: 'notice', text: 'x y' });
  assert.equal(parseServerLine(errorLine('x y')), { kind: 'error', text: 'x y' });
  assert.is(parseServerLine(welcomeLine('bob', 2, 60_000)).kind, 'notice');
});

parse.run();

const timeout = suite('welcomeTimeout');

const timeouts: Array<[ms: number, text: string]> = [
  [60_000, '60s'],
  [500, '500ms'],
  [1500, '1.5s'],
  [90_000, '90s'],
  [120_000, '2m'],
  [3_600_000, '60m'],
];

for (const [ms, text] of timeouts) {
  timeout(`a welcome for a ${ms} ms timeout states '${text}'`, () => {
    assert.is(welcomeTimeout(welcomeLine('alice', 1, ms)), text);
    assert.is(welcomeTimeout(welcomeLine('127.0.0.1:5000', 3, ms)), text);
  });
}

timeout('the default welcome reads 60s', () => {
  assert.is(welcomeTimeout(welcomeLine('[::1]:40000', 2, 60_000)), '60s');
});

const notWelcomes = [
  '',
  '* bob joined',
  '* welcome',
  '<alice> * welcome x; peer timeout 5s',
  '! welcome alice; peer timeout 5s',
  'welcome alice; peer timeout 5s',
  '* welcome alice; peer timeout forever',
];

for (const line of notWelcomes) {
  timeout(`${JSON.stringify(line)} is not a welcome and gives null`, () => {
    assert.is(welcomeTimeout(line), null);
  });
}

timeout.run();

const readBack = suite('what clients read back: the challenge token, the welcomed name');

readBack('a challenge line gives its token back; other lines give null', () => {
  assert.is(challengeLine('Ab3_-xyz0123'), '* to join, send: /join Ab3_-xyz0123');
  assert.is(readChallenge(challengeLine('Ab3_-xyz0123')), 'Ab3_-xyz0123');
  for (const line of ['* welcome x; you are alone here', '<bob> * to join, send: /join abc', '* to join, send: /join ']) assert.is(readChallenge(line), null, line);
});

readBack('a welcome gives the name it welcomes, a peer named like an address too', () => {
  assert.is(welcomeName(welcomeLine('carol', 1, 60_000)), 'carol');
  assert.is(welcomeName(welcomeLine('127.0.0.1:5000', 3, 60_000)), '127.0.0.1:5000');
  assert.is(welcomeName('<carol> * welcome mallory; hi'), null);
});

readBack.run();
