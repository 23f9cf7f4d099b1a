/**
 * The room over UDP. A peer is a source address and port; its first datagram joins it, and
 * one datagram is one message. Nothing tells a UDP server that a peer has gone: only the
 * room's expiry of silent peers does.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { LeaveReason, Peer, PeerLink } from '../core/peer.js';
import type { Room } from '../core/room.js';
import { formatAddress, udpType } from './address.js';

/** Where to listen. */
export interface ListenOptions {
  host: string;
  port: number;
  /** Who may join at all (--allow/--deny); others are dropped without an answer. */
  admit?: (ip: string) => boolean;
}

/** One UDP peer's link: a reply goes back to the address the peer wrote from. */
class UdpLink implements PeerLink {
  readonly transport = 'udp' as const;
  readonly address: string;
  constructor(
    private readonly owner: UdpTransport,
    readonly key: string,
    readonly ip: string,
    readonly port: number,
  ) {
    this.address = formatAddress(ip, port);
  }
  send(line: Uint8Array): void {
    this.owner.sendTo(line, this.port, this.ip);
  }
  close(_reason: LeaveReason): void {
    this.owner.forget(this.key);
  }
}

/** A bound UDP socket feeding one room. */
export class UdpTransport {
  /** Send errors (EMSGSIZE, ENOBUFS, an ICMP error reported late): counted, never fatal. */
  sendErrors = 0;
  private readonly peers = new Map<string, Peer>();
  private closed = false;

  private constructor(
    readonly socket: dgram.Socket,
    private readonly room: Room,
    private readonly onError: (err: Error) => void,
    private readonly admit: (ip: string) => boolean,
  ) {
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    // After bind, a dgram 'error' is a failed send or a late ICMP error: one peer's trouble,
    // not the room's. Without a listener Node would throw it and end the process.
    socket.on('error', (err) => {
      this.sendErrors += 1;
      this.onError(err);
    });
  }

  /** Binds a socket and starts feeding the room. Rejects with EADDRINUSE and the like. */
  static async listen(room: Room, options: ListenOptions, onError: (err: Error) => void = () => {}): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: udpType(options.host), reuseAddr: false });
    const failed = once(socket, 'error');
    const bound = once(socket, 'listening');
    socket.bind(options.port, options.host);
    const winner = await Promise.race([bound.then(() => null), failed.then(([err]) => err as Error)]);
    if (winner) {
      socket.close();
      throw winner;
    }
    return new UdpTransport(socket, room, onError, options.admit ?? (() => true));
  }

  /** The bound address; port is the real one when 0 was asked for. */
  address(): AddressInfo {
    return this.socket.address();
  }

  /** How many UDP peers are known. */
  get size(): number {
    return this.peers.size;
  }

  private receive(msg: Buffer, ip: string, port: number): void {
    const key = `${ip}|${port}`;
    let peer = this.peers.get(key);
    if (!peer) {
      // Not even an error goes back to a denied address: an answer would confirm we are here.
      if (!this.admit(ip)) return this.room.drop('denied');
      const joined = this.room.join(new UdpLink(this, key, ip, port));
      if (!joined) return;
      peer = joined;
      this.peers.set(key, peer);
    }
    this.room.receive(peer, msg);
  }

  /** Sends one datagram; after close() it is dropped, since the socket can no longer send. */
  sendTo(line: Uint8Array, port: number, ip: string): void {
    if (!this.closed) this.socket.send(line, port, ip);
  }

  /** Called by a link when the room removes its peer. */
  forget(key: string): void {
    this.peers.delete(key);
  }

  /** Closes the socket once queued sends (the goodbyes) have gone, waiting at most half a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // send() resolves its address on a later tick, and closing cancels whatever libuv still
    // queues: without this wait, `* server shutting down` would never leave.
    const deadline = Date.now() + 500;
    do await new Promise((resolve) => setImmediate(resolve));
    while (this.socket.getSendQueueCount() > 0 && Date.now() < deadline);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
