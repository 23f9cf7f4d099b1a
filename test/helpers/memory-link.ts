/**
 * A PeerLink that keeps what the room sends it, for room tests: each line decoded and without
 * its trailing `\n`, the very buffers (to check a broadcast is encoded once), and close reasons.
 * `memory` is a transport of the tests alone: links of one name share one line channel.
 */
import { lineChannel, type Channel } from '../../src/core/channel.js';
import type { LeaveReason, PeerLink } from '../../src/core/peer.js';

const decoder = new TextDecoder();
const channels = new Map<string, Channel>();

/** The one channel of a test transport's name, so the room groups its links together. */
export function memoryChannel(name: string): Channel {
  let channel = channels.get(name);
  if (!channel) channels.set(name, (channel = lineChannel(name)));
  return channel;
}

/** Records every line and close a room gives one peer. */
export class MemoryLink implements PeerLink {
  /** Each line received, decoded, with the one trailing `\n` removed. */
  readonly lines: string[] = [];
  /** Each buffer received, as the room passed it. */
  readonly buffers: Uint8Array[] = [];
  /** Every reason close() was called with, in order. */
  readonly closes: LeaveReason[] = [];
  readonly channel: Channel;

  /** The IP the per-address limits count by: the whole address unless a test says otherwise. */
  readonly ip: string;

  constructor(
    readonly address: string,
    transport = 'memory',
    ip?: string,
  ) {
    this.channel = memoryChannel(transport);
    this.ip = ip ?? address;
  }

  /** The transport's name. */
  get transport(): string {
    return this.channel.name;
  }

  send(line: Uint8Array): void {
    this.buffers.push(line);
    const text = decoder.decode(line);
    this.lines.push(text.endsWith('\n') ? text.slice(0, -1) : text);
  }

  close(reason: LeaveReason): void {
    this.closes.push(reason);
  }

  /** The lines received since the last take(), and forgets them. */
  take(): string[] {
    return this.lines.splice(0);
  }

  /** The most recent buffer received. */
  get lastBuffer(): Uint8Array | undefined {
    return this.buffers[this.buffers.length - 1];
  }
}
