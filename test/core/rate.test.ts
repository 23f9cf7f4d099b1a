import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { available, fullBucket, nextTokenAt, refilled, take } from '../../src/core/rate.js';

const test = suite('the token bucket');

/** Takes from a bucket `n` times at `now`; returns how many were granted. */
function takeMany(bucket: ReturnType<typeof fullBucket>, n: number, now: number, burst: number, perSecond: number): number {
  let granted = 0;
  for (let i = 0; i < n; i++) if (take(bucket, now, burst, perSecond)) granted += 1;
  return granted;
}

test('a full bucket grants its burst at once, then nothing', () => {
  const bucket = fullBucket(5, 0);
  assert.is(takeMany(bucket, 10, 0, 5, 1), 5);
  assert.not.ok(take(bucket, 0, 5, 1));
});

test('an empty bucket grants one token per 1/rate seconds, no sooner', () => {
  const bucket = fullBucket(3, 0);
  takeMany(bucket, 3, 0, 3, 10);
  assert.not.ok(take(bucket, 99, 3, 10), 'a token after 99 ms at 10/s');
  assert.ok(take(bucket, 100, 3, 10), 'a token after 100 ms at 10/s');
  assert.not.ok(take(bucket, 100, 3, 10));
  assert.ok(take(bucket, 200, 3, 10));
});

test('a steady stream at the rate is never refused', () => {
  const bucket = fullBucket(2, 0);
  for (let t = 0; t <= 10_000; t += 100) assert.ok(take(bucket, t, 2, 10), `refused at ${t} ms`);
});

test('refilling stops at the burst, however long the bucket sat idle', () => {
  const bucket = fullBucket(4, 0);
  takeMany(bucket, 4, 0, 4, 1);
  assert.is(takeMany(bucket, 100, 3_600_000, 4, 1), 4);
});

test('fractional rates refill fractionally: 1 a minute is one token after 60 s', () => {
  const bucket = fullBucket(1, 0);
  assert.ok(take(bucket, 0, 1, 1 / 60));
  assert.not.ok(take(bucket, 59_999, 1, 1 / 60));
  assert.ok(take(bucket, 60_000, 1, 1 / 60));
});

test('a clock that goes backwards neither refills nor breaks the bucket', () => {
  const bucket = fullBucket(2, 1000);
  takeMany(bucket, 2, 1000, 2, 1);
  assert.not.ok(take(bucket, 0, 2, 1));
  assert.ok(take(bucket, 2000, 2, 1));
});

test('burst 0 turns the limit off', () => {
  const bucket = fullBucket(0, 0);
  assert.is(takeMany(bucket, 10_000, 0, 0, 10), 10_000);
});

test('rate 0 turns the limit off too, rather than granting a burst for life', () => {
  const bucket = fullBucket(3, 0);
  assert.is(takeMany(bucket, 1000, 0, 3, 0), 1000);
});

test('refilled says when an idle bucket is full again and can be forgotten', () => {
  const bucket = fullBucket(6, 0);
  takeMany(bucket, 6, 0, 6, 6 / 60);
  assert.not.ok(refilled(bucket, 59_999, 6, 6 / 60));
  assert.ok(refilled(bucket, 60_000, 6, 6 / 60));
  assert.ok(refilled(fullBucket(6, 0), 0, 6, 1), 'an untouched bucket is full');
});

test('available counts what take would grant, and takes nothing', () => {
  const bucket = fullBucket(3, 0);
  assert.is(available(bucket, 0, 3, 10), 3);
  assert.is(available(bucket, 0, 3, 10), 3, 'looking took nothing');
  takeMany(bucket, 3, 0, 3, 10);
  assert.is(available(bucket, 50, 3, 10), 0);
  assert.is(available(bucket, 250, 3, 10), 2);
  assert.is(takeMany(bucket, 5, 250, 3, 10), 2, 'take grants exactly what available said');
  assert.is(available(fullBucket(0, 0), 0, 0, 10), Infinity, 'no limit: no end to the budget');
});

test('nextTokenAt says when an empty bucket holds a token again, and take agrees', () => {
  const bucket = fullBucket(3, 0);
  assert.is(nextTokenAt(bucket, 0, 3, 10), 0, 'a token now: now');
  takeMany(bucket, 3, 40, 3, 10);
  const at = nextTokenAt(bucket, 40, 3, 10);
  assert.is(at, 140);
  assert.not.ok(take({ ...bucket }, at - 1, 3, 10), 'a millisecond early: none');
  assert.ok(take(bucket, at, 3, 10));
  assert.is(nextTokenAt(fullBucket(0, 0), 7, 0, 10), 7, 'no limit: now');
});

test.run();
