/**
 * `demo loss`, `demo reorder`, `demo duplicate`: N numbered messages through the seeded impairment
 * proxy, once over UDP and once over TCP. UDP shows which numbers were lost, arrived late or twice.
 * TCP delivers every one, once, in order, but later: a lost or delayed segment holds back all
 * behind it while it is sent again (the proxy emulates that retransmission for the stream).
 */
import type net from 'node:net';
import { formatSeq, parseSeq, SeqStats, wallClockMs, type SeqResult } from '../client/seq-stats.js';
import { NO_IMPAIRMENT, type UdpImpairment } from '../transports/policy.js';
import { NO_TCP_IMPAIRMENT, startTcpProxy, type TcpImpairment } from '../proxy/tcp-proxy.js';
import { startUdpProxy } from '../proxy/udp-proxy.js';
import { decodeText } from '../core/sanitize.js';
import { createDeframer } from '../transports/framing.js';
import { closeServer, portOf, tcpConnect, tcpServer, udpSocket, until, type DemoOptions, type DemoResult } from './common.js';
import { runClock, tenth, type MessageTrace } from './trace.js';

/** The three impairments these demos show. */
export type SequenceDemo = 'loss' | 'reorder' | 'duplicate';

const INTERVAL_MS = 2;

/** One run over one transport: the receiver's counts and each message's trace. */
interface Run {
  stats: SeqResult;
  trace: MessageTrace[];
}


// The seq numbers in bytes the proxy saw (a TCP chunk may hold several, or part of one).
function seqsIn(bytes: Uint8Array): number[] {
  return [...Buffer.from(bytes).toString('latin1').matchAll(/seq=(\d+)\//g)].map((m) => Number(m[1]));
}

// What both runs record, the same way: each message sent (paced), each one the receiving
// application read, on one clock that starts with the first send.
function recorder(n: number) {
  const stats = new SeqStats({ expected: n });
  const trace: MessageTrace[] = Array.from({ length: n }, (_, i) => ({ seq: i + 1, sentMs: 0, proxy: 'passed', heldMs: 0, arrivalsMs: [] }));
  let now = runClock();
  let arrivals = 0;
  return {
    trace,
    arrivals: () => arrivals,
    async send(write: (text: string) => void): Promise<void> {
      now = runClock();
      for (let seq = 1; seq <= n; seq++) {
        trace[seq - 1]!.sentMs = now();
        write(formatSeq(seq, n, wallClockMs()));
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      }
    },
    received(bytes: Uint8Array): void {
      const parsed = parseSeq(decodeText(bytes));
      if (!parsed) return;
      arrivals += 1;
      stats.add(parsed, wallClockMs());
      trace[parsed.seq - 1]?.arrivalsMs.push(now());
    },
    result: (): Run => ({ stats: stats.result(), trace }),
  };
}

async function overUdp(n: number, seed: number, impairment: UdpImpairment): Promise<Run> {
  const receiver = await udpSocket();
  const run = recorder(n);
  const { trace } = run;
  receiver.on('message', (msg) => run.received(msg));
  const proxy = await startUdpProxy({
    listenHost: '127.0.0.1',
    listenPort: 0,
    targetHost: '127.0.0.1',
    targetPort: portOf(receiver),
    direction: 'in',
    seed,
    impairment,
    onVerdict: (direction, datagram, verdict) => {
      if (direction !== 'in') return;
      for (const seq of seqsIn(datagram)) {
        const t = trace[seq - 1];
        if (!t) continue;
        if (verdict.kind === 'drop') t.proxy = 'lost';
        else if (verdict.duplicated) t.proxy = 'duplicated';
        else if (verdict.reordered) t.proxy = 'held';
        t.heldMs = verdict.kind === 'send' ? tenth(verdict.delays[0] ?? 0) : 0;
      }
    },
  });
  const sender = await udpSocket();
  try {
    await run.send((text) => sender.send(text, proxy.port, '127.0.0.1'));
    const c = () => proxy.counters().in;
    // Everything the proxy let through (duplicates included) has arrived, or a second has passed.
    await until(() => run.arrivals() >= c().packets - c().lost - c().queueDrops + c().duplicated, 1000 + impairment.delayMs + impairment.reorderGapMs);
    return run.result();
  } finally {
    sender.close();
    receiver.close();
    await proxy.close();
  }
}

async function overTcp(n: number, seed: number, impairment: TcpImpairment): Promise<Run> {
  const run = recorder(n);
  const { trace } = run;
  const accepted: net.Socket[] = [];
  const server = await tcpServer((socket) => {
    accepted.push(socket);
    const deframer = createDeframer('line', 65535);
    socket.on('data', (chunk) => {
      for (const e of deframer.push(chunk)) if (e.kind === 'message') run.received(e.bytes);
    });
  });
  const proxy = await startTcpProxy({
    listenHost: '127.0.0.1',
    listenPort: 0,
    targetHost: '127.0.0.1',
    targetPort: portOf(server),
    direction: 'in',
    seed,
    impairment,
    // A "lost" chunk waits the retransmission timeout; the chunks behind it wait for it (blocked).
    onSchedule: (chunk) => {
      const wait = tenth(chunk.releaseAt - chunk.at);
      for (const seq of seqsIn(chunk.bytes)) {
        const t = trace[seq - 1];
        if (!t) continue;
        t.proxy = chunk.retransmitted ? 'retransmitted' : wait >= 1 ? 'blocked' : 'passed';
        t.heldMs = wait;
      }
    },
  });
  const client = await tcpConnect(proxy.port);
  try {
    await run.send((text) => client.write(text + '\n'));
    await until(() => run.arrivals() >= n, 3000 + impairment.rtoMs * 4);
    return run.result();
  } finally {
    client.destroy();
    await proxy.close();
    await closeServer(server, accepted);
  }
}

const SETTINGS: Record<SequenceDemo, { udp: Partial<UdpImpairment>; tcp: Partial<TcpImpairment>; flag: string; what: string }> = {
  loss: { udp: { loss: 0.2 }, tcp: { loss: 0.2, rtoMs: 200 }, flag: '--loss 0.2', what: 'lost' },
  reorder: { udp: { reorder: 0.2, reorderGapMs: 15 }, tcp: { loss: 0.2, rtoMs: 15 }, flag: '--reorder 0.2 --reorder-gap 15ms', what: 'held back' },
  duplicate: { udp: { duplicate: 0.2 }, tcp: {}, flag: '--duplicate 0.2', what: 'duplicated' },
};

const EXPLANATIONS: Record<SequenceDemo, string[]> = {
  loss: [
    'UDP: a lost datagram is gone. The receiver sees a gap in the numbers and nothing else tells it;',
    'an application that needs every message must number them, notice gaps and ask again itself.',
    'TCP: the same losses cost time instead. The lost segment is sent again after a retransmission',
    'timeout (about 200ms) and every byte behind it waits: head-of-line blocking raises p99 latency.',
  ],
  reorder: [
    'UDP: a datagram held back on the path arrives after later ones: the receiver sees it "late"',
    '(out of order, as iperf3 counts). The application must sort them if order matters.',
    'TCP: the kernel puts segments back in order before the application reads them; what the',
    'application sees is only the wait for the missing piece.',
  ],
  duplicate: [
    'UDP: a network may deliver one datagram twice (a retransmitting link, a routing loop); the',
    'receiver gets both copies. Numbering lets it spot and drop the repeat.',
    'TCP: sequence numbers let the kernel discard the repeat; the application never sees it.',
  ],
};

function list(seqs: number[]): string {
  if (seqs.length === 0) return '-';
  return seqs.length > 12 ? `${seqs.slice(0, 12).join(' ')} ...` : seqs.join(' ');
}

/** Runs one of the numbered-message demos. */
export async function sequenceDemo(which: SequenceDemo, options: DemoOptions = {}): Promise<DemoResult> {
  const n = options.count ?? 50;
  const seed = options.seed ?? 42;
  const s = SETTINGS[which];
  const udpImpairment = { ...NO_IMPAIRMENT, ...s.udp };
  const tcpImpairment = { ...NO_TCP_IMPAIRMENT, ...s.tcp };
  const udpRun = await overUdp(n, seed, udpImpairment);
  const tcpRun = await overTcp(n, seed, tcpImpairment);
  const udp = udpRun.stats;
  const tcp = tcpRun.stats;
  const ms = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));
  const row = (name: string, r: SeqResult) => [name, n, r.received, r.lost, r.outOfOrder, r.duplicates, ms(r.latency?.p50), ms(r.latency?.p99)];
  return {
    demo: which,
    title: `${n} numbered messages through the proxy (${s.flag}, --seed ${seed})`,
    columns: ['transport', 'sent', 'received', 'lost', 'late', 'duplicated', 'p50 ms', 'p99 ms'],
    rows: [row('UDP', udp), row('TCP', tcp)],
    explanation: [
      `UDP lost: ${list(udp.lostSeqs)}; late: ${list(udp.lateSeqs)}; twice: ${list(udp.duplicateSeqs)}.`,
      `TCP: ${tcp.received} of ${n} received, in order${tcp.lost ? `, ${tcp.lost} missing` : ''}.`,
      ...EXPLANATIONS[which],
      `Run it again with --seed ${seed}: the same numbers are ${s.what}.`,
    ],
    data: {
      count: n,
      seed,
      udp,
      tcp,
      // What the picture needs: the proxy's settings, and each message's way (times in ms since each run began).
      proxy: { flag: s.flag, reorderGapMs: udpImpairment.reorder > 0 ? udpImpairment.reorderGapMs : 0, rtoMs: tcpImpairment.loss > 0 ? tcpImpairment.rtoMs : 0 },
      trace: { udp: udpRun.trace, tcp: tcpRun.trace },
    },
  };
}
