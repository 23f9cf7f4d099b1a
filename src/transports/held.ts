/**
 * Datagrams held back by a policy's verdict (a delay, a reorder): each on a timer, all of them
 * cancelled at close. Their bytes are bounded: a delay of seconds times a flood would otherwise
 * hold every datagram of the flood in memory, so one that would take the total past `maxBytes`
 * is refused and the caller counts it (as netem's queue `limit` drops).
 */

/**
 * What a held copy costs beyond its payload: its timer, its closure and the datagram's Buffer and
 * address (measured at about 700 bytes on Node 20). Counted against the bound, so a flood of empty
 * or one-byte datagrams under a long delay is bounded too, not only one of large ones.
 */
export const HELD_COPY_OVERHEAD = 700;

/** Copies on their timers, within the bound. */
export class Held {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private bytes = 0;

  /** `maxBytes`: the most bytes waiting at once (0: no bound). */
  constructor(private readonly maxBytes = 0) {}

  /**
   * Sends `bytes` once after each of `delays` (ms; 0 at once) through `send`, unless closed
   * before then. False, and nothing is sent, when the delayed copies would not fit the bound.
   */
  hold(delays: readonly number[], bytes: Uint8Array, send: (bytes: Uint8Array) => void): boolean {
    if (this.closed) return true;
    const cost = bytes.length + HELD_COPY_OVERHEAD;
    let waiting = 0;
    for (const delay of delays) if (delay > 0) waiting += cost;
    if (this.maxBytes > 0 && this.bytes + waiting > this.maxBytes) return false;
    this.bytes += waiting;
    for (const delay of delays) {
      if (delay <= 0) {
        send(bytes);
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.bytes -= cost;
        if (!this.closed) send(bytes);
      }, delay);
      this.timers.add(timer);
    }
    return true;
  }

  /** Cancels everything still held; nothing is sent after this. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.bytes = 0;
  }
}
