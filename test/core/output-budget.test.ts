/**
 * What the room tells one peer alone is bounded: `/who` and `/help` are answered in full once per
 * whoIntervalMs (a too-soon one gets one short `!` line, then nothing), and every answer spends an
 * output budget per peer and per address, on the room's clock. Relayed chat is not budgeted.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HELP_LINES } from '../../src/core/commands.js';
import { IP_OUTPUT_BURST_SECONDS, OUTPUT_BURST_SECONDS } from '../../src/core/limits.js';
import { roomHarness } from '../helpers/room-harness.js';

const bytes = (lines: string[]) => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

const who = suite('Room: /who and /help once an interval');

who('a second /who within the interval gets one short ! line, a third nothing; all counted', () => {
  const h = roomHarness();
  const [alice] = h.crowd('alice', 'bob', 'carol');
  h.send(alice!, '/who');
  assert.is(alice!.link.take().length, 4);
  h.tick(1000);
  h.send(alice!, '/who');
  assert.equal(alice!.link.take(), ['! /who answers once every 5s; again in 4s']);
  for (let i = 0; i < 10; i++) h.send(alice!, 'who');
  assert.equal(alice!.link.take(), []);
  assert.is(h.room.counters.drops.whoTooSoon, 11);
  h.tick(4000);
  h.send(alice!, '/who');
  assert.is(alice!.link.take().length, 4, 'answered again once the interval has passed');
  h.tick(10);
  h.send(alice!, '/who');
  assert.equal(alice!.link.take(), ['! /who answers once every 5s; again in 5s'], 'told again, once, in the next interval');
});

who('/help has an interval of its own, and /who after /help is answered', () => {
  const h = roomHarness();
  const [alice] = h.crowd('alice');
  h.send(alice!, '/help');
  assert.is(alice!.link.take().length, HELP_LINES.length);
  h.send(alice!, '/who');
  assert.is(alice!.link.take().length, 2);
  h.send(alice!, '/help');
  assert.match(alice!.link.take().join('\n'), /^! \/help answers once every 5s; again in 5s$/);
});

who('each peer has its own interval', () => {
  const h = roomHarness();
  const [alice, bob] = h.crowd('alice', 'bob');
  h.send(alice!, '/who');
  h.send(bob!, '/who');
  assert.is(alice!.link.take().length, 3);
  assert.is(bob!.link.take().length, 3);
});

who('whoIntervalMs 0 answers every /who', () => {
  const h = roomHarness({ limits: { whoIntervalMs: 0 } });
  const [alice] = h.crowd('alice');
  for (let i = 0; i < 5; i++) h.send(alice!, '/who');
  assert.is(alice!.link.take().length, 10);
  assert.is(h.room.counters.drops.whoTooSoon, 0);
});

who.run();

const budget = suite('Room: the output budget');

budget('a /who answer stops where the peer\'s budget would, and says how many more', () => {
  // 200 bytes a second: a burst of 1,600, about 30 listing lines of this room.
  const h = roomHarness({ limits: { outputBytesPerPeer: 200, outputBytesPerIp: 0, maxWhoLines: 0 } });
  const names = Array.from({ length: 80 }, (_, i) => `peer${i}`);
  const [first] = h.crowd(...names);
  first!.link.take();
  h.send(first!, '/who');
  const told = first!.link.take();
  assert.ok(bytes(told) <= 200 * OUTPUT_BURST_SECONDS, `${bytes(told)} bytes told`);
  assert.is(told[0], '* 80 peers here:');
  const more = /^\*   \.\.\. and (\d+) more$/.exec(told.at(-1)!);
  assert.ok(more, told.at(-1));
  assert.is(told.length - 2 + Number(more![1]), 80, 'every peer is listed or counted');
  assert.ok(h.room.counters.drops.outputBudget >= Number(more![1]));
});

budget('past the budget a line told to the peer alone is dropped and counted, and it refills on the room\'s clock', () => {
  const h = roomHarness({ limits: { outputBytesPerPeer: 100, outputBytesPerIp: 0, messageBurst: 0 } });
  const [alice, bob] = h.crowd('alice', 'bob');
  let answered = 0;
  for (let i = 0; i < 200; i++) {
    h.send(alice!, `/ping ${i}`);
    answered += alice!.link.take().length;
  }
  // 800 bytes of burst less the welcome, then nothing more without time: /pong N is 8 to 10 bytes.
  assert.ok(answered >= 50 && answered <= 100, `${answered} pongs`);
  assert.is(h.room.counters.drops.outputBudget, 200 - answered);
  // Chat is relayed whatever the sender's budget or the receivers'.
  h.send(alice!, 'still heard');
  assert.equal(bob!.link.take(), ['<alice> still heard']);
  h.tick(1000);
  h.send(alice!, '/ping again');
  assert.equal(alice!.link.take(), ['/pong again']);
});

budget('the peers of one address share its budget: fifty ports get no more than one address may', () => {
  const h = roomHarness({ limits: { outputBytesPerPeer: 1024, outputBytesPerIp: 1024, maxPeersPerIp: 0, joinsPerIpPerMinute: 0 } });
  h.crowd(...Array.from({ length: 30 }, (_, i) => `p${i}`));
  const ports = Array.from({ length: 50 }, () => h.joinFrom('10.9.9.9'));
  for (const p of ports) p.link.take();
  h.tick(10_000);
  for (const p of ports) h.send(p, '/who');
  const told = ports.reduce((n, p) => n + bytes(p.link.take()), 0);
  assert.ok(told <= 1024 * IP_OUTPUT_BURST_SECONDS, `${told} bytes to one address`);
  assert.ok(h.room.counters.drops.outputBudget > 0);
  // Another address has its own budget.
  const other = h.joinFrom('10.9.9.10');
  other.link.take();
  h.send(other, '/who');
  assert.ok(other.link.take().length > 30);
});

budget('a /who whose first line does not fit sends nothing at all', () => {
  const h = roomHarness({ limits: { outputBytesPerPeer: 1, outputBytesPerIp: 0 } });
  const [alice] = h.crowd('alice', 'bob');
  // A budget of 8 bytes: even the welcome did not fit.
  assert.equal(alice!.link.lines, []);
  h.send(alice!, '/who');
  assert.equal(alice!.link.take(), []);
});

budget('the budgets off (0) tell everything', () => {
  const h = roomHarness({ limits: { outputBytesPerPeer: 0, outputBytesPerIp: 0, whoIntervalMs: 0, messageBurst: 0 } });
  const [alice] = h.crowd('alice');
  for (let i = 0; i < 1000; i++) h.send(alice!, '/help');
  assert.is(alice!.link.take().length, 1000 * HELP_LINES.length);
  assert.is(h.room.counters.drops.outputBudget, 0);
});

budget('the table of addresses is emptied as their budgets fill again', () => {
  const h = roomHarness({ limits: { outputBytesPerIp: 1000 } });
  const peers = Array.from({ length: 20 }, (_, i) => h.joinFrom(`10.0.1.${i}`));
  for (const p of peers) h.send(p, '/help');
  const table = (h.room as unknown as { output: { byIp: Map<string, unknown> } }).output.byIp;
  assert.is(table.size, 20);
  h.tick(IP_OUTPUT_BURST_SECONDS * 1000);
  h.room.sweep();
  assert.is(table.size, 0);
});

budget.run();
