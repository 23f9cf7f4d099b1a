/**
 * Forged UDP datagrams: a source address and port that are not ours, as an attacker on a LAN
 * sends them. Node has no raw sockets, so a few lines of Python write the IPv4 header themselves
 * (IP_HDRINCL). Needs root and python3; where either is missing, `forgeUnavailable` says why and
 * the callers skip. Only sources and destinations inside 127.0.0.0/8: nothing leaves the machine.
 */
import { execFile } from 'node:child_process';
import { PYTHON as PYTHON_BIN } from './python.js';

const PYTHON = String.raw`
import json, socket, struct, sys, time
job = json.load(sys.stdin)
pace = job['perSecond']
start, sent = time.monotonic(), 0
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
payload = bytes.fromhex(job['payload'])
src, dst = socket.inet_aton(job['src']), socket.inet_aton(job['dst'])
first, count = job['ports']
for sport in range(first, first + count):
    # UDP checksum 0 (none, allowed on IPv4); the kernel fills in the IP checksum and id.
    udp = struct.pack('!HHHH', sport, job['dport'], 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    for _ in range(job['repeat']):
        s.sendto(ip + udp, (job['dst'], 0))
        sent += 1
        # Paced, so the receiver's socket buffer is not what drops them.
        if pace and sent % 100 == 0:
            ahead = start + sent / pace - time.monotonic()
            if ahead > 0: time.sleep(ahead)
`;

function run(input: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON_BIN, ['-I', '-c', PYTHON], { timeout: ms }, (err, _out, stderr) => (err ? reject(new Error(`forging failed: ${stderr.trim() || err.message}`)) : resolve()));
    child.stdin!.end(input);
  });
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export interface Forgery {
  /** The forged source: an address inside 127.0.0.0/8 and the first port. */
  from: { host: string; port: number };
  to: { host: string; port: number };
  payload: Uint8Array;
  /** Distinct source ports, from `from.port` up (default 1). */
  sources?: number;
  /** Copies from each source (default 1). */
  repeat?: number;
  /** Datagrams a second at most (default: as fast as Python can). */
  perSecond?: number;
}

/** Sends the forged datagrams; resolves once they are all handed to the kernel. */
export async function forgeUdp(f: Forgery): Promise<void> {
  for (const host of [f.from.host, f.to.host]) if (!LOOPBACK.test(host)) throw new Error(`refusing to forge outside 127.0.0.0/8: ${host}`);
  const sources = f.sources ?? 1;
  if (f.from.port < 1 || f.from.port + sources - 1 > 65535) throw new Error('forged source ports out of range');
  const job = { src: f.from.host, dst: f.to.host, dport: f.to.port, ports: [f.from.port, sources], repeat: f.repeat ?? 1, perSecond: f.perSecond ?? 0, payload: Buffer.from(f.payload).toString('hex') };
  await run(JSON.stringify(job), 60_000);
}

let probed: Promise<string | null> | undefined;

/** Null when forging works here; otherwise why not (not root, no python3, no raw sockets). */
export function forgeUnavailable(): Promise<string | null> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<string | null> {
  if (process.platform !== 'linux') return `raw sockets are only used on Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  try {
    await new Promise<void>((resolve, reject) =>
      execFile(PYTHON_BIN, ['-I', '-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)'], { timeout: 5000 }, (err) => (err ? reject(err) : resolve())),
    );
    return null;
  } catch (err) {
    return `no raw socket through python3 (${(err as Error).message.split('\n')[0]})`;
  }
}
