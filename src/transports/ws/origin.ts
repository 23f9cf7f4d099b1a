/**
 * Who may open the page's WebSocket. Browsers send Origin on a WebSocket request and let any site
 * open one, so without a check a page elsewhere could join a visitor's browser to the room.
 */
import { ChatError } from '../../core/errors.js';

/**
 * Checks `--origin` values and returns them normalised (`http://host:port`); `*` stays as it is.
 * Throws ERR_BAD_ARGUMENT for anything that is not an http(s) origin.
 */
export function parseOrigins(origins: readonly string[] = []): string[] {
  return origins.map((origin) => {
    if (origin === '*') return origin;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.username) {
      throw new ChatError('ERR_BAD_ARGUMENT', `bad origin '${origin}': use a scheme and host like http://192.168.1.10:8080 (or * for any)`);
    }
    return url.origin;
  });
}

/**
 * Whether a WebSocket upgrade may proceed. Browsers always send Origin: the page's own (the Host
 * it was loaded from) is allowed, and so are the listed ones. A request without Origin is not a
 * browser page (udp-chat chat, a script), which no other site can make a visitor's browser send.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*')) return true;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  if (allowed.includes(from.origin)) return true;
  if (!host || (from.protocol !== 'http:' && from.protocol !== 'https:')) return false;
  try {
    // Both through URL, so case and a default port (:80) compare alike.
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}
