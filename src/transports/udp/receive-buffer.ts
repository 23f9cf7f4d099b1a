/**
 * Asking the OS to hold more unread datagrams. A process that is busy (a server sending a
 * broadcast to a thousand peers; a client in a busy room, in the same loop as its terminal) reads
 * nothing meanwhile, and the default buffer (208 KiB on Linux: a few hundred small datagrams, 170
 * full-size ones) overflows within milliseconds of a flood, taking honest datagrams with it.
 */
import type dgram from 'node:dgram';

/** The server's sizes, largest first: it takes in a whole class. */
export const SERVER_RECEIVE_BUFFER_BYTES = [4 * 1024 * 1024, 1024 * 1024];
/** A client's: a room's fan-out of full-size lines, a second's worth and more. */
export const CLIENT_RECEIVE_BUFFER_BYTES = [1024 * 1024, 512 * 1024];

/**
 * Asks for the first size the OS allows. Linux caps a request at net.core.rmem_max silently;
 * macOS refuses one over kern.ipc.maxsockbuf, so the next size is tried. The default stays when
 * none is allowed. The socket must be bound (or connected).
 */
export function askForReceiveBuffer(socket: dgram.Socket, sizes: readonly number[]): void {
  for (const bytes of sizes) {
    try {
      if (socket.getRecvBufferSize() < bytes) socket.setRecvBufferSize(bytes);
      return;
    } catch {
      // Keep the default; the next size may be allowed.
    }
  }
}
