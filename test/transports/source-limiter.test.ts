/** SourceLimiter (transports/source-limiter.ts) on a fake clock: a budget per address under a ceiling per /24 or /56. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SourceLimiter } from '../../src/transports/source-limiter.js';

const test = suite('SourceLimiter');

/** How many of `n` answers to `ip` the limiter allows now. */
function allowed(limiter: SourceLimiter, ip: string, n: number): number {
  return Array.from({ length: n }, () => limiter.allow(ip)).filter(Boolean).length;
}

test('an address that spent its budget leaves its neighbours theirs', () => {
  let now = 0;
  const answers = new SourceLimiter(5, 50, () => now);
  assert.is(allowed(answers, '192.0.2.1', 100), 5);
  assert.is(allowed(answers, '192.0.2.2', 100), 5);
  // A second on, each has its rate again, the flooder no more than the others.
  now += 1000;
  assert.is(allowed(answers, '192.0.2.1', 100), 5);
  assert.is(allowed(answers, '192.0.2.3', 1), 1);
});

test('the addresses of one /24 together get at most its ceiling; another /24 is apart', () => {
  let now = 0;
  const answers = new SourceLimiter(5, 12, () => now);
  let total = 0;
  for (let host = 1; host <= 10; host++) total += allowed(answers, `192.0.2.${host}`, 5);
  assert.is(total, 12);
  assert.is(allowed(answers, '198.51.100.1', 5), 5);
  // An address refused by the ceiling kept its own budget: the refusal spent nothing of it.
  now += 1000;
  assert.is(allowed(answers, '192.0.2.10', 5), 5);
});

test('IPv6: each address has its budget, a /56 its ceiling', () => {
  const answers = new SourceLimiter(2, 3, () => 0);
  assert.is(allowed(answers, '2001:db8:1:ab00::1', 5), 2);
  assert.is(allowed(answers, '2001:db8:1:abff::2', 5), 1);
  assert.is(allowed(answers, '2001:db8:1:ac00::1', 5), 2);
});

test('0 turns a level off: no ceiling, or no budget per address, or no limit at all', () => {
  const noCeiling = new SourceLimiter(2, 0, () => 0);
  let total = 0;
  for (let host = 1; host <= 50; host++) total += allowed(noCeiling, `192.0.2.${host}`, 3);
  assert.is(total, 100);
  assert.is(allowed(new SourceLimiter(0, 4, () => 0), '192.0.2.1', 10), 4);
  assert.is(allowed(new SourceLimiter(0, 0, () => 0), '192.0.2.1', 1000), 1000);
});

test('a flood of forged sources keeps the tables bounded', () => {
  const answers = new SourceLimiter(5, 50, () => 0);
  for (let i = 0; i < 30_000; i++) answers.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const { addresses, prefixes } = answers.size;
  assert.ok(addresses <= 10_000, `${addresses} addresses kept`);
  assert.ok(prefixes <= 10_000, `${prefixes} prefixes kept`);
});

test.run();
