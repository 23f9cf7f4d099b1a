/** What the room counts: traffic per transport and every drop by its reason. Plain data. */

/** Why a message or a peer was turned away; every drop is counted under one of these. */
export const DROP_REASONS = [
  'tooLong',
  'rateLimited',
  'renameLimited',
  'roomFull',
  'perIpLimit',
  'joinRate',
  'badPassword',
  // A peer waiting for the password: made room for (too many waiting), or gone without a /join in time.
  'waitingFull',
  'waitingTimeout',
  // A ticket refused: expired, forged, for another room, in use, or shown to a room without tickets.
  'badTicket',
  'notAdmitted',
  'notReading',
  'denied',
  'unvalidated',
  'sendCap',
  // A stream peer's messages read after it had left (quit, dropped): the rest of a chunk, the grace before the close.
  'afterLeave',
  // A stream peer held back at its message rate for a whole peer timeout: dropped as a flood.
  'flooding',
  // A TCP connection reset before the server accepted it: it has no address to be a peer under.
  'resetBeforeAccept',
  // A request to the web page, /stats or the WebSocket for a Host that is not the server's (DNS rebinding).
  'foreignHost',
  // A line to one peer past its output budget (or its address's), not sent.
  'outputBudget',
  // A /who or /help sooner than whoIntervalMs after the last one answered.
  'whoTooSoon',
  // A peer that only sent back what the room sent it (an echo service, a reflector), dropped.
  'echoLoop',
  // A datagram or connection from an address dropped as an echo loop, within the peer timeout: not let in again.
  'echoRejoin',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

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
  /** A clustered room's bus (serve --cluster); absent otherwise. */
  cluster?: ClusterCounters;
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
    drops: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>,
    traffic: Object.fromEntries(transports.map((name) => [name, zeroTraffic()])),
  };
}

/** The traffic entry of a transport, made on first use (a test's own link, a transport added later). */
export function trafficOf(counters: RoomCounters, transport: string): TransportTraffic {
  return (counters.traffic[transport] ??= zeroTraffic());
}

/**
 * What a clustered room's bus did (`serve --cluster`): messages published and received, the ones
 * refused as bad input, the ones known lost (`missed`: gaps in another server's numbering,
 * `unsent`: not published while the link was down), how often the link was lost, and how many
 * peers the room has on other servers. Pub/sub is at-most-once, as UDP is: these say how much.
 */
export interface ClusterCounters {
  node: string;
  room: string;
  published: number;
  received: number;
  refused: number;
  missed: number;
  unsent: number;
  linkLost: number;
  remotePeers: number;
}

/** Fresh cluster counters for this server (`node`) in `room`. */
export function zeroClusterCounters(node: string, room: string): ClusterCounters {
  return { node, room, published: 0, received: 0, refused: 0, missed: 0, unsent: 0, linkLost: 0, remotePeers: 0 };
}
