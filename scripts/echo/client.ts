/** What bench-echo's load generator does with any echo server, UDP or TCP. */

/** Bytes in one message. */
export const MESSAGE_BYTES = 64;
/**
 * The clients' waits, in ms: `start`, for a server to answer a first probe (sent every
 * `probeInterval`); `ping`, for one RTT ping (UDP counts it lost after this; TCP fails the trial).
 */
export const WAIT_MS = { start: 5000, ping: 1000, probeInterval: 50 } as const;

/** What a throughput phase measured. */
export interface Phase {
  messages: number;
  /** Datagrams (UDP) that carried those messages; 0 for TCP. */
  answers: number;
  lost: number;
  elapsedMs: number;
}

/** A client connected to one echo server. */
export interface Client {
  /** One message at a time, `count` times: round trips in us, sorted. */
  pings(count: number): Promise<{ rtts: Float64Array; lost: number }>;
  /** A closed loop of `window` messages for `ms`. */
  throughput(ms: number, window: number, onStart: () => void): Promise<Phase>;
  close(): void;
}

/** A 64-byte message: `echo SEQ` padded with dots, ending in a newline. */
export function message(seq: number): Buffer {
  const head = `echo ${seq} `;
  return Buffer.from(head + '.'.repeat(MESSAGE_BYTES - head.length - 1) + '\n', 'latin1');
}
