import type { Channel } from './channel.js';
import type { Bucket } from './rate.js';

/**
 * Why a peer left. TCP learns of a departure from FIN/RST (`disconnected`), UDP only from
 * missing heartbeats (`timeout`): the log and the NDJSON events keep the two apart.
 */
export type LeaveReason = 'quit' | 'timeout' | 'disconnected' | 'dropped' | 'shutdown';

/** What a transport gives the room for each peer: its channel, a way to send it bytes, and to close it. */
export interface PeerLink {
  /** The transport the peer came in on; every link of one transport shares one channel. */
  readonly channel: Channel;
  /** The peer's IP address alone, for the per-address limits. */
  readonly ip: string;
  /** `127.0.0.1:5000` or `[::1]:5000`: where the peer is, and its name until it chooses one. */
  readonly address: string;
  /** Sends bytes its channel encoded. The same buffer goes to every receiver of a broadcast. */
  send(bytes: Uint8Array): void;
  /** Forgets the peer on the transport's side (a TCP socket is ended); the room has already said goodbye. */
  close(reason: LeaveReason): void;
  /**
   * True when the peer has shown it receives at its address: a TCP handshake, a WebSocket, a UDP
   * join token echoed. Only a peer that has not (a UDP peer of an open room) can be 50 forged
   * ports of one victim, so only those share their address's output budget.
   */
  readonly proven?: boolean;
}

/** A peer in the room. */
export interface Peer {
  readonly id: number;
  readonly link: PeerLink;
  readonly joinedAt: number;
  name: string;
  /** The name's clash key (see nameKey). */
  key: string;
  lastSeen: number;
  /** False while the peer has yet to give the room's password: it hears nothing and is not listed. */
  admitted: boolean;
  messages: Bucket;
  renames: Bucket;
  /** When this peer was last told it is sending too fast (one notice a second at most). */
  warnedAt: number;
  /** Messages the rate limit dropped since the peer was last told how many (the next `! slow down` says). */
  refused: number;
  /** A tally of `refused` is scheduled for when the next notice is allowed. */
  tallyDue: boolean;
  /** When this peer's drops were last logged (once a minute at most). */
  dropLoggedAt: number;
  passwordTries: number;
  /** While waiting: when it came or last tried `/join`; its wait runs out `waitingTimeoutMs` after this. */
  triedAt: number;
  /** True once the peer showed a ticket: its name is signed, and it keeps it. */
  ticket?: boolean;
  /** `<name> ` encoded, kept for the fast path of chat lines; cleared on rename. */
  prefix?: Uint8Array | undefined;
  /** What the room may still tell this peer alone (bytes; see OutputBudget). */
  output: Bucket;
  /** When `/who` and `/help` were last answered in full, and whether a too-soon one was told so since. */
  who: Cooldown;
  help: Cooldown;
  /** The last line told to this peer alone (the room's form), to notice a peer that sends it back. */
  lastTold?: Uint8Array | undefined;
  /** Messages in a row that were a line the room had just sent this peer (an echo loop at maxEchoes). */
  echoes: number;
}

/** A command answered at most once an interval: when it last was, and whether a too-soon one was told. */
export interface Cooldown {
  at: number;
  warned: boolean;
}

/** What logs and events say about a peer. */
export interface PeerInfo {
  name: string;
  address: string;
  transport: string;
  /** Present when the name is signed by a ticket. */
  ticket?: true;
}

/** The loggable view of a peer. */
export function peerInfo(peer: Peer): PeerInfo {
  const info: PeerInfo = { name: peer.name, address: peer.link.address, transport: peer.link.channel.name };
  if (peer.ticket) info.ticket = true;
  return info;
}
