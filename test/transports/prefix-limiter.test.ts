/** The source prefix answers are limited by (transports/prefix-limiter.ts): a /24 for IPv4, a /56 for IPv6. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sourcePrefix } from '../../src/transports/prefix-limiter.js';

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
