import type { LeaveReason, PeerInfo } from './peer.js';

/** What happened in the room, for logs and the NDJSON stream. All text in it is already safe to print. */
export type RoomEvent =
  | { type: 'join'; peer: PeerInfo }
  | { type: 'leave'; peer: PeerInfo; reason: LeaveReason; detail?: string }
  | { type: 'rename'; peer: PeerInfo; from: string }
  | { type: 'message'; peer: PeerInfo; text: string; to?: string }
  | { type: 'error'; peer?: PeerInfo; code: string; message: string };
