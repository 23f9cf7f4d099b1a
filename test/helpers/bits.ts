/** Bit counting for the `--corrupt` tests: how many bits two payloads of one length differ by. */

function popcount(n: number): number {
  let c = 0;
  for (; n; n &= n - 1) c++;
  return c;
}

/** How many bits `a` and `b` (of the same length) differ by. */
export function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  return a.reduce((n, x, i) => n + popcount(x ^ b[i]!), 0);
}
