import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HELP_LINES, parseCommand, type Command } from '../../src/core/commands.js';

type Row = [input: string, expected: Command];

function table(name: string, rows: Row[]): void {
  const test = suite(name);
  for (const [input, expected] of rows) {
    test(`${JSON.stringify(input)} parses as ${expected.kind}`, () => {
      assert.equal(parseCommand(input), expected);
    });
  }
  test.run();
}

table('parseCommand: slash dialect', [
  ['/nick bob', { kind: 'nick', name: 'bob' }],
  ['/nick   bob  ', { kind: 'nick', name: 'bob' }],
  ['/NICK Bob', { kind: 'nick', name: 'Bob' }],
  ['/name bob', { kind: 'nick', name: 'bob' }],
  ['/nick Zoë', { kind: 'nick', name: 'Zoë' }],
  ['/who', { kind: 'who' }],
  ['/WHO', { kind: 'who' }],
  ['/who ignored', { kind: 'who' }],
  ['/list', { kind: 'who' }],
  ['/msg bob hi there', { kind: 'msg', to: 'bob', text: 'hi there' }],
  ['/msg  bob   hello  world  ', { kind: 'msg', to: 'bob', text: 'hello  world' }],
  ['/msg bob\thi', { kind: 'msg', to: 'bob', text: 'hi' }],
  ['/msg bob a|b', { kind: 'msg', to: 'bob', text: 'a|b' }],
  ['/to bob hi', { kind: 'msg', to: 'bob', text: 'hi' }],
  ['/quit', { kind: 'quit' }],
  ['/exit', { kind: 'quit' }],
  ['/leave', { kind: 'quit' }],
  ['/quit now', { kind: 'quit' }],
  ['/help', { kind: 'help' }],
  ['/?', { kind: 'help' }],
  ['/ping', { kind: 'ping', token: '' }],
  ['/ping abc123', { kind: 'ping', token: 'abc123' }],
  ['/ping  a b ', { kind: 'ping', token: 'a b' }],
  ['/pong', { kind: 'pong', token: '' }],
  ['/pong abc123', { kind: 'pong', token: 'abc123' }],
  ['  /who  ', { kind: 'who' }],
]);

table('parseCommand: pipe dialect', [
  ['rename|bob', { kind: 'nick', name: 'bob' }],
  ['rename| bob ', { kind: 'nick', name: 'bob' }],
  ['  rename|bob\n', { kind: 'nick', name: 'bob' }],
  ['who', { kind: 'who' }],
  [' who ', { kind: 'who' }],
  ['to|bob|hi', { kind: 'msg', to: 'bob', text: 'hi' }],
  ['to| bob | hi there ', { kind: 'msg', to: 'bob', text: 'hi there' }],
  ['to|bob|a|b', { kind: 'msg', to: 'bob', text: 'a|b' }],
  ['quit', { kind: 'quit' }],
  ['exit', { kind: 'quit' }],
  ['help', { kind: 'help' }],
]);

table('parseCommand: heartbeats', [
  ['', { kind: 'heartbeat' }],
  [' ', { kind: 'heartbeat' }],
  ['\t', { kind: 'heartbeat' }],
  ['  \t  ', { kind: 'heartbeat' }],
  ['\n', { kind: 'heartbeat' }],
  ['\r\n', { kind: 'heartbeat' }],
]);

table('parseCommand: plain text', [
  ['hello', { kind: 'say', text: 'hello' }],
  ['hello world', { kind: 'say', text: 'hello world' }],
  ['  keeps its spaces ', { kind: 'say', text: '  keeps its spaces ' }],
  ['//nick bob', { kind: 'say', text: '/nick bob' }],
  ['//text', { kind: 'say', text: '/text' }],
  ['//', { kind: 'say', text: '/' }],
  ['///', { kind: 'say', text: '//' }],
  ['a|b', { kind: 'say', text: 'a|b' }],
  ['cats|dogs|birds', { kind: 'say', text: 'cats|dogs|birds' }],
  ['echo hi | wc -l', { kind: 'say', text: 'echo hi | wc -l' }],
  ['renamer|x', { kind: 'say', text: 'renamer|x' }],
  ['RENAME|bob', { kind: 'say', text: 'RENAME|bob' }],
  ['tox|bob|hi', { kind: 'say', text: 'tox|bob|hi' }],
  ['|to|bob|hi', { kind: 'say', text: '|to|bob|hi' }],
  ['who|', { kind: 'say', text: 'who|' }],
  ['who is here', { kind: 'say', text: 'who is here' }],
  ['WHO', { kind: 'say', text: 'WHO' }],
  ['quit please', { kind: 'say', text: 'quit please' }],
  ['help me', { kind: 'say', text: 'help me' }],
  ['a /nick b', { kind: 'say', text: 'a /nick b' }],
  ['\\x1b[31mred', { kind: 'say', text: '\\x1b[31mred' }],
]);

const invalid = suite('parseCommand: bad commands and arguments');

const invalidInputs = [
  '/nick',
  '/nick   ',
  '/nick bob smith',
  '/name',
  '/msg',
  '/msg bob',
  '/msg bob   ',
  '/to bob',
  'rename|',
  'rename|   ',
  'rename|bob smith',
  'rename|a|b',
  'to|x',
  'to|',
  'to||hi',
  'to| |hi',
  'to|bob|',
  'to|bob|   ',
  '/foo',
  '/foo bar',
  '/',
  '/ nick bob',
];

for (const input of invalidInputs) {
  invalid(`${JSON.stringify(input)} is invalid, with a message for the sender`, () => {
    const command = parseCommand(input);
    assert.is(command.kind, 'invalid');
    if (command.kind === 'invalid') {
      assert.type(command.message, 'string');
      assert.ok(command.message.length > 0);
      assert.not.match(command.message, /\n/);
    }
  });
}

invalid('an unknown slash command names itself in the message', () => {
  const command = parseCommand('/FOO bar');
  assert.equal(command.kind, 'invalid');
  if (command.kind === 'invalid') assert.match(command.message, '/foo');
});

invalid('a usage error shows the usage of the dialect it came in', () => {
  const slash = parseCommand('/msg bob');
  const pipe = parseCommand('to|bob');
  assert.ok(slash.kind === 'invalid' && slash.message.includes('/msg'));
  assert.ok(pipe.kind === 'invalid' && pipe.message.includes('to|'));
});

invalid.run();

const help = suite('HELP_LINES');

help('every line is one line', () => {
  assert.ok(HELP_LINES.length > 0);
  for (const line of HELP_LINES) assert.not.match(line, /[\r\n]/);
});

help('the help names both dialects of each command', () => {
  const text = HELP_LINES.join('\n');
  for (const word of ['/nick', 'rename|', '/who', 'who', '/msg', 'to|', '/ping', '/quit', 'exit', '/help', '//']) {
    assert.ok(text.includes(word), `help mentions ${word}`);
  }
});

help('every command the help shows in its first column parses as that command', () => {
  const samples: Row[] = [
    ['/nick NAME', { kind: 'nick', name: 'NAME' }],
    ['rename|NAME', { kind: 'nick', name: 'NAME' }],
    ['/msg NAME TEXT', { kind: 'msg', to: 'NAME', text: 'TEXT' }],
    ['to|NAME|TEXT', { kind: 'msg', to: 'NAME', text: 'TEXT' }],
    ['/ping TOKEN', { kind: 'ping', token: 'TOKEN' }],
  ];
  for (const [input, expected] of samples) assert.equal(parseCommand(input), expected);
});

help.run();
