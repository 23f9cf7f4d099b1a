/** Join tokens (transports/udp/cookie.ts): an HMAC of address, port and minute under a per-run secret. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CookieJar } from '../../../src/transports/udp/cookie.js';

const cookies = suite('CookieJar');

cookies('a token is valid this minute and the next, not two minutes later', () => {
  let now = 10 * 60_000 + 5_000;
  const jar = new CookieJar(Buffer.alloc(32, 7), () => now);
  const token = jar.token('192.0.2.1', 4000);
  assert.match(token, /^[A-Za-z0-9_-]{12}$/);
  assert.ok(jar.check('192.0.2.1', 4000, token));
  now += 54_999;
  assert.ok(jar.check('192.0.2.1', 4000, token), 'the end of the same minute');
  now += 1;
  assert.ok(jar.check('192.0.2.1', 4000, token), 'the next minute');
  now += 60_000;
  assert.not.ok(jar.check('192.0.2.1', 4000, token), 'two minutes later');
});

cookies('a token is only good for its own address and port, and under its own secret', () => {
  const clock = () => 1_000_000;
  const jar = new CookieJar(Buffer.alloc(32, 1), clock);
  const token = jar.token('192.0.2.1', 4000);
  assert.not.ok(jar.check('192.0.2.1', 4001, token), 'another port');
  assert.not.ok(jar.check('192.0.2.2', 4000, token), 'another address');
  assert.not.ok(new CookieJar(Buffer.alloc(32, 2), clock).check('192.0.2.1', 4000, token), 'another run');
  assert.is(new CookieJar(Buffer.alloc(32, 1), clock).token('192.0.2.1', 4000), token, 'the same secret makes the same token');
});

cookies('a malformed token is refused, not thrown on', () => {
  const jar = new CookieJar();
  for (const bad of ['', 'short', 'x'.repeat(12), 'x'.repeat(200), 'é'.repeat(12)]) assert.not.ok(jar.check('192.0.2.1', 1, bad), bad);
});

cookies.run();
