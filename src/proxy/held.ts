/** Datagrams held back by a policy's verdict: each on a timer, all of them cancelled at close. */
export class Held {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `fn` after `ms` (at once when 0), unless closed before then. */
  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    if (ms <= 0) return fn();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Cancels everything still held; nothing runs after this. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** How many are waiting. */
  get size(): number {
    return this.timers.size;
  }
}
