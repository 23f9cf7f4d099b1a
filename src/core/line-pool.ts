/**
 * Room for the chat lines built on the per-message path, cut from a shared pool. A small typed
 * array of its own lives on V8's heap and must be moved off it when a socket sends it (about a
 * microsecond per datagram, measured); a view into a larger pool is off-heap already, as Node's
 * own Buffer pool is. A line is never written again once built, and a region is never handed out
 * twice: a full pool is simply replaced, and freed when its last line is.
 */

const POOL_BYTES = 8 * 1024;
// Larger lines are rare (most chat is short) and get an array of their own.
const MAX_POOLED = POOL_BYTES / 8;

let pool = new Uint8Array(POOL_BYTES);
let used = 0;

/** `size` zeroed-or-not bytes for a new line; the caller fills every one of them. */
export function allocLine(size: number): Uint8Array {
  if (size > MAX_POOLED) return new Uint8Array(size);
  if (used + size > POOL_BYTES) {
    pool = new Uint8Array(POOL_BYTES);
    used = 0;
  }
  const line = pool.subarray(used, used + size);
  // Aligned to 8, as Node's Buffer pool is.
  used = (used + size + 7) & ~7;
  return line;
}
