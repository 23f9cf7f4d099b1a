/**
 * Several transports on one port number (`--transport both`: UDP and TCP). With port 0 the number
 * the first got may be taken on another's side (a connection's local port, one in TIME_WAIT):
 * then the set is tried again with a new number, a few times.
 */

const TRIES = 5;

/**
 * Binds the first on `port`, the rest on the port the first got; returns them in order, or
 * closes what was bound and throws the last error.
 */
export async function bindShared<T>(
  port: number,
  binders: readonly ((port: number) => Promise<T>)[],
  portOf: (first: T) => number,
  close: (bound: T) => Promise<void>,
): Promise<T[]> {
  for (let attempt = 1; ; attempt++) {
    const bound: T[] = [];
    try {
      for (const bind of binders) bound.push(await bind(bound.length === 0 ? port : portOf(bound[0]!)));
      return bound;
    } catch (err) {
      await Promise.all(bound.map(close));
      const retry = port === 0 && bound.length > 0 && attempt < TRIES && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!retry) throw err;
    }
  }
}

/** Binds UDP, then TCP on the port UDP got (the echo server's `both`). */
export async function bindPair<U, T>(
  port: number,
  bindUdp: (port: number) => Promise<U>,
  portOf: (udp: U) => number,
  bindTcp: (port: number) => Promise<T>,
  closeUdp: (udp: U) => Promise<void>,
): Promise<{ udp: U; tcp: T }> {
  // Only UDP can be left bound when a bind fails: it is bound first, and TCP failing is the failure.
  const [udp, tcp] = await bindShared<U | T>(port, [bindUdp, bindTcp], (first) => portOf(first as U), (bound) => closeUdp(bound as U));
  return { udp: udp as U, tcp: tcp as T };
}
