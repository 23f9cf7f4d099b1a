/**
 * `send --multicast GROUP` and `send --broadcast [ADDR]`: what only datagrams can do, one send
 * reaching every receiver at once. Each message is one datagram to the group (or the broadcast
 * address), whatever the number of receivers; replies come back by unicast to the sender's own
 * port from anyone who answers, so each is handed on with who sent it.
 */
import { isIP } from 'node:net';
import { ChatError } from '../core/errors.js';
import { formatAddress } from '../transports/address.js';
import { groupError, groupType, interfaceFor, isMulticast, openSender, parseGroup } from '../transports/multicast/group.js';
import { payloadLines } from './connection.js';
import { exchange, prepared, type ExchangeOptions, type Link, type Reply, type RunResult } from './send.js';

/** The limited broadcast: every host on the sender's link (routers never forward it). */
export const LIMITED_BROADCAST = '255.255.255.255';

export interface GroupSendOptions extends ExchangeOptions {
  /** A multicast group, or with `broadcast` an IPv4 broadcast address. */
  to: string;
  port: number;
  /** SO_BROADCAST: `to` is a broadcast address (IPv4 only). */
  broadcast?: boolean;
  /** The interface to send on, as group.ts's interfaceFor takes it; undefined: the system's choice. */
  interface?: string;
  /** Multicast hops: 1 stays on the LAN, 0 on this machine (default 1). */
  ttl?: number;
}

export interface GroupSendResult extends RunResult {
  /** Where the datagrams went, `239.1.2.3:9000`. */
  to: string;
  /** Every reply, with who sent it. */
  replies: Required<Reply>[];
}

/**
 * Checks a broadcast address: IPv4 only (IPv6 has no broadcast; its all-nodes group ff02::1 is
 * what takes its place, by multicast), and not a group (that is --multicast's).
 */
export function parseBroadcast(input: string): string {
  const address = input.trim() === '' ? LIMITED_BROADCAST : input.trim();
  if (isMulticast(address)) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--broadcast ${address}: that is a multicast group: use --multicast ${address}`);
  }
  if (isIP(address) === 6 || isIP(address.replace(/^\[(.*)\]$/, '$1')) === 6) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--broadcast ${input}: IPv6 has no broadcast; it uses multicast instead: --multicast ff02::1 (all nodes on the link) --interface NAME`);
  }
  if (isIP(address) !== 4) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--broadcast '${input}' is not an IPv4 address: give a broadcast address (192.168.1.255), or none for 255.255.255.255 (then put messages after --)`);
  }
  return address;
}

/** Sends each message once to a group or a broadcast address; with a wait, collects who answered. */
export async function sendToGroup(options: GroupSendOptions): Promise<GroupSendResult> {
  // Checked before any socket exists: a bad address is the caller's mistake, not the network's.
  const address = options.broadcast ? parseBroadcast(options.to) : parseGroup(options.to);
  const type = options.broadcast ? 'udp4' : groupType(address);
  const iface = options.broadcast ? options.interface : interfaceFor(address, options.interface);
  if (options.broadcast && iface !== undefined && isIP(iface) !== 4) {
    throw new ChatError('ERR_BAD_ARGUMENT', `--interface '${iface}': a broadcast goes out of an IPv4 interface: give its address`);
  }
  const to = formatAddress(address, options.port);
  const messages = await prepared(options);
  const socket = await openSender({
    type,
    ...(iface !== undefined ? { interface: iface } : {}),
    ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
    ...(options.broadcast ? { broadcast: true } : {}),
  });
  const what = options.broadcast ? `cannot broadcast to ${to}` : `cannot send to group ${to}`;
  let closed = false;
  const bound = socket.address();
  const link: Link = {
    transport: 'udp',
    local: formatAddress(bound.address, bound.port),
    remote: to,
    send: (text) => {
      if (closed) return;
      // An unconnected socket reports a refused send (no route, a refused broadcast) here only.
      socket.send(text, options.port, address, (err) => {
        if (err) socket.emit('error', err);
      });
    },
    listen: (onLine, onError) => {
      socket.on('message', (msg, rinfo) => {
        for (const line of payloadLines(msg)) onLine(line, formatAddress(rinfo.address, rinfo.port));
      });
      socket.on('error', (err: NodeJS.ErrnoException) => onError(groupError(err, what, { broadcast: options.broadcast === true })));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      // Let the last datagram leave before the socket goes: send() completes on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
  const { replies, ...run } = await exchange(link, messages, options);
  return { ...run, to, replies: replies.map((r) => ({ line: r.line, from: r.from ?? '' })) };
}
