/** bindShared: several transports on one port number, tried again when port 0 collides. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bindShared } from '../../src/servers/port-pair.js';

const test = suite('bindShared');

const inUse = () => Object.assign(new Error('in use'), { code: 'EADDRINUSE' });

test('the rest bind on the port the first got', async () => {
  const asked: number[] = [];
  const bound = await bindShared(0, [async (p) => (asked.push(p), 5000 + asked.length), async (p) => (asked.push(p), p)], (first) => first, async () => {});
  assert.equal(asked, [0, 5001]);
  assert.equal(bound, [5001, 5001]);
});

test('with port 0, a collision on a later one closes what was bound and tries a new number', async () => {
  let tries = 0;
  const closed: number[] = [];
  const bound = await bindShared(
    0,
    [async () => 6000 + ++tries, async (p) => {
      if (p === 6001) throw inUse();
      return p;
    }],
    (first) => first,
    async (t) => void closed.push(t),
  );
  assert.equal(bound, [6002, 6002]);
  assert.equal(closed, [6001]);
});

test('a fixed port is not tried again, and the first one failing is thrown at once', async () => {
  const closed: number[] = [];
  for (const binders of [[async () => 7000, async () => Promise.reject(inUse())], [async () => Promise.reject(inUse()), async () => 7000]]) {
    let code: string | undefined;
    try {
      await bindShared(7000, binders, (f) => f, async (t) => void closed.push(t));
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    assert.is(code, 'EADDRINUSE');
  }
  assert.equal(closed, [7000]);
});

test.run();
