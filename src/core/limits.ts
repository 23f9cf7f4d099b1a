/**
 * Every limit the room enforces, as named defaults in one place (as ws's maxPayload).
 * Each has a CLI flag; 0 turns a count limit off, for demos and benchmarks.
 */
export interface Limits {
  /** Largest message in bytes, not counting a trailing newline. 1200 keeps a datagram under any path MTU. */
  maxMessageBytes: number;
  /** Most peers in one room; the next one is told `! room full`. */
  maxPeers: number;
  /** Longest chosen name, in characters. */
  maxNameLength: number;
  /** Most lines one `/who` answers with, so a query cannot be turned into a flood. */
  maxWhoLines: number;
  /**
   * Most bytes queued for one stream peer (TCP `writableLength`) before it is dropped as a reader
   * that does not read: it must not stall the room nor grow the server's memory.
   */
  maxQueueBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 1200,
  maxPeers: 1000,
  maxNameLength: 24,
  maxWhoLines: 50,
  maxQueueBytes: 256 * 1024,
});

/** How long a peer may stay silent before it is dropped (DESIGN.md: 60s). */
export const DEFAULT_PEER_TIMEOUT_MS = 60_000;

/** The default port of a room and of the echo server. */
export const DEFAULT_PORT = 9000;
