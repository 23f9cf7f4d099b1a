/**
 * Which refusals a server's log says: each address (its IP, whatever its port) and reason (and
 * code: an expired ticket and a forged one are two stories) once a minute, so a teacher sees why a student cannot join without a line per retry, and a flood of
 * refusals cannot flood the log. The counters (`drops.*`) still count every one.
 *
 * Memory is bounded: at most `maxAddresses` entries, each forgotten a minute after its line.
 * Past that many addresses in one minute (a flood of forged sources), the log says so once a
 * minute and leaves the rest to the counters.
 */
import type { RefusalReason, RoomEvent } from '../core/events.js';

type Refused = Extract<RoomEvent, { type: 'refused' }>;

/** What the log says instead of a refusal when too many addresses were turned away this minute. */
export interface Unlogged {
  type: 'error';
  code: 'ERR_REFUSALS_UNLOGGED';
  message: string;
}

export const REFUSAL_LOG_INTERVAL_MS = 60_000;
export const REFUSAL_LOG_MAX_ADDRESSES = 1024;

/** `1.2.3.4:5000` → `1.2.3.4`, `[::1]:5000` → `[::1]`: a client that retries from a new port is the same address. */
function ipOf(address: string): string {
  return address.replace(/:\d+$/, '');
}

export class RefusalLog {
  // Key (reason and IP) → when its last line was said and how many refusals went unsaid since.
  // Kept in the order of those lines, so the ones a minute old are at the front.
  private readonly said = new Map<string, { at: number; repeats: number }>();
  // Refusals left out during an entry's last minute, said with that address's next line (bounded as `said`).
  private readonly pending = new Map<string, number>();
  private overflowSaidAt = -Infinity;

  constructor(
    private readonly clock: () => number,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
    private readonly maxAddresses = REFUSAL_LOG_MAX_ADDRESSES,
  ) {}

  /** How many addresses the log remembers now (for tests: it stays bounded). */
  get size(): number {
    return this.said.size;
  }

  /**
   * The event to log for this refusal: itself (with `repeats`, the refusals left out since its
   * last line, when there were any), an `ERR_REFUSALS_UNLOGGED` error once a minute when the
   * table is full, or null when the log says nothing.
   */
  note(event: Refused): Refused | Unlogged | null {
    const now = this.clock();
    this.forget(now);
    const key = `${event.reason satisfies RefusalReason} ${event.code} ${ipOf(event.peer.address)}`;
    const entry = this.said.get(key);
    if (entry) {
      entry.repeats += 1;
      return null;
    }
    if (this.said.size >= this.maxAddresses) {
      if (now - this.overflowSaidAt < this.intervalMs) return null;
      this.overflowSaidAt = now;
      return { type: 'error', code: 'ERR_REFUSALS_UNLOGGED', message: `more than ${this.maxAddresses} addresses turned away this minute: the others are not logged one by one (drops.* counts them all)` };
    }
    this.said.set(key, { at: now, repeats: 0 });
    const repeats = this.pending.get(key) ?? 0;
    this.pending.delete(key);
    return repeats > 0 ? { ...event, repeats } : event;
  }

  /**
   * Forgets the entries a minute old. The refusals an entry left out are said with the next
   * line for that address: kept, not lost, while it is remembered.
   */
  private forget(now: number): void {
    for (const [key, entry] of this.said) {
      if (now - entry.at < this.intervalMs) break;
      this.said.delete(key);
      if (entry.repeats === 0) continue;
      this.pending.set(key, entry.repeats);
      if (this.pending.size > this.maxAddresses) this.pending.delete(this.pending.keys().next().value!);
    }
  }
}
