/**
 * What `send` prints besides the replies: the interval lines of `--report` (as iperf3 `-i`), the
 * live line of a numbered run on a terminal, and why a run heard nothing back.
 */
import type { SeqInterval, SeqProgress } from '../client/seq-meter.js';

const percent = (p: number) => Number(p.toPrecision(3));
const seconds = (ms: number) => (ms / 1000).toFixed(2);

/**
 * `[0.00-0.20 s] sent 20, received 20, lost 0 (0%), latency avg 0.081 ms max 0.210 ms`. With
 * `counting` false (no --wait, so replies are not read) only what was sent.
 */
export function formatInterval(r: SeqInterval, counting: boolean): string {
  const at = `[${seconds(r.startMs)}-${seconds(r.endMs)} s] sent ${r.sent}`;
  if (!counting) return at;
  const extra = [
    ...(r.refused > 0 ? [`refused by the room ${r.refused}`] : []),
    ...(r.duplicates > 0 ? [`duplicates ${r.duplicates}`] : []),
    ...(r.outOfOrder > 0 ? [`out of order ${r.outOfOrder}`] : []),
  ];
  const latency = r.latencyMs ? `latency avg ${r.latencyMs.avg.toFixed(3)} ms max ${r.latencyMs.max.toFixed(3)} ms` : 'latency none';
  return [`${at}, received ${r.received}, lost ${r.lost} (${percent(r.lossPercent)}%)`, ...extra, latency].join(', ');
}

/** The live line: `sent 340/1000, received 338, lost 2` (a datagram still on its way is not lost yet). */
export function formatProgress(p: SeqProgress, counting: boolean): string {
  const sent = `sent ${p.sent}/${p.total}`;
  if (!counting) return sent;
  return `${sent}, received ${p.received}, lost ${p.lost}${p.refused > 0 ? `, refused by the room ${p.refused}` : ''}`;
}

/** A room relays a line to the others, not back to its sender: a numbered run hears none of its own. */
export const ROOM_NO_REPLIES =
  'no replies: a chat room does not send your own lines back; count them at a receiver with udp-chat chat --stats, or serve with --echo-self';

/** A validating room drops a new address's lines until it answers the join token, which send does not. */
export const CHALLENGE_NO_REPLIES =
  'no replies: the room asks a new address to answer its /join token first, which send does not do; use udp-chat chat, or serve with --open';
