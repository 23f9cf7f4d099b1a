/**
 * `demo multicast`: one send to many. N receivers follow a room on this machine three ways: as
 * UDP peers of the room (the server sends each line N times), as listeners of the group the room
 * also sends to (`serve --multicast`: once, the kernel makes the copies), and as TCP peers (N
 * writes: TCP has no multicast, each receiver is a connection). The receivers run in a child
 * process, so the CPU the demo measures is the server's (and its one sender's). Nothing leaves
 * the machine: the group is joined and sent on 127.0.0.1 with TTL 0.
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ChatError } from '../core/errors.js';
import { startChatServer, type ChatServer } from '../servers/chat-server.js';
import { udpSocket, type DemoOptions, type DemoResult } from './common.js';
import type { ReceiverOrder, ReceiverReport } from './multicast-receivers.js';
import { tenth } from './trace.js';

/** Receivers by default, and the most a demo opens (each UDP or TCP one is a peer of the room). */
export const DEFAULT_RECEIVERS = 10;
export const MAX_RECEIVERS = 200;
/** Lines sent each way, unless `count` says otherwise, and the most `count` may ask (each is sent at once, N times). */
const MESSAGES = 100;
export const MAX_MESSAGES = 10_000;
const DEADLINE_MS = 10_000;
// Receivers whose counts did not grow for this long have all they will get.
const QUIET_MS = 500;

/** One way of reaching the receivers, and what it cost the server. */
export interface MulticastRun {
  mode: 'unicast' | 'multicast' | 'tcp';
  label: string;
  receivers: number;
  messages: number;
  /** Datagrams (or TCP writes) the server sent for the demo's lines, per line. */
  sendsPerMessage: number;
  /** Lines the receivers got in all (receivers x messages when none was lost). */
  delivered: number;
  /** The demo process's CPU (server and sender; the receivers are another process) per line delivered, in µs. */
  cpuPerDeliveryUs: number;
}

export interface MulticastOptions extends DemoOptions {
  receivers?: number;
}

const LABEL: Record<MulticastRun['mode'], string> = {
  unicast: 'UDP room: one datagram per peer',
  multicast: 'UDP room + multicast group',
  tcp: 'TCP room: one write per peer',
};

// A group of the demo's own in 239.255.0.0/16 (organisation-local) on a port free now.
async function freeGroup(): Promise<{ group: string; port: number }> {
  const probe = await udpSocket();
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return { group: `239.255.${(port >> 8) & 255}.${port & 255 || 1}`, port };
}

/** The receivers' child process, with a wait for its next report. */
export class Receivers {
  private readonly child: ChildProcess;
  private readonly reports: ReceiverReport[] = [];
  private wake: (() => void) | undefined;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./multicast-receivers.js', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (report: ReceiverReport) => {
      this.reports.push(report);
      this.wake?.();
    });
    this.child.on('exit', () => this.wake?.());
  }

  order(order: ReceiverOrder): void {
    if (this.child.connected) this.child.send(order);
  }

  /** Has the child count from zero to `n` lines a socket, once it says it will (IPC and the datagrams race). */
  async expect(n: number): Promise<void> {
    this.order({ expect: n });
    const armed = await this.next();
    if (!armed || !('armed' in armed)) throw new ChatError('ERR_SOCKET', 'demo multicast: the receivers stopped answering');
  }

  /**
   * The counts once every receiver has all it was told to expect, or once they stop growing: a
   * burst past a receive buffer loses datagrams for good (UDP has no flow control), and the demo
   * says how many arrived rather than waiting for what never will.
   */
  async settled(): Promise<number[]> {
    const deadline = performance.now() + DEADLINE_MS;
    let last = -1;
    while (performance.now() < deadline) {
      const report = await this.next(QUIET_MS);
      if (report && 'done' in report) return report.done;
      if (report && 'counts' in report) {
        const total = report.counts.reduce((a, b) => a + b, 0);
        if (total === last) return report.counts;
        last = total;
      }
      if (!report) {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return [];
        this.order({ report: true });
      }
    }
    return [];
  }

  /** The next report, or null when none came within `ms` or the child is gone. */
  async next(ms = DEADLINE_MS): Promise<ReceiverReport | null> {
    const deadline = performance.now() + ms;
    while (this.reports.length === 0) {
      if (performance.now() > deadline || this.gone) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.reports.shift()!;
  }

  // Ended, by an exit code or by a signal (killed, out of memory): exitCode stays null on a signal,
  // and waiting for an 'exit' that already came left the demo pending for ever.
  private get gone(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async close(): Promise<void> {
    if (this.gone) return;
    this.child.kill();
    await once(this.child, 'exit');
  }
}

async function run(mode: MulticastRun['mode'], n: number, messages: number, receivers: Receivers): Promise<MulticastRun> {
  const { group, port: groupPort } = await freeGroup();
  let server: ChatServer | undefined;
  let sender: dgram.Socket | undefined;
  try {
    server = await startChatServer({
      transport: mode === 'tcp' ? 'tcp' : 'udp',
      port: 0,
      // Every receiver is 127.0.0.1: the per-address caps would stop a room of them at 50.
      limits: { maxPeersPerIp: 0, joinsPerIpPerMinute: 0 },
      ...(mode === 'multicast' ? { multicast: { group, port: groupPort, interface: '127.0.0.1', ttl: 0 } } : {}),
    });
    receivers.order(mode === 'multicast' ? { open: 'group', group, port: groupPort, n } : { open: mode === 'tcp' ? 'tcp' : 'udp', port: server.port, n });
    const ready = await receivers.next();
    if (!ready || !('ready' in ready)) throw new ChatError('ERR_SOCKET', `demo multicast: the receivers did not start (${ready && 'error' in ready ? ready.error : 'no answer'})`);
    // The sender is a UDP peer in every mode but TCP's, where it is a TCP one like its receivers.
    const traffic = () => {
      const t = server!.counters().traffic;
      return mode === 'multicast' ? t.multicast!.messagesOut : mode === 'tcp' ? t.tcp.messagesOut : t.udp.messagesOut;
    };
    const lines = Array.from({ length: messages }, (_, i) => `mc-demo ${i + 1}`);
    let send: (line: string) => void;
    let tcpSender: import('node:net').Socket | undefined;
    if (mode === 'tcp') {
      const net = await import('node:net');
      tcpSender = net.connect({ port: server.port, host: '127.0.0.1', noDelay: true });
      await once(tcpSender, 'connect');
      const welcomed = once(tcpSender, 'data');
      tcpSender.write('/nick sender\n');
      await welcomed;
      send = (line) => tcpSender!.write(line + '\n');
    } else {
      sender = await udpSocket();
      const welcomed = once(sender, 'message');
      sender.send('/nick sender', server.port, '127.0.0.1');
      await welcomed;
      send = (line) => sender!.send(line, server!.port, '127.0.0.1');
    }
    // A first line, not measured: the room tells the joins it gathered before it (join-notices.ts),
    // and those sends are not the lines'. Once every receiver has it, the counters hold lines alone.
    await receivers.expect(1);
    send('mc-demo 0');
    await receivers.next();
    await receivers.expect(messages);
    const before = traffic();
    const cpu = process.cpuUsage();
    for (const line of lines) send(line);
    const counts = await receivers.settled();
    const used = process.cpuUsage(cpu);
    const sends = traffic() - before;
    tcpSender?.destroy();
    receivers.order({ stop: true });
    const delivered = counts.reduce((a, b) => a + b, 0);
    return {
      mode,
      label: LABEL[mode],
      receivers: n,
      messages,
      sendsPerMessage: tenth(sends / messages),
      delivered,
      cpuPerDeliveryUs: delivered > 0 ? tenth((used.user + used.system) / delivered) : NaN,
    };
  } finally {
    sender?.close();
    await server?.close();
  }
}

/** Runs the multicast demo: the same lines to N receivers, three ways. */
export async function multicastDemo(options: MulticastOptions = {}): Promise<DemoResult> {
  const n = options.receivers ?? DEFAULT_RECEIVERS;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECEIVERS) throw new ChatError('ERR_BAD_ARGUMENT', `--receivers takes a whole number from 1 to ${MAX_RECEIVERS}`);
  const messages = options.count ?? MESSAGES;
  // Every line is handed to the socket at once: --count 2000000 held 2.3 GB of sends and lines.
  if (!Number.isInteger(messages) || messages < 1 || messages > MAX_MESSAGES) throw new ChatError('ERR_BAD_ARGUMENT', `--count takes a whole number from 1 to ${MAX_MESSAGES} for demo multicast`);
  const runs: MulticastRun[] = [];
  for (const mode of ['unicast', 'multicast', 'tcp'] as const) {
    const receivers = new Receivers();
    try {
      runs.push(await run(mode, n, messages, receivers));
    } finally {
      await receivers.close();
    }
  }
  return {
    demo: 'multicast',
    title: `one line to ${n} receivers: sends per line and the server's CPU per delivery`,
    columns: ['how', 'server sends a line', 'delivered', 'CPU a delivery'],
    rows: runs.map((r) => [r.label, r.sendsPerMessage, `${r.delivered}/${r.receivers * r.messages}`, Number.isNaN(r.cpuPerDeliveryUs) ? '-' : `${r.cpuPerDeliveryUs} µs`]),
    explanation: [
      `A room relays each line to each peer: ${n} receivers cost it ${n} datagrams a line over UDP, and ${n}`,
      'writes over TCP, which has no multicast at all: each receiver is a connection of its own.',
      'With a multicast group the room sends each line once, whatever the number of listeners: the',
      'network (here the kernel) makes the copies. The catch: no delivery guarantee, no congestion',
      'control, and with TTL 1 it stays on the LAN; Wi-Fi and some switches do not pass it well.',
      'On loopback the kernel copies for every listener inside the sender\'s own send, so the CPU',
      'column counts those copies too; on a LAN they are the switch\'s and the receivers\' work.',
      'TCP can cost less CPU per delivery than UDP here: the kernel packs a burst of small writes',
      'into few segments, and each UDP send is a call of its own. Its N copies still cross the network.',
      ...runs
        .filter((r) => r.delivered < r.receivers * r.messages)
        .map((r) => `${r.label}: ${r.delivered} of ${r.receivers * r.messages} arrived. The burst outran the receivers' buffers, and UDP has no flow control: what does not fit is dropped by the receiving kernel, silently.`),
    ],
    data: { receivers: n, messages, runs },
  };
}
