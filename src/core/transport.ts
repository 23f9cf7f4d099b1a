/**
 * The seam between the room and every server-side transport. A transport is handed a
 * TransportContext when it starts: the room's door (join, receive, leave), a sink for the drops
 * it decides, the limits and the clock. It never reads the room's state; the server holds it by
 * the Transport interface alone.
 */
import type { DropReason } from './counters.js';
import type { Limits } from './limits.js';
import type { LeaveReason, Peer, PeerLink } from './peer.js';
import type { TimelineSink } from './timeline.js';

/**
 * A peer's message budget (its rate limit's token bucket), as the room sees it now. A stream
 * transport reads no more messages from a peer than `messages`, and when that is 0 stops reading
 * the connection until `readyAt` (backpressure: the bytes wait in the kernel, the sender's TCP
 * window closes), instead of reading lines only for the room to drop them.
 */
export interface MessageBudget {
  /** Messages the room would take now before its rate limit drops one; Infinity with no limit, or for a peer no longer in the room. */
  messages: number;
  /** When the budget holds a message again, on the room's clock: now when `messages` is not 0. */
  readyAt: number;
}

/** What a transport may ask of the room. */
export interface RoomDoor {
  /** Adds a peer, or returns null after telling the link why it was turned away. */
  join(link: PeerLink): Peer | null;
  /** One message from a peer: any bytes at all, as they came off the wire. */
  receive(peer: Peer, bytes: Uint8Array): void;
  /** The peer's message budget: how many messages receive() would take now, and when the next one if none. */
  budget(peer: Peer): MessageBudget;
  /**
   * A message of `size` bytes the transport refused before buffering it (framer, ws maxPayload);
   * `note`, when given, is added to the refusal (a length header in the wrong byte order says which flag fits).
   */
  tooLong(peer: Peer, size: number, note?: string): void;
  /**
   * A message of `size` bytes the transport read but cannot put in the room's form (a JSON event
   * it does not take): counted in and within the sender's rate as any message, then refused as a
   * bad command is: the peer is told `! message`, the server logs `code`.
   */
  refuse(peer: Peer, size: number, code: string, message: string): void;
  /** The peer is gone (FIN, RST, no pong): the room tells the others. */
  leave(peer: Peer, reason: LeaveReason, detail?: string): void;
  /** A stream peer whose send queue passed the cap; called from a later tick, never inside a broadcast. */
  dropSlowReader(peer: Peer): void;
}

/** Everything a transport is given when it starts. */
export interface TransportContext {
  readonly room: RoomDoor;
  /**
   * Counts a drop the transport decided (denied, unvalidated, sendCap, afterLeave, flooding,
   * resetBeforeAccept, foreignHost); `peer` when it was a peer's, for the timeline.
   */
  drop(reason: DropReason, count?: number, peer?: Peer): void;
  /**
   * The page's live timeline: each read the transport makes from a peer goes to `timeline.read`,
   * behind a check of `timeline.active` (no page listening: one boolean, nothing counted).
   */
  readonly timeline: TimelineSink;
  readonly limits: Readonly<Limits>;
  /** The room's clock (ms): every limit a transport enforces runs on it. */
  clock(): number;
  readonly peerTimeoutMs: number;
  /** Who may connect at all (--allow/--deny); the port only names the one turned away in the log. */
  admit(ip: string, port?: number): boolean;
  /** A socket error that is one peer's trouble, not the server's: reported, never thrown. */
  onError(err: Error): void;
}

/** Where a transport is bound. */
export interface BoundAddress {
  address: string;
  family: string;
  port: number;
}

/** What each transport reports besides the room's counters. */
export interface TransportStats {
  /** Peers connected (or known, for UDP) on this transport. */
  peers: number;
  /** Sends that failed and sockets that errored (EMSGSIZE, ENOBUFS, ECONNRESET, EPIPE): counted, never fatal. */
  socketErrors: number;
  /** Join tokens asked for and not (yet) shown: what a forged flood costs (UDP). */
  challenges: number;
  /**
   * Datagrams the OS dropped before the server could read them (a full receive buffer), where
   * the OS tells (Linux); null where it does not. Absent for a transport that cannot lose any (TCP).
   */
  kernelDrops?: number | null;
}

/** A running server-side transport: every one of them, as the chat server holds it. */
export interface Transport {
  /** The registry's name for it (`udp`, `tcp`, `ws`). */
  readonly name: string;
  address(): BoundAddress;
  stats(): TransportStats;
  /** Stops taking peers and closes every socket once the room's goodbyes have gone. */
  close(): Promise<void>;
}
