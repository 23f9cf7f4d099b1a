/**
 * A plain multicast receiver for tests: a socket joined to a group on 127.0.0.1, recording every
 * line, as `socat UDP4-RECV:PORT,ip-add-membership=GROUP:127.0.0.1` would. Each test picks its
 * own group and port, so suites running side by side never hear each other.
 */
import type dgram from 'node:dgram';
import { openGroupReceiver } from '../../src/transports/multicast/group.js';
import { LineLog, type LineMatch } from './line-log.js';

export class GroupListener {
  private readonly log = new LineLog();
  /** Datagrams received, each counted once (a line count would hide one datagram carrying two). */
  datagrams = 0;
  /** Every datagram's source, `127.0.0.1:PORT`. */
  readonly sources: string[] = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      this.datagrams += 1;
      this.sources.push(`${rinfo.address}:${rinfo.port}`);
      for (const line of String(msg).split('\n')) if (line !== '') this.log.push(line);
    });
  }

  static async open(group: string, port: number): Promise<GroupListener> {
    return new GroupListener(await openGroupReceiver({ group, port, interface: '127.0.0.1' }));
  }

  get lines(): string[] {
    return this.log.lines;
  }

  waitFor(match: LineMatch, ms = 2000): Promise<string> {
    return this.log.waitFor(match, ms);
  }

  close(): void {
    this.socket.close();
  }
}

/** A group and port of the test's own: 239.255.X.Y (organisation-local scope), a port free for UDP now. */
export async function testGroup(): Promise<{ group: string; port: number }> {
  const { default: dgramModule } = await import('node:dgram');
  const probe = dgramModule.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const n = port % 65000;
  return { group: `239.255.${(n >> 8) & 255}.${(n & 255) || 1}`, port };
}
