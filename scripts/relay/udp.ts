/**
 * UDP trials: one sender, N receivers, each a UDP socket of the forked child; one datagram is one
 * message. Relays: the bare dgram relay, and udp-chat's room (every receiver and the sender join
 * with `/ping`; each chat line is parsed, escaped, re-encoded as `<name> TEXT\n` and broadcast).
 */
import type dgram from 'node:dgram';
import { once } from 'node:events';
import { bindUdp, closeUdp, HOST } from '../harness/sockets.js';
import { startBareUdpRelay } from './bare.js';
import { startChatRelay } from './chat.js';
import { withFeed } from './feed.js';
import { benchText, load, type LoadTarget } from './load.js';
import { IPC_DEADLINE_MS, joinDeadlineMs, measure, type FeedMode, type FromChild, type LoadLink, type RelayKind, type Shape, type ToChild, type Trial } from './trial.js';

/** One UDP trial (parent): the child opens its sockets, the relay starts here, the child loads it. */
export async function runUdpTrial(link: LoadLink, relay: RelayKind, shape: Shape, round: number, feed?: FeedMode): Promise<Trial> {
  link.send({ type: 'open', n: shape.n });
  // The bare relay needs the receivers' ports; udp-chat learns them as they join.
  const opened = await link.next('opened', IPC_DEADLINE_MS + shape.n * 10);
  const server = relay === 'bare' ? await startBareUdpRelay(opened.receivers, opened.sender) : await startChatRelay('udp', feed);
  try {
    return await measure(link, server, { type: 'udp-run', relay, port: server.port, feedPort: server.feedPort, ...shape }, round);
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The child's side: the sockets, joining, the load

/** A receive buffer that holds a window of bursts, smaller per socket when there are many. */
function receiveBuffer(n: number): number {
  return Math.max(1 << 17, Math.min(1 << 20, Math.round((1 << 26) / n)));
}

let sockets: { sender: dgram.Socket; receivers: dgram.Socket[] } | null = null;

/** Closes the child's UDP sockets, if open. */
export async function closeUdpSockets(): Promise<void> {
  const open = sockets;
  sockets = null;
  if (open) await Promise.all([open.sender, ...open.receivers].map(closeUdp));
}

/** Binds N receivers and a sender; their ports go to the parent. */
export async function openUdpSockets(msg: Extract<ToChild, { type: 'open' }>): Promise<FromChild> {
  await closeUdpSockets();
  const recv = receiveBuffer(msg.n);
  const receivers = await Promise.all(Array.from({ length: msg.n }, () => bindUdp({ recv })));
  const sender = await bindUdp({ recv });
  sockets = { sender, receivers };
  return { type: 'opened', receivers: receivers.map((s) => s.address().port), sender: sender.address().port };
}

/** Sends `/ping TOKEN` until `/pong TOKEN` comes back: the peer has then joined the room. */
function join(socket: dgram.Socket, sendLine: (line: string) => void, token: string, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const expected = `/pong ${token}\n`;
    const ping = (): void => sendLine(`/ping ${token}`);
    // A lost /ping (or /pong) is only retried, never fatal, until the deadline.
    const retry = setInterval(ping, 200);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no '/pong ${token}' within ${deadlineMs} ms`));
    }, deadlineMs);
    const onMessage = (msg: Buffer): void => {
      if (msg.toString('latin1') === expected) {
        done();
        resolve();
      }
    };
    const done = (): void => {
      clearInterval(retry);
      clearTimeout(timer);
      socket.off('message', onMessage);
    };
    socket.on('message', onMessage);
    ping();
  });
}

/** Every message a datagram from the (connected) sender; each datagram a receiver gets is one message. */
function udpTarget(sender: dgram.Socket, receivers: readonly dgram.Socket[]): LoadTarget {
  return {
    sendBurst(from, end) {
      for (let seq = from; seq < end; seq++) sender.send(benchText(seq));
    },
    listen(onMessage) {
      for (const socket of receivers) socket.on('message', onMessage);
      return () => {
        for (const socket of receivers) socket.off('message', onMessage);
      };
    },
  };
}

/**
 * Connects the sender to `port` and, for udp-chat, joins the rooms: receivers first (receiver i
 * to ports[i % length]), then the sender; the room does not echo the sender's lines back.
 */
async function joinRooms(open: { sender: dgram.Socket; receivers: dgram.Socket[] }, port: number, ports: readonly number[] | null, n: number): Promise<void> {
  const { sender, receivers } = open;
  // Connected: no address per send, as a client would do it.
  sender.connect(port, HOST);
  await once(sender, 'connect', { signal: AbortSignal.timeout(IPC_DEADLINE_MS) });
  if (!ports) return;
  const deadline = joinDeadlineMs(n);
  await Promise.all(receivers.map((socket, i) => join(socket, (line) => socket.send(line, ports[i % ports.length]!, HOST), `r${i}`, deadline)));
  await join(sender, (line) => sender.send(line), 'sender', deadline);
}

/** Joins the rooms ahead of the load (bench-cluster.ts); the sockets stay open for udp-run, or are closed if a join fails. */
export async function joinUdpRooms(msg: Extract<ToChild, { type: 'udp-join' }>): Promise<FromChild> {
  const open = sockets;
  if (!open) throw new Error('udp-join before open');
  try {
    await joinRooms(open, msg.port, msg.ports, msg.n);
  } catch (err) {
    await closeUdpSockets();
    throw err;
  }
  return { type: 'joined' };
}

/** Joins the room (udp-chat, unless `joined` already) and runs the load; the sockets are closed after, whatever happens, unless `keep` and it went well. */
export async function runUdpLoad(msg: Extract<ToChild, { type: 'udp-run' }>, started: () => void): Promise<FromChild> {
  const open = sockets;
  if (!open) throw new Error('udp-run before open');
  let keep = false;
  try {
    if (!msg.joined) await joinRooms(open, msg.port, msg.relay === 'udp-chat' ? [msg.port] : null, msg.n);
    const result = await withFeed(msg.feedPort, () => load(udpTarget(open.sender, open.receivers), msg, started));
    keep = msg.keep === true;
    return { type: 'result', result };
  } finally {
    if (!keep) await closeUdpSockets();
  }
}
