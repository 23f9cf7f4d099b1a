import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { flipBit, NO_IMPAIRMENT, seededPolicy, UdpPolicy, type UdpImpairment, type Verdict } from '../../src/transports/policy.js';
import { seededRandom, type Random } from '../../src/transports/random.js';
import { bitsDiffering } from '../helpers/bits.js';

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

// What the policy lost before --corrupt, --queue and --delay-dist existed (main at bc8895b, 40
// datagrams of 100 bytes): a seed written in a lab handout must keep losing exactly these.
const LOST_BEFORE: Array<[number, number, number, number[]]> = [
  [42, 0.3, 0, [2, 7, 10, 11, 13, 16, 22, 24, 28, 31, 33, 34, 35, 36, 40]],
  [1, 0.3, 0, [4, 6, 10, 25, 27, 29, 32, 37, 38, 40]],
  [7, 0.5, 0.25, [1, 2, 5, 6, 7, 8, 12, 14, 15, 24, 28, 29, 32, 33, 34, 35, 36, 37, 38]],
];

test('a seed loses what it lost before the new impairments, with or without them switched on', () => {
  const withNew: Partial<UdpImpairment>[] = [{}, { corrupt: 0.5 }, { delayDist: 'uniform', delayMs: 200 }, { rateBytesPerSec: 1e6, queueLimit: 1000 }, { corrupt: 1, delayDist: 'uniform', delayMs: 50, duplicate: 0.2 }];
  for (const [seed, loss, lossCorrelation, lost] of LOST_BEFORE) {
    for (const extra of withNew) {
      const policy = seededPolicy({ ...NO_IMPAIRMENT, loss, lossCorrelation, ...extra }, seed);
      const got = Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => policy.decide(100, n).kind === 'drop');
      assert.equal(got, lost, `seed ${seed} with ${JSON.stringify(extra)}`);
    }
  }
});

test('the same as four plain draws a datagram from the seed, the first deciding the loss', () => {
  const r = seededRandom(42);
  const lost = Array.from({ length: 200 }, (_, i) => i + 1).filter(() => {
    const draw = r();
    r(), r(), r();
    return draw < 0.3;
  });
  assert.equal(lostSeqs(run({ loss: 0.3, corrupt: 0.3, delayDist: 'uniform', delayMs: 10 }, seededRandom(42), 200)), lost);
});

test('a uniform delay falls in [0, delay], spread over it, and a seed repeats it exactly', () => {
  const uniform = (seed: number) => {
    const policy = seededPolicy({ ...NO_IMPAIRMENT, delayMs: 200, delayDist: 'uniform' }, seed);
    const waits = Array.from({ length: 2000 }, (_, i) => policy.decide(10, i)).map((v) => (v.kind === 'send' ? v.delays[0]! : -1));
    return { waits, delayed: policy.counters.delayed };
  };
  const { waits, delayed } = uniform(3);
  for (const w of waits) assert.ok(w >= 0 && w <= 200, String(w));
  assert.ok(Math.min(...waits) < 10 && Math.max(...waits) > 190, 'the whole range is used');
  const low = waits.filter((w) => w < 100).length;
  assert.ok(low > 800 && low < 1200, `about half below the middle: ${low}`);
  assert.equal(uniform(3).waits, waits);
  assert.not.equal(uniform(4).waits, waits);
  assert.is(delayed, waits.filter((w) => w > 0).length);
});

test('corrupt 1 flips exactly one bit of every datagram, a seeded one, and counts it; an empty datagram has none to flip', () => {
  const policy = seededPolicy({ ...NO_IMPAIRMENT, corrupt: 1 }, 9);
  const bits = Array.from({ length: 300 }, () => {
    const v = policy.decide(40, 0);
    assert.is(v.kind, 'send');
    return v.kind === 'send' ? v.corruptBit! : -1;
  });
  for (const bit of bits) assert.ok(Number.isInteger(bit) && bit >= 0 && bit < 320, String(bit));
  assert.ok(new Set(bits).size > 150, 'bit positions spread over the datagram');
  assert.is(policy.counters.corrupted, 300);
  const empty = policy.decide(0, 0);
  assert.equal(empty, { kind: 'send', delays: [0], reordered: false, duplicated: false });
  const payload = Buffer.from('Ping 1 0.5');
  for (const bit of [0, 7, 8, 79]) {
    const flipped = flipBit(payload, bit);
    assert.is(bitsDiffering(flipped, payload), 1, `bit ${bit}`);
    assert.is(String(payload), 'Ping 1 0.5', 'the original is kept');
  }
  assert.is(flipBit(Buffer.from([0]), 0)[0], 0x80);
  assert.is(flipBit(Buffer.from([0, 0]), 15)[1], 0x01);
});

test('corrupt 0.3 corrupts about 30%, and none without it', () => {
  const verdicts = run({ corrupt: 0.3 }, seededRandom(1), 1000);
  const policy = seededPolicy({ ...NO_IMPAIRMENT, corrupt: 0.3 }, 2);
  const n = Array.from({ length: 1000 }, () => policy.decide(50, 0)).filter((v) => v.kind === 'send' && v.corruptBit !== undefined).length;
  assert.ok(n > 240 && n < 360, `${n} of 1000`);
  assert.ok(verdicts.every((v) => v.kind === 'send'));
  assert.is(run({}, seededRandom(1), 100).filter((v) => v.kind === 'send' && v.corruptBit !== undefined).length, 0);
});

test('--queue N behind a rate: a burst keeps N, drops the rest at the tail, and the queue drains at the rate', () => {
  // 1000 bytes/s, 100-byte datagrams: each takes 100 ms on the link.
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, rateBytesPerSec: 1000, queueLimit: 3 }, seededRandom(1));
  const burst = Array.from({ length: 10 }, () => policy.decide(100, 0));
  assert.equal(burst.map((v) => v.kind), ['send', 'send', 'send', 'drop', 'drop', 'drop', 'drop', 'drop', 'drop', 'drop']);
  assert.equal(burst[3], { kind: 'drop', reason: 'queue' });
  assert.is(policy.counters.queueDrops, 7);
  // At 100 ms the first has left: one place free, then full again.
  assert.equal([policy.decide(100, 100).kind, policy.decide(100, 100).kind], ['send', 'drop']);
  // At 400 ms all four have left: a fresh burst keeps three again, the first on the wire at once.
  const later = Array.from({ length: 5 }, () => policy.decide(100, 400));
  assert.equal(later.map((v) => v.kind), ['send', 'send', 'send', 'drop', 'drop']);
  assert.equal(later[0], { kind: 'send', delays: [100], reordered: false, duplicated: false });
  assert.is(policy.counters.queueDrops, 10);
});

test('a queue longer than a second of traffic holds it all (the 1 s backlog bound is replaced, not added)', () => {
  const policy = new UdpPolicy({ ...NO_IMPAIRMENT, rateBytesPerSec: 1000, queueLimit: 50 }, seededRandom(1));
  const burst = Array.from({ length: 60 }, () => policy.decide(100, 0));
  assert.is(burst.filter((v) => v.kind === 'send').length, 50);
  assert.is(policy.counters.queueDrops, 10);
});

test.run();
