/**
 * Every limit the room and its transports enforce, as named defaults in one place (as ws's
 * maxPayload), each with a CLI flag. `0` turns a limit off, for demos and benchmarks.
 * SECURITY.md says why each default is what it is.
 */
export interface Limits {
  /** Largest message in bytes, not counting a trailing newline. 1200 keeps a datagram under any path MTU. */
  maxMessageBytes: number;
  /** Most peers in one room (a large lecture fits); the next one is told `! room full`. */
  maxPeers: number;
  /** Most peers (and TCP or WebSocket connections) from one IP address. */
  maxPeersPerIp: number;
  /** Most new joins from one IP address per minute. */
  joinsPerIpPerMinute: number;
  /** Messages a peer may send at once (a pasted paragraph), then `messageRate` a second. */
  messageBurst: number;
  messageRate: number;
  /** Renames a peer may make at once, then one every `renameIntervalMs`. */
  renameBurst: number;
  renameIntervalMs: number;
  /** Longest chosen name, in characters. */
  maxNameLength: number;
  /** Most lines one `/who` answers with, so a query cannot be turned into a flood. */
  maxWhoLines: number;
  /**
   * Most bytes queued for one stream peer (TCP `writableLength`) before it is dropped as a reader
   * that does not read: it must not stall the room nor grow the server's memory.
   */
  maxQueueBytes: number;
  /** Wrong passwords before a peer is dropped. */
  maxPasswordTries: number;
  /** The server's whole UDP output: datagrams and bytes a second; past it, sends are dropped and counted. */
  maxSendDatagramsPerSecond: number;
  maxSendBytesPerSecond: number;
  /** Replies a second to addresses that have not shown they receive (challenges, refusals), per /24 or /56. */
  unvalidatedRepliesPerSecond: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 1200,
  maxPeers: 1000,
  maxPeersPerIp: 50,
  joinsPerIpPerMinute: 60,
  messageBurst: 30,
  messageRate: 10,
  renameBurst: 3,
  renameIntervalMs: 10_000,
  maxNameLength: 24,
  maxWhoLines: 50,
  maxQueueBytes: 256 * 1024,
  maxPasswordTries: 3,
  maxSendDatagramsPerSecond: 200_000,
  maxSendBytesPerSecond: 100_000_000,
  unvalidatedRepliesPerSecond: 5,
});

/** How long a peer may stay silent before it is dropped (DESIGN.md: 60s). */
export const DEFAULT_PEER_TIMEOUT_MS = 60_000;

/** The default port of a room and of the echo server. */
export const DEFAULT_PORT = 9000;

/**
 * The UDP echo server's guards (`udp-chat echo`). The echo answers anyone, so a forged source must
 * not make it a reflector, and two echo services must not bounce a datagram between them forever.
 */
export const ECHO_LIMITS = Object.freeze({
  /** Answers a second per source /24 or /56, off loopback (`echo --rate`). */
  answersPerPrefix: 200,
  /**
   * Bytes a second per source /24 or /56, off loopback (`echo --byte-rate`): 200 answers of 1200
   * bytes fit, and so does the largest datagram (65,507 bytes), three times a second.
   */
  bytesPerPrefix: 256_000,
  /**
   * A source whose datagrams were, this many times in a row, exactly an answer we had just sent it
   * is bouncing our answers back (another echo, a mirror) and is not answered (`echo --max-reflections`).
   */
  reflections: 32,
  /** ...for this long. */
  reflectionMuteMs: 10_000,
});

/** The UDP impairment proxy's client table (`udp-chat proxy`): one upstream socket (a file descriptor) per client. */
export const PROXY_LIMITS = Object.freeze({
  /** Most clients mapped at once; past it the least recently seen one loses its socket (`--max-clients`). */
  maxClients: 1024,
  /** New clients a second per source /24 or /56, in bursts of as many (`--client-rate`). */
  newClientsPerPrefix: 100,
});

/** Every limit turned off (for benchmarks): counts at 0, sizes as large as the protocol allows. */
export const NO_LIMITS: Readonly<Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxMessageBytes: 65507,
  maxPeers: 0,
  maxPeersPerIp: 0,
  joinsPerIpPerMinute: 0,
  messageBurst: 0,
  messageRate: 0,
  renameBurst: 0,
  maxQueueBytes: 0,
  maxSendDatagramsPerSecond: 0,
  maxSendBytesPerSecond: 0,
  unvalidatedRepliesPerSecond: 0,
});
