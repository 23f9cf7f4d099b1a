/** The source prefix answers are limited by (transports/prefix-limiter.ts): a /24 for IPv4, a /56 for IPv6. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PrefixLimiter, sourcePrefix } from '../../src/transports/prefix-limiter.js';

const test = suite('sourcePrefix');

const prefixes: Array<[ip: string, prefix: string]> = [
  ['192.168.1.77', '192.168.1'],
  ['192.168.1.1', '192.168.1'],
  ['10.0.0.1', '10.0.0'],
  ['::ffff:192.168.1.77', '192.168.1'],
  ['2001:db8:1:2:3:4:5:6', '2001:db8:1:00'],
  ['2001:db8:1:ab12::1', '2001:db8:1:ab'],
  ['2001:db8:1:12::1', '2001:db8:1:00'],
  ['2001:db8::1', '2001:db8:0:00'],
  ['2001:db8::', '2001:db8:0:00'],
  ['::1', '0:0:0:00'],
  ['::', '0:0:0:00'],
  ['fe80::1:2:3', 'fe80:0:0:00'],
];

for (const [ip, expected] of prefixes) {
  test(`sourcePrefix of ${ip} is ${expected}`, () => {
    assert.is(sourcePrefix(ip), expected);
  });
}

test('addresses in one /24 or /56 share a prefix; in the next they do not', () => {
  assert.is(sourcePrefix('2001:db8:1:ab00::1'), sourcePrefix('2001:db8:1:abff:ffff::9'));
  assert.is.not(sourcePrefix('2001:db8:1:ab00::1'), sourcePrefix('2001:db8:1:ac00::1'));
  assert.is.not(sourcePrefix('192.168.1.1'), sourcePrefix('192.168.2.1'));
});

test.run();

const limiter = suite('PrefixLimiter');

limiter('a prefix gets its burst, then its rate on the clock; another prefix is apart; 0 is no limit', () => {
  let now = 0;
  const answers = new PrefixLimiter(3, () => now);
  const allowed = (ip: string, n: number) => Array.from({ length: n }, () => answers.allow(ip)).filter(Boolean).length;
  // Three per second for 192.0.2.0/24, whichever address in it asks.
  assert.is(allowed('192.0.2.1', 2) + allowed('192.0.2.200', 3), 3);
  assert.is(allowed('198.51.100.7', 5), 3);
  now += 1000;
  assert.is(allowed('192.0.2.9', 5), 3);
  now += 334;
  assert.is(allowed('192.0.2.9', 5), 1);
  const open = new PrefixLimiter(0, () => now);
  assert.is(Array.from({ length: 100 }, () => open.allow('192.0.2.1')).filter(Boolean).length, 100);
});

limiter('a byte budget: an answer spends its size; refused by bytes or by count, and a refusal spends neither', () => {
  let now = 0;
  const answers = new PrefixLimiter(3, () => now, 100_000);
  assert.is(answers.refusal('192.0.2.1', 60_000), null);
  assert.is(answers.refusal('192.0.2.2', 60_000), 'bytes', '40,000 bytes left in the /24');
  assert.is(answers.refusal('192.0.2.2', 40_000), null, 'the refusal spent no answer');
  assert.is(answers.refusal('192.0.2.3', 0), null);
  assert.is(answers.refusal('192.0.2.3', 0), 'rate');
  assert.is(answers.allow('198.51.100.1', 100_000), true, 'another /24 has its own budgets');
  now += 500;
  assert.is(answers.refusal('192.0.2.9', 60_000), 'bytes', 'half a second refills 50,000 bytes');
  assert.is(answers.refusal('192.0.2.9', 50_000), null);
  // Bytes alone: no count limit, and an answer larger than a second's budget never fits.
  const bytesOnly = new PrefixLimiter(0, () => now, 1000);
  assert.is(Array.from({ length: 500 }, () => bytesOnly.allow('192.0.2.1', 2)).filter(Boolean).length, 500);
  assert.is(bytesOnly.refusal('192.0.2.1', 1), 'bytes');
  assert.is(new PrefixLimiter(0, () => now, 1000).refusal('192.0.2.1', 1001), 'bytes');
});

limiter.run();

