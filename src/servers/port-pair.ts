/**
 * UDP and TCP on one port number (`--transport both`). With port 0 the number UDP got may be
 * taken on the TCP side (a connection's local port, one in TIME_WAIT): then the pair is tried
 * again with a new number, a few times.
 */

const PAIR_TRIES = 5;

/** Binds UDP, then TCP on the port UDP got; returns both, or throws the last error. */
export async function bindPair<U, T>(
  port: number,
  bindUdp: (port: number) => Promise<U>,
  portOf: (udp: U) => number,
  bindTcp: (port: number) => Promise<T>,
  closeUdp: (udp: U) => Promise<void>,
): Promise<{ udp: U; tcp: T }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(port);
    try {
      return { udp, tcp: await bindTcp(portOf(udp)) };
    } catch (err) {
      await closeUdp(udp);
      if (port !== 0 || attempt === PAIR_TRIES || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}
