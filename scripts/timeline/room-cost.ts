/**
 * The recorder's own cost, apart from sockets: one room in this process with N peers on links
 * that send nothing, a sender's chat lines handed to room.receive() with its timeline off and on
 * (past the batch's share, as under a flood: every event only counted), in alternating order.
 * What is left is the room's work per message and the timeline's share of it.
 */
import { lineChannel } from '../../src/core/channel.js';
import { NO_LIMITS } from '../../src/core/limits.js';
import type { Peer, PeerLink } from '../../src/core/peer.js';
import { Room } from '../../src/core/room.js';
import { median } from '../harness/report.js';

/** Nanoseconds per message, median over rounds, with the timeline off and on. */
export interface RoomCost {
  n: number;
  messages: number;
  offNs: number;
  onNs: number;
}

function link(i: number): PeerLink {
  return { channel: lineChannel('tcp'), ip: '127.0.0.1', address: `127.0.0.1:${1000 + i}`, proven: true, send() {}, close() {} };
}

/** Times `messages` chat lines from one sender to n receivers, `rounds` times each way. */
export function roomCost(n: number, messages: number, rounds: number): RoomCost {
  const room = new Room({ limits: NO_LIMITS, peerTimeoutMs: 3_600_000 });
  for (let i = 0; i < n; i++) room.join(link(i));
  const sender = room.join(link(n)) as Peer;
  const lines = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode(`bench ${i} 12345.6789`));
  const run = (on: boolean): number => {
    room.timeline.active = on;
    const start = process.hrtime.bigint();
    for (let i = 0; i < messages; i++) {
      room.receive(sender, lines[i & 63]!);
      // The feed takes a batch every 100 ms; here every 10,000 messages, still far past its share.
      if (on && i % 10_000 === 0) room.timeline.take();
    }
    const ns = Number(process.hrtime.bigint() - start) / messages;
    room.timeline.active = false;
    return ns;
  };
  run(false);
  run(true);
  const off: number[] = [];
  const onNs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      off.push(run(false));
      onNs.push(run(true));
    } else {
      onNs.push(run(true));
      off.push(run(false));
    }
  }
  room.close();
  return { n, messages, offNs: median(off), onNs: median(onNs) };
}
