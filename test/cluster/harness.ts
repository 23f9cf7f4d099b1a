/**
 * Clustered servers for the cluster's tests: each a real chat server on 127.0.0.1, port 0, joined
 * to one room on a real redis-server (test/helpers/redis.ts), with short beats so a dead server
 * is noticed in about a second; and peers on any of them, named as a cluster names them.
 */
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from '../../src/servers/chat-server.js';
import { knock } from '../helpers/chat-room.js';
import { openPeer, type PeerKind, type TestPeer } from '../helpers/peers.js';
import { WsPeer } from '../helpers/ws-peer.js';

/** One server of a test cluster and what it reported. */
export interface Node {
  readonly name: string;
  readonly server: ChatServer;
  readonly events: ServerEvent[];
}

/** Beats every 200 ms; a server silent for 1 s is dead. */
export const FAST = { beatMs: 200, nodeTimeoutMs: 1000 };

/** A cluster of servers for one test; everything it opened is closed by close(). */
export class TestCluster {
  readonly nodes: Node[] = [];
  private readonly peers: TestPeer[] = [];

  constructor(
    readonly url: string,
    readonly room = 'lab',
  ) {}

  /** Starts server `name` of the room (UDP and TCP on one port, the page's WebSocket on another). */
  async start(name: string, options: Partial<ChatServerOptions> = {}): Promise<Node> {
    const events: ServerEvent[] = [];
    const server = await startChatServer({
      host: '127.0.0.1',
      port: 0,
      transport: 'both',
      web: { port: 0 },
      room: this.room,
      cluster: { url: this.url, node: name, ...FAST },
      onEvent: (e) => events.push(e),
      ...options,
    });
    const node = { name, server, events };
    this.nodes.push(node);
    return node;
  }

  /** Opens a peer of `node` over `kind`, waits for its welcome, and renames it `name`, seen done by itself. */
  async join(node: Node, kind: PeerKind, name: string): Promise<TestPeer> {
    for (;;) {
      const peer = kind === 'ws' ? await WsPeer.open(node.server.transports.ws!.port) : await openPeer(kind, node.server.port);
      // Two sockets of different transports can get one port number: the room then names the second
      // `tcp/ADDRESS@NODE`; the tests name peers by address, so take another.
      if (this.peers.some((p) => p.address === peer.address)) {
        await peer.close();
        continue;
      }
      this.peers.push(peer);
      knock(peer);
      await peer.waitFor(/^\* welcome /);
      peer.send(`/nick ${name}`);
      await peer.waitFor(`* ${peer.address}@${node.name} is now ${name}`);
      return peer;
    }
  }

  async close(): Promise<void> {
    for (const peer of this.peers) await peer.close().catch(() => undefined);
    for (const node of this.nodes) await node.server.close().catch(() => undefined);
  }
}

/** The `cluster` events of a server, as `what: message`. */
export function clusterEvents(events: readonly ServerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'cluster' ? [`${e.what}: ${e.message}`] : []));
}

/** Waits (within `ms`) until `check` is true, polling; for counters, which have no event to wait on. */
export async function until(check: () => boolean, what: string | (() => string), ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
