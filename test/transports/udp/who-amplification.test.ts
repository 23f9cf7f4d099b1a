/**
 * Item 2 on real sockets: a `/who` stream from one address gets at most 3x its own bytes back
 * (wire bytes both ways), in an open room and in a validating one. The victim's sockets are on
 * 127.0.0.5; where that address cannot be bound (macOS without an alias) the test is skipped.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loopbackAliases } from '../../../scripts/trust/loopback.js';
import { openRoomWhoFlood, validatedWhoFlood, type Amplification } from '../../../scripts/trust/who-amplification.js';

const test = suite('/who amplification on real sockets');

function figures(a: Amplification): string {
  return `sent ${a.sentBytes} B, got ${a.receivedBytes} B back (x${a.ratio.toFixed(2)}); outputBudget ${a.outputBudget}, whoTooSoon ${a.whoTooSoon}`;
}

test('an open room, 60 peers: 2,000 /who from 50 ports of one address get at most 3x their bytes back', async () => {
  if (!(await loopbackAliases())) return console.log('  skipped: 127.0.0.5 cannot be bound here');
  const a = await openRoomWhoFlood({ ports: 50, perPort: 40, others: 10, ms: 1500 });
  assert.ok(a.ratio <= 3, figures(a));
  assert.ok(a.whoTooSoon > 1000, figures(a));
});

test('a validating room, 60 peers: 50 /who from a validated peer\'s address get at most 3x their bytes back', async () => {
  if (!(await loopbackAliases())) return console.log('  skipped: 127.0.0.5 cannot be bound here');
  const a = await validatedWhoFlood({ others: 59, count: 50, ms: 1000 });
  assert.ok(a.ratio <= 3, figures(a));
  // One full answer (the first), one short `!` line, nothing for the rest (some of the 50 are past the message rate).
  assert.ok(a.whoTooSoon >= 30, figures(a));
});

test.run();
