/**
 * Item 12: DNS rebinding. A page on attacker.test that has made its name resolve to 127.0.0.1
 * sends the room's web port requests with `Host: attacker.test:PORT` (and that Origin on the
 * WebSocket upgrade, which a same-origin check lets through). Before the Host check the page, its
 * /stats and the upgrade answered 200, 200 and 101: the page could read the room and join it in
 * the visitor's name. Checked: all three get 403 and are counted (drops.foreignHost), nobody
 * joins, and the same requests by the server's own address and by `localhost` are answered.
 */
import { startChatServer } from '../../src/servers/chat-server.js';
import { HOST } from '../harness/sockets.js';
import { httpStatus, UPGRADE_HEADERS } from '../../test/helpers/http-status.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

/** The status of a GET (101 for an accepted upgrade), 0 when nothing answered within `ms`. */
function status(port: number, path: string, headers: Record<string, string>, ms: number): Promise<number> {
  return httpStatus(HOST, port, path, headers, ms).catch(() => 0);
}

/** Page, /stats and upgrade statuses for one Host (the upgrade with that Host as its Origin too). */
async function statuses(port: number, host: string, ms: number): Promise<number[]> {
  return [await status(port, '/', { host }, ms), await status(port, '/stats', { host }, ms), await status(port, '/', { ...UPGRADE_HEADERS, host, origin: `http://${host}` }, ms)];
}

export const rebinding: TrustScenario = {
  item: 12,
  name: 'DNS rebinding',
  async run({ budgetMs }): Promise<TrustCheck[]> {
    const server = await startChatServer({ host: HOST, port: 0, web: { port: 0 } });
    try {
      const port = server.transports.ws!.port;
      const ms = Math.max(500, Math.round(budgetMs / 10));
      const foreign = await statuses(port, `attacker.test:${port}`, ms);
      const counted = server.counters().drops.foreignHost;
      const joined = server.counters().joins;
      const own = [...(await statuses(port, `${HOST}:${port}`, ms)), ...(await statuses(port, `localhost:${port}`, ms))];
      return [
        {
          name: 'a foreign Host gets 403 for the page, /stats and the WebSocket upgrade, counted, and nobody joins',
          pass: foreign.every((s) => s === 403) && counted === 3 && joined === 0,
          detail: `page, /stats, upgrade: ${foreign.join(', ')}; drops.foreignHost ${counted}; joins ${joined}`,
        },
        {
          name: "the server's own address and localhost are answered",
          pass: own.join() === '200,200,101,200,200,101',
          detail: `${HOST}: ${own.slice(0, 3).join(', ')}; localhost: ${own.slice(3).join(', ')}`,
        },
      ];
    } finally {
      await server.close();
    }
  },
};
