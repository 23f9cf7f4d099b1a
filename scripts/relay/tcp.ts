/**
 * TCP trials: one sender, N receivers, each a connection of the forked child to the relay.
 * Relays: the bare net relay, udp-chat's room over TCP (each line a message of the room), and
 * ncat --chat. The sender writes each burst as one chunk of lines (`bench SEQ TIME\n`);
 * receivers are in the room when a `sync` line from the sender has reached every one of them.
 */
import { once } from 'node:events';
import type net from 'node:net';
import { connectTcp } from '../harness/sockets.js';
import { startBareTcpRelay } from './bare.js';
import { startChatRelay } from './chat.js';
import { withFeed } from './feed.js';
import { benchText, load, type LoadTarget } from './load.js';
import { startNcatRelay } from './ncat.js';
import { joinDeadlineMs, measure, type FeedMode, type FromChild, type LoadLink, type Relay, type Shape, type TcpRelayKind, type ToChild, type Trial } from './trial.js';

const SYNC_INTERVAL_MS = 50;

function startTcpRelay(relay: TcpRelayKind, n: number, feed?: FeedMode): Promise<Relay> {
  return relay === 'bare' ? startBareTcpRelay() : relay === 'udp-chat' ? startChatRelay('tcp', feed) : startNcatRelay(n);
}

/** One TCP trial (parent): the relay starts, the child connects N receivers and a sender and loads it. */
export async function runTcpTrial(link: LoadLink, relay: TcpRelayKind, shape: Shape, round: number, feed?: FeedMode): Promise<Trial> {
  const server = await startTcpRelay(relay, shape.n, feed);
  try {
    return await measure(link, server, { type: 'tcp-run', relay, port: server.port, feedPort: server.feedPort, ...shape }, round);
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The child's side: connections, the sync, the load

const SYNC_BYTES = Buffer.from('sync', 'latin1');

/** Splits one connection's byte stream into lines (each with its \n), for one handler. */
class LineReader {
  onLine: (line: Buffer) => void = () => {};
  private rest: Buffer | null = null;

  push(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let start = 0;
    for (let lf = data.indexOf(0x0a); lf !== -1; lf = data.indexOf(0x0a, start)) {
      this.onLine(data.subarray(start, lf + 1));
      start = lf + 1;
    }
    // Copied: the chunk's memory is not ours to keep.
    if (start < data.length) this.rest = Buffer.from(data.subarray(start));
  }
}

interface Receiver {
  socket: net.Socket;
  lines: LineReader;
}

let open: { sender: net.Socket | null; receivers: Receiver[] } | null = null;

/** Destroys the child's TCP connections, if open. */
export function closeTcpSockets(): void {
  const was = open;
  open = null;
  if (!was) return;
  was.sender?.destroy();
  for (const { socket } of was.receivers) socket.destroy();
}

/**
 * Until every receiver has read a `sync` line relayed from the sender: then each one is in the
 * room (udp-chat joins a connection when it accepts it; ncat when it has announced it).
 */
function sync(receivers: readonly Receiver[], sender: net.Socket, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = receivers.length;
    for (const r of receivers) {
      r.lines.onLine = (line) => {
        if (line.indexOf(SYNC_BYTES) === -1) return;
        r.lines.onLine = () => {};
        if (--waiting === 0) finish(null);
      };
    }
    const tick = setInterval(() => sender.write('sync\n'), SYNC_INTERVAL_MS);
    const timer = setTimeout(() => finish(new Error(`${waiting} of ${receivers.length} TCP receivers got no sync line within ${deadlineMs} ms`)), deadlineMs);
    const finish = (err: Error | null): void => {
      clearInterval(tick);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    sender.write('sync\n');
  });
}

/** A burst is one write of its lines; each line a receiver reads is one message. */
function tcpTarget(receivers: readonly Receiver[], sender: net.Socket): LoadTarget {
  return {
    sendBurst(from, end) {
      let text = '';
      for (let seq = from; seq < end; seq++) text += `${benchText(seq)}\n`;
      sender.write(text);
    },
    listen(onMessage) {
      for (const r of receivers) r.lines.onLine = onMessage;
      return () => {
        for (const r of receivers) r.lines.onLine = () => {};
      };
    },
  };
}

/** Connects, syncs and runs the load; the connections are destroyed after, whatever happens. */
export async function runTcpLoad(msg: Extract<ToChild, { type: 'tcp-run' }>, started: () => void): Promise<FromChild> {
  closeTcpSockets();
  const mine: { sender: net.Socket | null; receivers: Receiver[] } = { sender: null, receivers: [] };
  open = mine;
  const deadline = joinDeadlineMs(msg.n);
  try {
    // One at a time, and with udp-chat and ncat each only once the relay has greeted it (a
    // welcome, an announcement): connecting faster than the relay accepts overflows its listen
    // backlog (ncat's is small), and a dropped SYN is retried only after a second.
    for (let i = 0; i < msg.n; i++) {
      const socket = await connectTcp(msg.port, deadline);
      const lines = new LineReader();
      const greeted = msg.relay === 'bare' ? null : once(socket, 'data', { signal: AbortSignal.timeout(deadline) });
      socket.on('data', (chunk: Buffer) => lines.push(chunk));
      mine.receivers.push({ socket, lines });
      await greeted;
    }
    const sender = (mine.sender = await connectTcp(msg.port, deadline));
    // What the relay sends the sender (notices, ncat's announcements) is read and dropped.
    sender.on('data', () => {});
    await sync(mine.receivers, sender, deadline);
    return { type: 'result', result: await withFeed(msg.feedPort, () => load(tcpTarget(mine.receivers, sender), msg, started)) };
  } finally {
    closeTcpSockets();
  }
}
