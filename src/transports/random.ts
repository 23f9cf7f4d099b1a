/**
 * A small seeded generator (mulberry32): the same seed gives the same sequence on every run and
 * every platform, which is what makes a proxy run reproducible with `--seed`.
 */

/** A function returning floats in [0, 1). */
export type Random = () => number;

/** A generator seeded with a 32-bit integer. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for a run that asked for none: random, and printed so the run can be repeated. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
