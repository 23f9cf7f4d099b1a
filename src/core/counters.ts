/** What the room counts: traffic per transport and every drop by its reason. Plain data. */

/** Why a message or a peer was turned away; every drop is counted under one of these. */
export type DropReason =
  | 'tooLong'
  | 'rateLimited'
  | 'renameLimited'
  | 'roomFull'
  | 'perIpLimit'
  | 'joinRate'
  | 'badPassword'
  | 'notAdmitted'
  | 'notReading'
  | 'denied'
  | 'unvalidated'
  | 'sendCap'
  // A stream peer's messages read after it had left (quit, dropped): the rest of a chunk, the grace before the close.
  | 'afterLeave'
  // A line to one peer past its output budget (or its address's), not sent.
  | 'outputBudget'
  // A /who or /help sooner than whoIntervalMs after the last one answered.
  | 'whoTooSoon'
  // A peer that only sent back what the room sent it (an echo service, a reflector), dropped.
  | 'echoLoop'
  // A datagram or connection from an address dropped as an echo loop, within the peer timeout: not let in again.
  | 'echoRejoin';

/** Traffic of one transport, as the room saw it. */
export interface TransportTraffic {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

/** Counters a server reports at exit and in its events. */
export interface RoomCounters {
  joins: number;
  messages: number;
  deliveries: number;
  expired: number;
  /** Joins turned away (room full, per-address limits, join rate). */
  rejected: number;
  /**
   * Messages the room acted on: chat relayed, commands answered (refused ones too). Every message
   * in is handled or dropped: Σ traffic.messagesIn = handled + drops.rateLimited + drops.tooLong
   * + drops.notAdmitted.
   */
  handled: number;
  drops: Record<DropReason, number>;
  /** By transport name: one entry for each transport the server runs, made when the room is. */
  traffic: Record<string, TransportTraffic>;
}

/** Traffic of a transport that has sent and received nothing yet. */
export function zeroTraffic(): TransportTraffic {
  return { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
}

/** A fresh set of counters, with a traffic entry for each named transport. */
export function zeroCounters(transports: readonly string[] = []): RoomCounters {
  return {
    joins: 0,
    messages: 0,
    deliveries: 0,
    expired: 0,
    rejected: 0,
    handled: 0,
    drops: { tooLong: 0, rateLimited: 0, renameLimited: 0, roomFull: 0, perIpLimit: 0, joinRate: 0, badPassword: 0, notAdmitted: 0, notReading: 0, denied: 0, unvalidated: 0, sendCap: 0, afterLeave: 0, outputBudget: 0, whoTooSoon: 0, echoLoop: 0, echoRejoin: 0 },
    traffic: Object.fromEntries(transports.map((name) => [name, zeroTraffic()])),
  };
}

/** The traffic entry of a transport, made on first use (a test's own link, a transport added later). */
export function trafficOf(counters: RoomCounters, transport: string): TransportTraffic {
  return (counters.traffic[transport] ??= zeroTraffic());
}
