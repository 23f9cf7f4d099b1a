import type { Bucket } from './rate.js';

/** Which transport a peer came in on. The room treats them all alike; logs and `/who` show it. */
export type TransportName = 'udp' | 'tcp' | 'ws' | 'memory';

/**
 * Why a peer left. TCP learns of a departure from FIN/RST (`disconnected`), UDP only from
 * missing heartbeats (`timeout`): the log and the NDJSON events keep the two apart.
 */
export type LeaveReason = 'quit' | 'timeout' | 'disconnected' | 'dropped' | 'shutdown';

/** What a transport gives the room for each peer: a way to send it one line, and to close it. */
export interface PeerLink {
  readonly transport: TransportName;
  /** The peer's IP address alone, for the per-address limits. */
  readonly ip: string;
  /** `127.0.0.1:5000` or `[::1]:5000`: where the peer is, and its name until it chooses one. */
  readonly address: string;
  /** Sends one line, UTF-8 with its trailing `\n`. The same buffer goes to every receiver. */
  send(line: Uint8Array): void;
  /** Forgets the peer on the transport's side (a TCP socket is ended); the room has already said goodbye. */
  close(reason: LeaveReason): void;
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
  passwordTries: number;
  /** `<name> ` encoded, kept for the fast path of chat lines; cleared on rename. */
  prefix?: Uint8Array | undefined;
}

/** What logs and events say about a peer. */
export interface PeerInfo {
  name: string;
  address: string;
  transport: TransportName;
}

/** The loggable view of a peer. */
export function peerInfo(peer: Peer): PeerInfo {
  return { name: peer.name, address: peer.link.address, transport: peer.link.transport };
}
