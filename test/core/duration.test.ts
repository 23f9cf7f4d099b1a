import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { ChatError } from '../../src/core/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ChatError);
    return (err as ChatError).code;
  }
  return undefined;
}

const parse = suite('parseDuration');

const good: Array<[input: string | number, ms: number]> = [
  ['500ms', 500],
  ['0ms', 0],
  ['1ms', 1],
  ['10s', 10_000],
  ['1.5s', 1500],
  ['0.25s', 250],
  ['5m', 300_000],
  ['1.5m', 90_000],
  ['1h', 3_600_000],
  ['2', 2000],
  ['0.5', 500],
  ['0', 0],
  ['60', 60_000],
  [' 10s ', 10_000],
  ['010s', 10_000],
  ['1.0004s', 1000],
  [2, 2000],
  [0.5, 500],
  ['596h', 596 * 3_600_000],
  ['2147483647ms', 2147483647],
];

for (const [input, ms] of good) {
  parse(`${JSON.stringify(input)} is ${ms} ms`, () => {
    assert.is(parseDuration(input), ms);
  });
}

const bad: Array<string | number> = [
  '',
  ' ',
  'abc',
  '-1s',
  '-1',
  '+1s',
  '10x',
  '1e3',
  '1E3',
  '.5',
  '5.',
  '1 s',
  's',
  'ms',
  '10S',
  '10Ms',
  '1h30m',
  '10s10',
  '0x10',
  'NaN',
  'Infinity',
  '1,5s',
  '１０s',
  '597h',
  '2147483648ms',
  '99999999999999999999999h',
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1e21,
];

for (const input of bad) {
  parse(`${JSON.stringify(String(input))} throws ERR_BAD_DURATION`, () => {
    assert.is(codeOf(() => parseDuration(input)), 'ERR_BAD_DURATION');
  });
}

parse('the result is always a whole number of milliseconds', () => {
  for (const [input] of good) assert.ok(Number.isInteger(parseDuration(input)));
});

parse.run();

const format = suite('formatDuration');

const formats: Array<[ms: number, text: string]> = [
  [0, '0ms'],
  [1, '1ms'],
  [500, '500ms'],
  [999, '999ms'],
  [0.4, '0ms'],
  [1000, '1s'],
  [1500, '1.5s'],
  [10_000, '10s'],
  [60_000, '60s'],
  [90_000, '90s'],
  [119_000, '119s'],
  [120_000, '2m'],
  [150_000, '150s'],
  [300_000, '5m'],
  [3_600_000, '60m'],
];

for (const [ms, text] of formats) {
  format(`${ms} ms formats as ${text}`, () => {
    assert.is(formatDuration(ms), text);
  });
}

format('every format is read back by parseDuration', () => {
  for (const [ms] of formats) {
    if (Number.isInteger(ms)) assert.is(parseDuration(formatDuration(ms)), ms, `${ms} ms`);
  }
});

format('whole milliseconds under a second round trip', () => {
  for (let ms = 0; ms < 1000; ms++) assert.is(parseDuration(formatDuration(ms)), ms);
});

format('tenths of a second up to an hour round trip', () => {
  for (let ms = 1000; ms <= 3_600_000; ms += 100) assert.is(parseDuration(formatDuration(ms)), ms, `${ms} ms`);
});

format('a parsed duration formats to text that parses to the same value', () => {
  for (const input of ['500ms', '10s', '1.5s', '5m', '1h', '2', '0.5', '90s', '2m']) {
    const ms = parseDuration(input);
    assert.is(parseDuration(formatDuration(ms)), ms, input);
  }
});

format('a duration is formatted in its shortest unit-stable form', () => {
  assert.is(formatDuration(parseDuration('2m')), '2m');
  assert.is(formatDuration(parseDuration('120s')), '2m');
  assert.is(formatDuration(parseDuration('60')), '60s');
  assert.is(formatDuration(parseDuration('1h')), '60m');
});

format.run();
