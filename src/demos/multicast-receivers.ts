/**
 * The receivers of `demo multicast`, run in a child process (forked) so the demo's own CPU time is
 * the server's and the sender's alone, not the receivers'. Told over IPC what to open, it opens N
 * sockets of one kind, says `ready` once each is in (a room peer: when the room has welcomed it),
 * counts the demo's lines on each once told how many to expect (`armed`), and says `done` with the counts once every socket has them all
 * (or when told to stop).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { openGroupReceiver } from '../transports/multicast/group.js';

/** What the demo asks of the child. */
export type ReceiverOrder =
  | { open: 'udp' | 'tcp'; port: number; n: number }
  | { open: 'group'; group: string; port: number; n: number }
  /** Count from zero again; say `done` once every socket has `expect` of the demo's lines. */
  | { expect: number }
  /** Say the counts so far (`done` may never come: a datagram lost in a full receive buffer is gone). */
  | { report: true }
  | { stop: true };

/** What the child answers. */
export type ReceiverReport = { ready: number } | { armed: number } | { done: number[] } | { counts: number[] } | { error: string };

// The demo's numbered lines, `<sender> mc-demo 3`: only these are counted (not joins, welcomes).
const LINE = /mc-demo \d+/g;

async function open(order: Extract<ReceiverOrder, { open: string }>, counts: number[], onLine: () => void): Promise<Array<() => void>> {
  const closers: Array<() => void> = [];
  const count = (i: number, text: string) => {
    counts[i]! += text.match(LINE)?.length ?? 0;
    onLine();
  };
  for (let i = 0; i < order.n; i++) {
    if (order.open === 'group') {
      const socket = await openGroupReceiver({ group: order.group, port: order.port, interface: '127.0.0.1' });
      socket.on('message', (msg) => count(i, String(msg)));
      closers.push(() => socket.close());
    } else if (order.open === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      const welcomed = once(socket, 'message');
      socket.on('message', (msg) => count(i, String(msg)));
      socket.send(`/nick r${i}`, order.port, '127.0.0.1');
      await welcomed;
      closers.push(() => socket.close());
    } else {
      const socket = net.connect({ port: order.port, host: '127.0.0.1', noDelay: true });
      await once(socket, 'connect');
      const welcomed = once(socket, 'data');
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => count(i, text));
      socket.on('error', () => {});
      socket.write(`/nick r${i}\n`);
      await welcomed;
      closers.push(() => socket.destroy());
    }
  }
  return closers;
}

// Run as a forked child: obey the parent's orders.
if (process.send) {
  let closers: Array<() => void> = [];
  let counts: number[] = [];
  const send = (report: ReceiverReport) => process.send!(report);
  let expect = Infinity;
  const check = () => {
    if (counts.every((c) => c >= expect)) {
      expect = Infinity;
      send({ done: [...counts] });
    }
  };
  // The demo gone (killed, crashed) without a stop: exit, not an orphan holding N sockets for ever.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (order: ReceiverOrder) => {
    if ('stop' in order) {
      for (const close of closers) close();
      process.disconnect();
    } else if ('report' in order) {
      send({ counts: [...counts] });
    } else if ('expect' in order) {
      counts.fill(0);
      expect = order.expect;
      // Said before the parent sends: a line that came ahead of this order would be wiped above.
      send({ armed: expect });
    } else {
      counts = new Array<number>(order.n).fill(0);
      open(order, counts, check).then(
        (opened) => {
          closers = opened;
          send({ ready: opened.length });
        },
        (err: Error) => send({ error: err.message }),
      );
    }
  });
}
