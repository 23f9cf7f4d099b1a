/**
 * Whether this machine has a route to a group (or a broadcast address), asked before anything is
 * sent: connecting a UDP socket looks the route up (with the multicast interface and hops chosen
 * as the sender's) and sends nothing, so `serve --multicast` can refuse to start with the one-line
 * ENETUNREACH error instead of logging it at the room's first line, and no listener hears a probe.
 */
import dgram from 'node:dgram';
import { groupError, openSender, type SenderOptions } from './group.js';
import { formatAddress } from '../address.js';

/** Resolves when a datagram to `address:port` could leave by the sender's options; rejects with groupError's line. */
export async function checkRoute(options: SenderOptions, address: string, port: number): Promise<void> {
  const probe: dgram.Socket = await openSender(options);
  try {
    await new Promise<void>((resolve, reject) => {
      // A failed lookup comes to the callback (ENETUNREACH), a bad address as an 'error' event.
      probe.once('error', reject);
      probe.connect(port, address.replace(/%.*$/, ''), (err?: Error) => {
        probe.off('error', reject);
        if (err) reject(err);
        else resolve();
      });
    });
  } catch (err) {
    throw groupError(err as NodeJS.ErrnoException, `cannot send to ${formatAddress(address, port)}`);
  } finally {
    probe.close();
  }
}
