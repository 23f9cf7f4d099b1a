/**
 * Everything the room sends goes through here: to one peer, or to every admitted peer, one
 * channel at a time. A broadcast is encoded once per channel (the channel's framing) and the
 * same bytes go to each receiver; traffic is counted per channel, once per broadcast.
 */
import type { RoomCounters } from './counters.js';
import { trafficOf } from './counters.js';
import type { Peer, PeerLink } from './peer.js';
import type { Roster } from './roster.js';

const encoder = new TextEncoder();

/** Encodes a line once, in the room's form: UTF-8 with the `\n` that makes it a line for `nc`. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + '\n');
}

/** The room's sending side. */
export class Outbox {
  /** Pending notices (coalesced joins), sent before every broadcast so they go out ahead of what follows them. */
  pending: () => void = () => {};

  constructor(
    private readonly roster: Roster,
    private readonly counters: RoomCounters,
  ) {}

  /** Sends one line (room form) to one peer. */
  deliver(peer: Peer, line: Uint8Array): void {
    this.counters.deliveries += 1;
    this.send(peer.link, line);
  }

  /**
   * Sends one line (room form) down a link, counted as traffic out. A joiner turned away gets its
   * refusal this way: it never became a peer, but what a flood of joins costs us is still counted.
   */
  send(link: PeerLink, line: Uint8Array): void {
    const bytes = link.channel.encode(line);
    const traffic = trafficOf(this.counters, link.channel.name);
    traffic.messagesOut += 1;
    traffic.bytesOut += bytes.length;
    link.send(bytes);
  }

  /** Sends one line of text to one peer. */
  tell(peer: Peer, text: string): void {
    this.deliver(peer, encodeLine(text));
  }

  /** Sends the pending notices now (before a private line or a listing that must come after them). */
  flushPending(): void {
    this.pending();
  }

  /** Sends one line (room form) to every admitted peer but `except`: one encoding per channel, the same bytes to all. */
  broadcast(line: Uint8Array, except?: Peer): void {
    this.pending();
    for (const group of this.roster.groups.values()) {
      const peers = group.peers;
      if (peers.size === 0) continue;
      const bytes = group.channel.encode(line);
      let sent = 0;
      for (const peer of peers) {
        if (peer === except) continue;
        peer.link.send(bytes);
        sent += 1;
      }
      this.counters.deliveries += sent;
      group.traffic.messagesOut += sent;
      group.traffic.bytesOut += sent * bytes.length;
    }
  }
}
