/** One HTTP request's status, for tests and the fuzz run's scenarios that ask the page server. */
import http from 'node:http';

/** The headers of a WebSocket upgrade request (the RFC 6455 sample key). */
export const UPGRADE_HEADERS = Object.freeze({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });

/**
 * GET `path` on host:port with these headers; resolves with the status (101 for an accepted
 * upgrade, whose socket is closed at once). Rejects when nothing answers within `ms` or the
 * connection fails.
 */
export function httpStatus(host: string, port: number, path: string, headers: Record<string, string>, ms = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, headers, timeout: ms });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within ${ms} ms`)));
    req.on('error', reject);
    req.end();
  });
}
