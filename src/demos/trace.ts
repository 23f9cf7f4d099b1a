/**
 * What the demos record for their pictures: per message, when it was sent, what the proxy did to
 * it and when each copy arrived; per TCP read, which bytes it held. Times are ms since the run
 * began, to a tenth of a millisecond. Plain data: `--json` prints it and draw/ draws it.
 */
import { feedTime as tenth } from '../core/timeline.js';

/** What the impairment proxy did to one message. */
export type ProxyAction = 'passed' | 'lost' | 'held' | 'duplicated' | 'retransmitted' | 'blocked';

/** One numbered message's way from sender to receiver. */
export interface MessageTrace {
  seq: number;
  sentMs: number;
  proxy: ProxyAction;
  /** How long the proxy kept it: the reorder gap, the retransmission timeout, or the wait behind one (0: none). */
  heldMs: number;
  /** When each copy reached the receiving application, in arrival order (empty: lost). */
  arrivalsMs: number[];
}

/** Bytes [start, end) of a stream, at a time: one write() of the sender or one read of the receiver. */
export interface ByteRange {
  start: number;
  end: number;
  atMs: number;
}

/** A clock for one run: ms since it was made, to a tenth. */
export function runClock(): () => number {
  const t0 = performance.now();
  return () => tenth(performance.now() - t0);
}

/** Rounds ms to a tenth, as every time in a trace: the timeline feed's rounding, one function for both. */
export { tenth };
