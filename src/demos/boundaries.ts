/**
 * `demo boundaries`: N quick sends. A UDP receiver gets N datagrams, boundaries kept. A TCP
 * receiver gets k reads whose sizes have nothing to do with the sends: merged (sticky packets)
 * or split. The tutorials' parser, one read = one message, gets it wrong; line framing recovers N.
 */
import type net from 'node:net';
import { NO_TCP_IMPAIRMENT, startTcpProxy, type TcpImpairment } from '../proxy/tcp-proxy.js';
import { createDeframer } from '../transports/framing.js';
import { closeServer, portOf, tcpConnect, tcpServer, udpSocket, until, type DemoOptions, type DemoResult } from './common.js';
import { runClock, type ByteRange } from './trace.js';

/** What one receiver saw. */
export interface BoundaryRun {
  path: string;
  sends: number;
  reads: number[];
  naiveMessages: number;
  framedMessages: number;
  /** The sends, as byte ranges of the stream, with their times (ms since the run began). */
  writes: ByteRange[];
  /** Each read as the byte range it held, with its time and how many whole lines framing cut from it. */
  readRanges: Array<ByteRange & { messages: number }>;
}

/** Byte ranges of consecutive sizes, each at its time. */
function ranges(sizes: number[], times: number[]): ByteRange[] {
  let start = 0;
  return sizes.map((size, i) => {
    const r = { start, end: start + size, atMs: times[i] ?? 0 };
    start += size;
    return r;
  });
}

function messages(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `message ${i + 1}\n`);
}

async function overUdp(n: number): Promise<BoundaryRun> {
  const receiver = await udpSocket();
  const sender = await udpSocket();
  const reads: number[] = [];
  const readTimes: number[] = [];
  const now = runClock();
  receiver.on('message', (msg) => {
    reads.push(msg.length);
    readTimes.push(now());
  });
  try {
    const all = messages(n);
    const writeTimes = all.map((m) => {
      const at = now();
      sender.send(m, portOf(receiver), '127.0.0.1');
      return at;
    });
    await until(() => reads.length >= n, 2000);
    const writes = ranges(all.map((m) => m.length), writeTimes);
    const readRanges = ranges(reads, readTimes).map((r) => ({ ...r, messages: 1 }));
    return { path: 'UDP, loopback', sends: n, reads, naiveMessages: reads.length, framedMessages: reads.length, writes, readRanges };
  } finally {
    sender.close();
    receiver.close();
  }
}

async function overTcp(n: number, path: string, impairment?: Partial<TcpImpairment>): Promise<BoundaryRun> {
  const reads: number[] = [];
  const readTimes: number[] = [];
  const readMessages: number[] = [];
  let framed = 0;
  let now = runClock();
  const accepted: net.Socket[] = [];
  const server = await tcpServer((socket) => {
    accepted.push(socket);
    const deframer = createDeframer('line', 65535);
    socket.on('data', (chunk) => {
      reads.push(chunk.length);
      readTimes.push(now());
      const cut = deframer.push(chunk).filter((e) => e.kind === 'message').length;
      readMessages.push(cut);
      framed += cut;
    });
  });
  const proxy = impairment
    ? await startTcpProxy({
        listenHost: '127.0.0.1',
        listenPort: 0,
        targetHost: '127.0.0.1',
        targetPort: portOf(server),
        direction: 'in',
        seed: 1,
        impairment: { ...NO_TCP_IMPAIRMENT, ...impairment },
      })
    : undefined;
  const client = await tcpConnect(proxy?.port ?? portOf(server));
  try {
    const all = messages(n);
    const bytes = all.join('').length;
    now = runClock();
    // N separate write() calls in one turn of the event loop, as a chat client sends a burst.
    const writeTimes = all.map((m) => {
      const at = now();
      client.write(m);
      return at;
    });
    await until(() => reads.reduce((a, b) => a + b, 0) >= bytes, 3000);
    const writes = ranges(all.map((m) => m.length), writeTimes);
    const readRanges = ranges(reads, readTimes).map((r, i) => ({ ...r, messages: readMessages[i] ?? 0 }));
    return { path, sends: n, reads, naiveMessages: reads.length, framedMessages: framed, writes, readRanges };
  } finally {
    client.destroy();
    await proxy?.close();
    await closeServer(server, accepted);
  }
}

function summarise(reads: number[]): string {
  const shown = reads.slice(0, 8).join(' ');
  return reads.length > 8 ? `${shown} ...` : shown;
}

/** Runs the boundaries demo. */
export async function boundariesDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const n = options.count ?? 10;
  const runs = [
    await overUdp(n),
    await overTcp(n, 'TCP, loopback'),
    await overTcp(n, 'TCP, writes merged (proxy --coalesce 50ms)', { coalesceMs: 50 }),
    await overTcp(n, 'TCP, writes cut (proxy --slice 7)', { sliceBytes: 7, sliceDelayMs: 5 }),
  ];
  const mark = (got: number) => (got === n ? `${got} ok` : `${got} WRONG`);
  return {
    demo: 'boundaries',
    title: `${n} messages sent one by one: what the receiver reads`,
    columns: ['path', 'sends', 'reads', 'bytes per read', 'one read = one message', 'line framing'],
    rows: runs.map((r) => [r.path, r.sends, r.reads.length, summarise(r.reads), mark(r.naiveMessages), mark(r.framedMessages)]),
    explanation: [
      'UDP keeps boundaries: each send() is one datagram and each receive gets exactly one.',
      'TCP is a byte stream: the receiver reads whatever has arrived, so sends merge (sticky packets)',
      'or split, depending on timing, Nagle, the network and the proxies between. Typed by hand, one',
      'line at a time, each read happens to hold one line, which is why the bug survives in tutorials;',
      'a burst, a slow reader or a real network merges or cuts them. A parser that takes one read as',
      'one message miscounts; framing (a newline, or a length prefix: --framing length) recovers them.',
    ],
    data: { count: n, runs },
  };
}
