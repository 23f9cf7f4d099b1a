/** udp-chat's own room as a relay under test, over UDP or TCP. */
import { NO_LIMITS } from '../../src/core/limits.js';
import { startChatServer, type ChatServer, type ChatServerOptions } from '../../src/servers/chat-server.js';
import { ownCpuUs } from '../harness/process.js';
import { HOST } from '../harness/sockets.js';
import type { FeedMode, Relay } from './trial.js';

/**
 * udp-chat's server with every limit off (the per-peer message rate alone would hold the sender
 * to 10 a second; maxQueueBytes 0: no TCP receiver is dropped as slow) and no expiry during a
 * run. Open: on loopback no source can be forged, so UDP peers join with their first datagram,
 * as the default for 127.0.0.1 is anyway. With a `feed`, it serves the page too (--web), and
 * with `open` says where the child's subscriber reads the live timeline. With `room` and
 * `cluster`, it is one server of a room shared over Redis (bench-cluster.ts); `server` is there
 * for its counters.
 */
export async function startChatRelay(transport: 'udp' | 'tcp', feed?: FeedMode, shared: Pick<ChatServerOptions, 'room' | 'cluster'> = {}): Promise<Relay & { server: ChatServer }> {
  const web = feed ? { web: { port: 0 } } : {};
  const server = await startChatServer({ transport, host: HOST, port: 0, limits: NO_LIMITS, open: true, peerTimeoutMs: 3_600_000, ...web, ...shared });
  return { server, port: server.port, ...(feed === 'open' ? { feedPort: server.transports.ws!.port } : {}), cpuUs: ownCpuUs, close: () => server.close() };
}
