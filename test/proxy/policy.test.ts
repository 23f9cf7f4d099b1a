import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NO_IMPAIRMENT, UdpPolicy, type UdpImpairment, type Verdict } from '../../src/proxy/policy.js';
import { seededRandom, type Random } from '../../src/proxy/random.js';

const test = suite('the UDP impairment policy');

function run(impairment: Partial<UdpImpairment>, random: Random, n: number, spacingMs = 1): Verdict[] {
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, ...impairment }, random);
  return Array.from({ length: n }, (_, i) => policy.decide(100, i * spacingMs));
}

const lostSeqs = (verdicts: Verdict[]) => verdicts.flatMap((v, i) => (v.kind === 'drop' ? [i + 1] : []));

/** A generator that plays back fixed draws: a policy like "drop every 2nd" made exact. */
function scripted(draws: number[]): Random {
  let i = 0;
  return () => draws[i++ % draws.length]!;
}

test('the same seed loses the same datagrams on every run', () => {
  const a = lostSeqs(run({ loss: 0.3 }, seededRandom(42), 100));
  const b = lostSeqs(run({ loss: 0.3 }, seededRandom(42), 100));
  assert.equal(a, b);
  assert.ok(a.length > 15 && a.length < 45, `about 30 of 100 lost, got ${a.length}`);
  assert.not.equal(lostSeqs(run({ loss: 0.3 }, seededRandom(43), 100)), a);
});

test('adding a delay does not change which datagrams are lost', () => {
  const plain = lostSeqs(run({ loss: 0.3 }, seededRandom(7), 200));
  const delayed = lostSeqs(run({ loss: 0.3, delayMs: 50, jitterMs: 10, duplicate: 0.1 }, seededRandom(7), 200));
  assert.equal(delayed, plain);
});

test('a scripted generator drops exactly every second datagram', () => {
  // Four draws per datagram: loss, duplicate, reorder, jitter.
  const verdicts = run({ loss: 0.5 }, scripted([0.9, 0.9, 0.9, 0.5, 0.1, 0.9, 0.9, 0.5]), 6);
  assert.equal(lostSeqs(verdicts), [2, 4, 6]);
});

test('loss 0 keeps everything and loss 1 drops everything', () => {
  assert.equal(lostSeqs(run({}, seededRandom(1), 50)), []);
  assert.is(lostSeqs(run({ loss: 1 }, seededRandom(1), 50)).length, 50);
});

test('correlation makes losses come in longer bursts at about the same rate', () => {
  const bursts = (seqs: number[]) => seqs.filter((s, i) => seqs[i - 1] !== s - 1).length;
  const plain = lostSeqs(run({ loss: 0.3 }, seededRandom(5), 5000));
  const correlated = lostSeqs(run({ loss: 0.3, lossCorrelation: 0.9 }, seededRandom(5), 5000));
  assert.ok(plain.length / bursts(plain) < correlated.length / bursts(correlated), 'correlated bursts are longer on average');
});

test('duplicate sends a second copy and counts it', () => {
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, duplicate: 0.5 }, scripted([0.9, 0.1, 0.9, 0.5]));
  const v = policy.decide(10, 0);
  assert.equal(v, { kind: 'send', delays: [0, 0], reordered: false, duplicated: true });
  assert.is(policy.counters.duplicated, 1);
});

test('reorder holds a datagram back by the gap so the next ones overtake it', () => {
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, reorder: 0.5, reorderGapMs: 10 }, scripted([0.9, 0.9, 0.1, 0.5, 0.9, 0.9, 0.9, 0.5]));
  const first = policy.decide(10, 0);
  const second = policy.decide(10, 1);
  assert.equal(first, { kind: 'send', delays: [10], reordered: true, duplicated: false });
  assert.equal(second, { kind: 'send', delays: [0], reordered: false, duplicated: false });
  assert.is(policy.counters.reordered, 1);
});

test('delay and jitter stay within delay ± jitter', () => {
  for (const v of run({ delayMs: 50, jitterMs: 20 }, seededRandom(3), 500)) {
    assert.is(v.kind, 'send');
    if (v.kind === 'send') assert.ok(v.delays[0]! >= 30 && v.delays[0]! <= 70, String(v.delays[0]));
  }
});

test('a rate spaces datagrams by their size and drops past a second of backlog', () => {
  // 1000 bytes/s and 100-byte datagrams all at t=0: each waits 100ms more than the last.
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, rateBytesPerSec: 1000 }, seededRandom(1));
  const waits = Array.from({ length: 12 }, () => policy.decide(100, 0));
  assert.equal(waits.slice(0, 3), [1, 2, 3].map((k) => ({ kind: 'send', delays: [k * 100], reordered: false, duplicated: false })));
  assert.equal(waits[11], { kind: 'drop', reason: 'queue' });
  assert.is(policy.counters.queueDrops, 1);
});

test.run();
