/**
 * Everything the room sends goes through here: to one peer, or to every admitted peer, one
 * channel at a time. A broadcast is encoded once per channel (the channel's framing) and the
 * same bytes go to each receiver; traffic is counted per channel, once per broadcast. Lines told
 * to one peer alone spend its output budget; the last few broadcasts are remembered (by
 * reference) so that a peer sending one of them back can be recognised as an echo.
 */
import type { DropReason, RoomCounters } from './counters.js';
import { trafficOf } from './counters.js';
import type { OutputBudget } from './output-budget.js';
import type { Peer, PeerLink } from './peer.js';
import type { Roster } from './roster.js';

// Broadcasts remembered for echo detection: two echo services bouncing lines through the room
// keep a few chains in flight at once, so the one line just sent would miss most of their hops.
const RECENT = 16;

const encoder = new TextEncoder();

/** Encodes a line once, in the room's form: UTF-8 with the `\n` that makes it a line for `nc`. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + '\n');
}

/** A copy of the room's broadcasts (room form: a line ending in `\n`), and the name its traffic is counted under. */
export interface RoomMirror {
  readonly name: string;
  send(line: Uint8Array): void;
}

/** The room's sending side. */
export class Outbox {
  /** Pending notices (coalesced joins), sent before every broadcast so they go out ahead of what follows them. */
  pending: () => void = () => {};
  /**
   * Where every broadcast also goes, once, whoever is in the room (`serve --multicast`: one
   * datagram to a group however many listen), counted as that name's traffic out.
   */
  mirror: RoomMirror | undefined;

  // A ring of the last RECENT broadcasts and whom each left out: one store each per broadcast, none per receiver.
  private readonly recent: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(RECENT);
  private readonly recentExcept: (Peer | undefined)[] = new Array<Peer | undefined>(RECENT);
  private recentAt = 0;

  constructor(
    private readonly roster: Roster,
    private readonly counters: RoomCounters,
    private readonly budget: OutputBudget,
    /** Where a line dropped past a peer's output budget is counted: the room's drop(), which tells its timeline too. */
    private readonly drop: (reason: DropReason, count: number, peer: Peer) => void,
  ) {}

  /** Sends one line (room form) to one peer. */
  deliver(peer: Peer, line: Uint8Array): void {
    this.counters.deliveries += 1;
    peer.lastTold = line;
    this.send(peer.link, line);
  }

  /**
   * Sends one line (room form) to one peer in answer to what it sent, within its output budget
   * and its address's; false, counted as drops.outputBudget, when it does not fit.
   */
  reply(peer: Peer, line: Uint8Array): boolean {
    if (!this.budget.spend(peer, line.length)) {
      this.drop('outputBudget', 1, peer);
      return false;
    }
    this.deliver(peer, line);
    return true;
  }

  /** Bytes `peer` may be answered with now (its output budget and its address's). */
  available(peer: Peer): number {
    return this.budget.available(peer);
  }

  /**
   * True when the first `size` bytes of a message from `peer` are a line the room sent it lately
   * (told it alone, or one of the last broadcasts it was not left out of), without the newline.
   */
  heard(peer: Peer, bytes: Uint8Array, size: number): boolean {
    if (peer.lastTold !== undefined && sameLine(peer.lastTold, bytes, size)) return true;
    for (let i = 0; i < RECENT; i++) {
      const line = this.recent[i];
      if (line !== undefined && line.length === size + 1 && this.recentExcept[i] !== peer && sameLine(line, bytes, size)) return true;
    }
    return false;
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

  /** Sends one line of text to one peer, within its output budget (see reply). */
  tell(peer: Peer, text: string): boolean {
    return this.reply(peer, encodeLine(text));
  }

  /** Sends the pending notices now (before a private line or a listing that must come after them). */
  flushPending(): void {
    this.pending();
  }

  /** Sends one line (room form) to every admitted peer but `except`: one encoding per channel, the same bytes to all. */
  broadcast(line: Uint8Array, except?: Peer): void {
    this.pending();
    const at = this.recentAt;
    this.recent[at] = line;
    this.recentExcept[at] = except;
    this.recentAt = (at + 1) % RECENT;
    if (this.mirror) {
      this.mirror.send(line);
      const traffic = trafficOf(this.counters, this.mirror.name);
      traffic.messagesOut += 1;
      traffic.bytesOut += line.length;
    }
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

/** True when `line` (room form, ending in `\n`) is the first `size` bytes of `bytes` and a newline. */
function sameLine(line: Uint8Array, bytes: Uint8Array, size: number): boolean {
  if (line.length !== size + 1 || bytes.length < size) return false;
  for (let i = 0; i < size; i++) if (line[i] !== bytes[i]) return false;
  return true;
}
