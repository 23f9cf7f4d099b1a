import type { DropReason } from './counters.js';
import type { LeaveReason, PeerInfo } from './peer.js';

/**
 * Why someone was turned away: the name of the `drops.*` counter that counts it, so a line in the
 * log and the counters agree (`denied`: --allow/--deny; `joinRate`: --max-joins; `roomFull`:
 * --max-peers; `perIpLimit`: --max-per-ip; `badPassword`: a wrong password, or no ticket where
 * one is required; `badTicket`: a ticket refused; `echoRejoin`: an echo loop kept out a while).
 */
export type RefusalReason = Extract<DropReason, 'denied' | 'joinRate' | 'roomFull' | 'perIpLimit' | 'badPassword' | 'badTicket' | 'echoRejoin'>;

/** Who was turned away: its address (IP:PORT) and transport, and its name when it had one yet. */
export interface RefusedPeer {
  address: string;
  transport: string;
  name?: string;
}

/** What happened in the room, for logs and the NDJSON stream. All text in it is already safe to print. */
export type RoomEvent =
  | { type: 'join'; peer: PeerInfo }
  | { type: 'leave'; peer: PeerInfo; reason: LeaveReason; detail?: string }
  | { type: 'rename'; peer: PeerInfo; from: string }
  | { type: 'message'; peer: PeerInfo; text: string; to?: string }
  | { type: 'error'; peer?: PeerInfo; code: string; message: string }
  /**
   * Someone turned away, with why. The room reports every one; a server's log says each address
   * and reason once a minute (servers/refusal-log.ts), `repeats` counting those it left out since.
   */
  | { type: 'refused'; peer: RefusedPeer; reason: RefusalReason; code: string; message: string; repeats?: number }
  /**
   * The cluster's bus (serve --cluster): the link `lost` and `back`, a server `gone` (its peers
   * left), a bus message `refused` (logged once a minute per server), a name `conflict` found
   * when the link came back (the peer got its first name again). `node` is the other server.
   */
  | { type: 'cluster'; what: ClusterEventKind; message: string; node?: string };

/** What a `cluster` event reports. */
export type ClusterEventKind = 'lost' | 'back' | 'gone' | 'refused' | 'conflict';
