/** Closing a listening stream server without hanging on peers that never finish. */

/** Anything with Node's server.close(callback). */
interface Closable {
  close(callback: () => void): unknown;
}

/**
 * Stops a server accepting and waits for its connections to end, which the room has already
 * asked them to do; whatever is still open after `graceMs` is cut by `cutAll`.
 */
export async function closeWithGrace(server: Closable, cutAll: () => void, graceMs = 500): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  cutAll();
  await closed;
}
