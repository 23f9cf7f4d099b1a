import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { allocLine } from '../../src/core/line-pool.js';

const test = suite('allocLine');

test('lines cut from the pool never overlap, across a pool change too', () => {
  const lines: Uint8Array[] = [];
  // Enough 45-byte lines to fill several 8 KiB pools.
  for (let i = 0; i < 1000; i++) {
    const line = allocLine(45);
    assert.is(line.length, 45);
    line.fill(i & 0xff);
    lines.push(line);
  }
  for (const [i, line] of lines.entries()) assert.ok(line.every((b) => b === (i & 0xff)), `line ${i} kept its bytes`);
});

test('a large line gets an array of its own; 0 bytes is an empty line', () => {
  const big = allocLine(5000);
  assert.is(big.length, 5000);
  assert.is(big.byteOffset, 0);
  assert.is(big.buffer.byteLength, 5000);
  assert.is(allocLine(0).length, 0);
});

test.run();
