/**
 * One chat server of bench-cluster.ts, in a process of its own (a forked child): udp-chat's
 * room with every limit off, as bench-relay measures it (scripts/relay/chat.ts), alone or as
 * one server of a room shared over Redis. It answers the parent's requests one at a time; the
 * parent's disconnect closes it (a server in a cluster says goodbye to the others first).
 */
import { answerRequests } from '../harness/process.js';
import { startChatRelay } from '../relay/chat.js';
import type { FromServer, ToServer } from './servers.js';

let relay: Awaited<ReturnType<typeof startChatRelay>> | null = null;

answerRequests<ToServer, FromServer>(
  async (msg) => {
    if (msg.type === 'start') {
      relay = await startChatRelay('udp', undefined, { room: msg.room, ...(msg.cluster ? { cluster: msg.cluster } : {}) });
      return { type: 'listening', port: relay.port };
    }
    return { type: 'counters', cluster: relay?.server.counters().cluster ?? null };
  },
  async () => {
    await relay?.close();
  },
);
