/** Binding a socket or a server: one place for the listen-or-fail race. */
import { once } from 'node:events';

/** A dgram socket or a net/http server: anything that emits 'listening' or 'error', and closes. */
interface Bindable {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  close(): unknown;
}

/**
 * Starts listening and waits for it. `events.once` rejects when 'error' fires first
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL): then the half-made socket is closed and the error thrown.
 */
export async function listening<T extends Bindable>(target: T, start: (target: T) => void): Promise<T> {
  const ready = once(target as unknown as NodeJS.EventEmitter, 'listening');
  start(target);
  try {
    await ready;
  } catch (err) {
    target.close();
    throw err;
  }
  return target;
}
