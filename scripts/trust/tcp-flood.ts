/**
 * Item 5: a TCP flood must not slow the room. Twenty connections blast empty lines at the room's
 * TCP port as fast as it reads them (a process of their own, scripts/flood/blast.ts) while UDP
 * peers ping the room at a steady rate under its message limit; the honest round trip's p50 under
 * the flood must stay within 2x of the same room idle. Before backpressure (a stream peer out of
 * budget is not read until it refills) the flood was read, parsed and dropped line by line: p50
 * went from 0.4 ms to over 2 s (6,300x). Idle and flooded are measured on one room, one after the
 * other, with the same pinging peers.
 */
import { measurePhases } from '../flood/latency.js';
import type { TrustCheck, TrustContext, TrustScenario } from './scenario.js';

const CONNECTIONS = 20;
const MAX_RATIO = 2;
/** Pinging peers, each under the room's 10 messages a second: enough samples for a p50 in under a second. */
const PEERS = 8;

export const tcpFlood: TrustScenario = {
  item: 5,
  name: 'TCP flood',
  async run({ budgetMs }: TrustContext): Promise<TrustCheck[]> {
    // On one room: a quarter of the budget idle, then a third under the flood (after its
    // warm-up); the rest goes to starting the flood's process and closing a room whose flooders
    // are not being read.
    const [idle, flood] = await measurePhases({ peers: PEERS, phases: [{ connections: 0, ms: Math.round(budgetMs / 4) }, { connections: CONNECTIONS, ms: Math.round(budgetMs / 3) }] });
    const ratio = flood!.p50 / idle!.p50;
    const read = flood!.counters.traffic.tcp.messagesIn;
    return [
      {
        name: `honest UDP p50 under ${CONNECTIONS} TCP flood connections within ${MAX_RATIO}x of idle`,
        pass: ratio <= MAX_RATIO && flood!.lost === 0,
        detail: `${ratio.toFixed(2)}x: p50 ${flood!.p50.toFixed(2)} ms under the flood (${flood!.rtts.length} pings, ${flood!.lost} lost), ${idle!.p50.toFixed(2)} ms idle (${idle!.rtts.length} pings); flood lines read ${read}, rate-limited ${flood!.counters.drops.rateLimited}`,
      },
    ];
  },
};
