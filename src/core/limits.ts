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
  /**
   * Peers waiting to give the room's password (they hear nothing and take no place): most in
   * all and most from one IP address. Past either, the oldest such waiting peer makes room.
   */
  maxWaiting: number;
  maxWaitingPerIp: number;
  /** How long a peer may wait without a `/join` attempt (any other message does not count). */
  waitingTimeoutMs: number;
  /** The server's whole UDP output: datagrams and bytes a second; past it, sends are dropped and counted. */
  maxSendDatagramsPerSecond: number;
  maxSendBytesPerSecond: number;
  /**
   * Replies a second to an address that has not shown it receives (challenges, refusals), for
   * each source address on its own, so one sender cannot spend its neighbours' join tokens.
   */
  unvalidatedRepliesPerSecond: number;
  /** The ceiling over those budgets: replies a second to all the addresses of one /24 (IPv4) or /56 (IPv6) together. */
  unvalidatedRepliesPerPrefix: number;
  /**
   * Widest run of blanks (spaces, TABs at 8 columns) a relayed message keeps, in columns; a wider
   * run becomes this many spaces, so no message can push its next words to the start of a
   * reader's next terminal line with invisible padding and fake a line of its own.
   */
  maxBlankRun: number;
  /**
   * Bytes a second the room may answer one peer with (its welcome, `/who`, `/help`, errors,
   * pongs: every line told to it alone), in bursts of OUTPUT_BURST_SECONDS of them; past it a
   * line is dropped (drops.outputBudget). Relayed chat is not budgeted: see SECURITY.md.
   */
  outputBytesPerPeer: number;
  /** The same budget for all the peers of one IP address together (50 forged ports are one address). */
  outputBytesPerIp: number;
  /** A peer's `/who` (and `/help`) is answered in full once in this many ms; one short `!` line, then nothing, until then. */
  whoIntervalMs: number;
  /** Messages in a row that repeat a line the room just sent the same peer before it is dropped as an echo loop. */
  maxEchoes: number;
}

/** A peer's output budget holds this many seconds of its rate: one full /who answer and change. */
export const OUTPUT_BURST_SECONDS = 8;
/**
 * An address's holds this many seconds of its own rate: with the defaults, one peer's burst. A
 * flood from many addresses at once starts with a burst from each, and the server must go on
 * reading while it sends them.
 */
export const IP_OUTPUT_BURST_SECONDS = 2;

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
  maxWaiting: 250,
  maxWaitingPerIp: 50,
  waitingTimeoutMs: 20_000,
  maxSendDatagramsPerSecond: 200_000,
  maxSendBytesPerSecond: 100_000_000,
  unvalidatedRepliesPerSecond: 5,
  unvalidatedRepliesPerPrefix: 50,
  maxBlankRun: 8,
  outputBytesPerPeer: 1024,
  outputBytesPerIp: 4096,
  whoIntervalMs: 5000,
  maxEchoes: 3,
});

/**
 * What changes when only this machine can reach the room (bound to 127.0.0.0/8, ::1 or localhost,
 * its page too): the per-peer message rate, and the caps per address (below). Everyone in such a room is on the teacher's own
 * machine, so the rate protects no one from a stranger; what it did there was turn the README's
 * numbered run (1,000 messages at 1 ms) into `lost 957`. 1,000 a second after a burst of 1,000
 * lets every run at `--interval 1ms` (the finest Node's timers keep) through, and 1,000 sent at
 * once, while a runaway loop between two programs on the machine is still cut.
 */
export const LOOPBACK_LIMITS: Readonly<Partial<Limits>> = Object.freeze({
  messageBurst: 1000,
  messageRate: 1000,
  // Every peer of a loopback room is 127.0.0.1 (or ::1): a cap per address would be a cap on the
  // whole room, forty `/who` would go unanswered, and ten tabs would push each other out while
  // they give the password. Nobody off the machine can be the victim of a forged source here.
  outputBytesPerIp: 0,
  maxWaitingPerIp: 0,
});

/** The default limits of a room: DEFAULT_LIMITS, with LOOPBACK_LIMITS over them when only this machine can reach it. */
export function defaultLimits(loopback: boolean): Readonly<Limits> {
  return loopback ? Object.freeze({ ...DEFAULT_LIMITS, ...LOOPBACK_LIMITS }) : DEFAULT_LIMITS;
}

/** Most one `! slow down` tally a second per peer: a flood must not be answered by a flood. */
export const REFUSAL_NOTICE_INTERVAL_MS = 1000;

/** A peer's dropped messages are logged (an `error` event) once per this long, with the reason. */
export const DROP_LOG_INTERVAL_MS = 60_000;

/** How long a peer may stay silent before it is dropped (DESIGN.md: 60s). */
export const DEFAULT_PEER_TIMEOUT_MS = 60_000;

/** The default port of a room and of the echo server. */
export const DEFAULT_PORT = 9000;

/**
 * The UDP echo server's guards (`udp-chat echo`). The echo answers anyone, so a forged source must
 * not make it a reflector, and two echo services must not bounce a datagram between them forever.
 */
export const ECHO_LIMITS = Object.freeze({
  /** Answers a second per source /24 or /56, off loopback (`echo --answer-rate`). */
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
  /**
   * Bytes of answers an impaired echo (`echo --delay`, `--reorder`) holds back at once; an answer
   * that would take it past this is not sent, counted as `impairment.queueDrops`. Each copy counts
   * HELD_COPY_OVERHEAD (transports/held.ts) besides its bytes, so empty datagrams are bounded too.
   * 4 MB is a class's pings delayed by seconds many times over, and a flood's held answers stay bounded.
   */
  heldBytes: 4_000_000,
});

/** The UDP impairment proxy's client table (`udp-chat proxy`): one upstream socket (a file descriptor) per client. */
export const PROXY_LIMITS = Object.freeze({
  /** Most clients mapped at once; past it the least recently seen one loses its socket (`--max-clients`). */
  maxClients: 1024,
  /** New clients a second per source /24 or /56, in bursts of as many (`--client-rate`). */
  newClientsPerPrefix: 100,
  /** Bytes of datagrams a delay (`--delay`, `--reorder`) holds back at once, as the echo's (ECHO_LIMITS.heldBytes); past it, queue drops. */
  heldBytes: 4_000_000,
});

/**
 * Every limit turned off (for benchmarks): counts at 0, sizes as large as the protocol allows.
 * maxBlankRun stays on: it is what a reader's terminal needs, not a capacity, and the relay
 * benchmark should measure its cost.
 */
export const NO_LIMITS: Readonly<Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxMessageBytes: 65507,
  maxPeers: 0,
  maxPeersPerIp: 0,
  joinsPerIpPerMinute: 0,
  maxWaiting: 0,
  maxWaitingPerIp: 0,
  waitingTimeoutMs: 0,
  messageBurst: 0,
  messageRate: 0,
  renameBurst: 0,
  maxQueueBytes: 0,
  maxSendDatagramsPerSecond: 0,
  maxSendBytesPerSecond: 0,
  unvalidatedRepliesPerSecond: 0,
  unvalidatedRepliesPerPrefix: 0,
  outputBytesPerPeer: 0,
  outputBytesPerIp: 0,
  whoIntervalMs: 0,
  maxEchoes: 0,
});

/**
 * The page's live timeline (`GET /timeline`): what it may cost the server. The room records at
 * most maxEventsPerSecond events one by one (a batch's share each batchMs, 30 by default) and
 * counts the rest into the batch's aggregate, so a flood costs the feed a bounded batch.
 */
export const TIMELINE_LIMITS = Object.freeze({
  /** Events sent one by one, a second (counted per batch). Past them, a batch's events are only counted. */
  maxEventsPerSecond: 300,
  /** One batch this often, while anything happened. */
  batchMs: 100,
  /** Pages subscribed at once; the next is refused (503) until one goes. */
  maxSubscribers: 16,
  /**
   * Of maxSubscribers, the places only the teacher's pages (a loopback address or the teacher key)
   * may take: in an open room anyone on the LAN may subscribe, and a student's script opening
   * sixteen pages must not lock the projector out of the timeline.
   */
  teacherPlaces: 4,
  /**
   * Bytes queued for one subscriber before it misses batches (counted, told in `skipped`): a
   * page that does not read must not grow the server's memory. A full batch is some 10 KB.
   */
  maxBufferedBytes: 256 * 1024,
  /** A chat message's text on the feed is cut to this many characters: a label on an arrow. */
  maxTextChars: 200,
  /** The feed is read-only: a subscriber that sends more than this many bytes is closed (1008). */
  maxInboundBytes: 4096,
});
