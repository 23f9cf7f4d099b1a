/**
 * `demo size`: how big a datagram can be. 1200 bytes fits any path; 1472 is the most one Ethernet
 * frame carries over IPv4; larger ones are fragmented by IP (and one lost fragment loses the whole
 * datagram); 65507 is the UDP maximum over IPv4; one byte more fails with EMSGSIZE. Then what a
 * small receive buffer does to a burst: the kernel drops what does not fit, and nobody is told.
 */
import type dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { datagramLimit, IPV4_MAX_DATAGRAM } from '../transports/udp/datagram-limit.js';
import { udpSocket, until, portOf, type DemoOptions, type DemoResult } from './common.js';

/** What happened to one size. */
export interface SizeRun {
  bytes: number;
  note: string;
  outcome: 'delivered' | 'not delivered' | string;
}

const SIZES: Array<[number, string]> = [
  [1200, 'fits any path (QUIC\'s minimum MTU); udp-chat\'s --max-message'],
  [1472, 'largest in one Ethernet frame: 1500 MTU - 20 IP - 8 UDP'],
  [9000, 'a jumbo frame; fragmented on an ordinary 1500 network'],
  [IPV4_MAX_DATAGRAM, 'largest UDP payload over IPv4: 65535 - 20 - 8'],
  [IPV4_MAX_DATAGRAM + 1, 'one byte more'],
];

async function sendOne(sender: dgram.Socket, receiver: dgram.Socket, bytes: number): Promise<string> {
  let got = -1;
  const onMessage = (msg: Buffer) => {
    got = msg.length;
  };
  receiver.on('message', onMessage);
  try {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      try {
        sender.send(Buffer.alloc(bytes, 0x78), portOf(receiver), '127.0.0.1', (err) => resolve(err ?? null));
      } catch (err) {
        resolve(err as NodeJS.ErrnoException);
      }
    });
    if (error) return `error ${error.code ?? error.message}`;
    return (await until(() => got === bytes, 1000)) ? 'delivered' : 'not delivered';
  } finally {
    receiver.off('message', onMessage);
  }
}

/** Sends a burst of `count` datagrams in one go to a receiver with this receive buffer. */
async function burst(bufferBytes: number, count: number, size: number): Promise<{ asked: number; actual: number; received: number }> {
  const receiver = await udpSocket({ type: 'udp4', recvBufferSize: bufferBytes });
  const sender = await udpSocket();
  let received = 0;
  receiver.on('message', () => received++);
  try {
    const payload = Buffer.alloc(size, 0x62);
    // All sent before this turn of the event loop ends, so the receiver cannot read in between:
    // whatever does not fit in its buffer is dropped by the kernel.
    for (let i = 0; i < count; i++) sender.send(payload, portOf(receiver), '127.0.0.1');
    let settled = -1;
    // Done when nothing more arrives for a while (or everything did).
    await until(() => {
      if (received === count) return true;
      const done = received === settled;
      settled = received;
      return done && received > 0;
    }, 2000);
    return { asked: bufferBytes, actual: receiver.getRecvBufferSize(), received };
  } finally {
    sender.close();
    receiver.close();
  }
}

/** Loopback's MTU as the OS reports it (Linux's /sys), or null where it cannot be read this way. */
export function loopbackMtu(): number | null {
  try {
    const mtu = Number(readFileSync('/sys/class/net/lo/mtu', 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : null;
  } catch {
    return null;
  }
}

/**
 * Why a send of `bytes` failed, for the system it failed on: past IPv4's own limit on any system;
 * below it, macOS's smaller default (a 9000-byte datagram fails there while Linux sends it), or
 * some other system's own: the demo says which limit this run met.
 */
export function sizeRefusal(bytes: number, platform: NodeJS.Platform): string {
  if (bytes > IPV4_MAX_DATAGRAM) return `${IPV4_MAX_DATAGRAM} is IPv4's limit: 65535 - 20 (IP) - 8 (UDP).`;
  if (platform === 'darwin') return `This system refused ${bytes} bytes: ${datagramLimit(platform)}.`;
  return `This system refused ${bytes} bytes, below IPv4's limit of ${IPV4_MAX_DATAGRAM}: its own datagram limit is lower.`;
}

/** Runs the size demo. */
export async function sizeDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const count = options.count ?? 200;
  const sender = await udpSocket();
  const receiver = await udpSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  const sizes: SizeRun[] = [];
  try {
    for (const [bytes, note] of SIZES) sizes.push({ bytes, note, outcome: await sendOne(sender, receiver, bytes) });
  } finally {
    sender.close();
    receiver.close();
  }
  const small = await burst(4096, count, 1000);
  const large = await burst(1 << 21, count, 1000);
  // What holds only on some systems is measured here, or says which system it describes.
  const mtu = loopbackMtu();
  const largest = Math.max(0, ...sizes.filter((s) => s.outcome === 'delivered').map((s) => s.bytes));
  const failed = sizes.find((s) => s.outcome.startsWith('error'));
  const platform = process.platform;
  const doubled = small.actual === 2 * small.asked;
  return {
    demo: 'size',
    title: 'datagram sizes on loopback, and a burst into a small receive buffer',
    columns: ['datagram', 'bytes', 'outcome'],
    rows: [
      ...sizes.map((s) => [s.note, s.bytes, s.outcome]),
      [`burst of ${count} x 1000 B, receive buffer ${small.actual} B`, count * 1000, `${small.received} of ${count} received`],
      [`burst of ${count} x 1000 B, receive buffer ${large.actual} B`, count * 1000, `${large.received} of ${count} received`],
    ],
    explanation: [
      mtu === null
        ? `Loopback's MTU is not read on ${platform} (Linux's is 65536, macOS's 16384); here the largest datagram that arrived whole was ${largest} bytes.`
        : `Loopback's MTU here (${platform}, /sys/class/net/lo/mtu) is ${mtu} bytes; the largest datagram that arrived whole was ${largest} bytes.`,
      'On a real network anything over the path MTU (1472 bytes of payload on Ethernet) is fragmented;',
      'one lost fragment loses the datagram, and many firewalls drop fragments: keep datagrams small.',
      failed
        ? `The ${failed.bytes}-byte send itself failed (${failed.outcome.replace('error ', '')}): UDP cannot split a datagram. ${sizeRefusal(failed.bytes, platform)}`
        : 'No send failed here: this system took every size tried.',
      `A receiver that cannot keep up loses datagrams silently when its socket buffer is full: ${small.received} of ${count} arrived.`,
      `Asked for a ${small.asked}-byte receive buffer (SO_RCVBUF, recvBufferSize in Node), the kernel gave ${small.actual}${doubled ? ' (Linux doubles it for its bookkeeping)' : ''};`,
      `a ${large.actual}-byte buffer absorbed ${large.received} of ${count}. TCP would slow the sender instead.`,
    ],
    data: { sizes, burst: { count, size: 1000, small, large }, os: { platform, loopbackMtu: mtu } },
  };
}
