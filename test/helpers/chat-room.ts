/**
 * A chat server on 127.0.0.1 for one test, with the peers the test opens over any transport,
 * everything closed afterwards whatever happened: the one harness of the contract suite and of
 * the per-transport files.
 */
import { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from '../../src/servers/chat-server.js';
import { openPeer, type PeerKind, type TcpTestPeer, type TestPeer, type UdpTestPeer, type WsTestPeer } from './peers.js';
import { WsPeer, type WsPeerOptions } from './ws-peer.js';

/** The test peer of each transport. */
export type PeerOf<K extends PeerKind> = K extends 'udp' ? UdpTestPeer : K extends 'tcp' ? TcpTestPeer : WsTestPeer;

/** A running server and what a test does with it. */
export interface ChatRoom {
  server: ChatServer;
  events: ServerEvent[];
  /** Opens a peer (for `ws`, on the web port); it has not necessarily joined yet (a UDP peer joins with its first message). */
  open<K extends PeerKind>(kind: K, options?: WsPeerOptions): Promise<PeerOf<K>>;
  /** Opens a peer and waits for its welcome (a UDP peer sends an empty datagram, a heartbeat, to join), then takes `name`. */
  join<K extends PeerKind>(kind: K, name?: string, options?: WsPeerOptions): Promise<PeerOf<K>>;
}

/** Starts a server on 127.0.0.1, port 0, runs `body`, then closes its peers and the server. */
export async function withChatRoom(options: Partial<ChatServerOptions>, body: (room: ChatRoom) => Promise<void>): Promise<void> {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, ...options, onEvent: (e) => events.push(e) });
  const peers: TestPeer[] = [];
  const open = async <K extends PeerKind>(kind: K, wsOptions?: WsPeerOptions): Promise<PeerOf<K>> => {
    for (;;) {
      const peer = kind === 'ws' ? await WsPeer.open(server.transports.ws!.port, wsOptions) : await openPeer(kind, server.port, options.framing);
      // Two sockets of different transports may get the same port number, and the room then names the second
      // `tcp/ADDRESS`: rare, but the tests name peers by address, so take another port.
      if (!peers.some((p) => p.address === peer.address)) {
        peers.push(peer);
        return peer as PeerOf<K>;
      }
      await peer.close();
    }
  };
  const join = async <K extends PeerKind>(kind: K, name?: string, wsOptions?: WsPeerOptions): Promise<PeerOf<K>> => {
    const peer = await open(kind, wsOptions);
    knock(peer);
    await peer.waitFor(/^\* welcome /);
    if (name) await rename(peer, name);
    return peer;
  };
  try {
    await body({ server, events, open, join });
  } finally {
    for (const peer of peers) await peer.close();
    await server.close();
  }
}

/** Makes a peer known to the room: a UDP peer by an empty datagram (a heartbeat); a stream peer is known on connecting. */
export function knock(peer: TestPeer): void {
  if (peer.kind === 'udp') peer.send('');
}

/** Renames a peer that is still named after its address, and waits until it is told. */
export async function rename(peer: TestPeer, name: string): Promise<void> {
  peer.send(`/nick ${name}`);
  await peer.waitFor(`* ${peer.address} is now ${name}`);
}

/** Sends a ping and waits for its pong: every line the server sent this peer before is in by then. */
export async function sync(peer: TestPeer, token: string): Promise<void> {
  peer.send(`/ping ${token}`);
  await peer.waitFor(`/pong ${token}`);
}

/** The codes of the room's `error` events, in order. */
export function errorCodes(events: readonly ServerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'error' || e.type === 'refused' ? [e.code] : []));
}

/** Each `leave` event as [name, reason]. */
export function leaves(events: readonly ServerEvent[]): Array<[string, string]> {
  return events.flatMap((e): Array<[string, string]> => (e.type === 'leave' ? [[e.peer.name, e.reason]] : []));
}
