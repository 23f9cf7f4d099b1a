/**
 * Item 8: the UDP proxy's client table under a flood of sources. Each client costs the proxy a
 * socket (a file): 24,000 forged sources took it to 20,000 open files and honest clients stopped
 * until a two-minute sweep. Forged with a raw socket where root allows it, else from as many
 * ordinary sockets as fit the budget. The bounds: the table stays under its cap, the process's
 * files stay bounded, and an honest client is answered throughout.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { PROXY_LIMITS } from '../../src/core/limits.js';
import { NO_IMPAIRMENT } from '../../src/transports/policy.js';
import { startUdpProxy } from '../../src/proxy/udp-proxy.js';
import { startEchoServer } from '../../src/servers/echo-server.js';
import { forgeUdp, forgeUnavailable } from '../../test/helpers/forge.js';
import { delay } from '../harness/process.js';
import { HOST, bindUdp, closeUdp } from '../harness/sockets.js';
import type { TrustScenario } from './scenario.js';

const FORGED = 24_000;

function openFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** New sources from ordinary sockets, one datagram each, for `ms`; returns how many. */
async function ordinarySources(port: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    const s = dgram.createSocket('udp4');
    s.bind(0, HOST);
    await once(s, 'listening');
    await new Promise((resolve) => s.send(`flood ${++n}`, port, HOST, resolve));
    await new Promise<void>((resolve) => s.close(() => resolve()));
    // Let the event loop poll now and then, or the proxy in this process never reads.
    if (n % 20 === 0) await delay(0);
  }
  return n;
}

export const proxyFlood: TrustScenario = {
  item: 8,
  name: 'proxy flood',
  async run({ budgetMs }) {
    const echo = await startEchoServer({ host: HOST, port: 0 });
    const proxy = await startUdpProxy({ listenHost: HOST, listenPort: 0, targetHost: HOST, targetPort: echo.port, direction: 'both', seed: 1, impairment: NO_IMPAIRMENT });
    const honest = await bindUdp();
    const answers = new Set<string>();
    honest.on('message', (msg) => answers.add(String(msg)));
    try {
      const files = openFiles();
      const forgeWhy = await forgeUnavailable();
      let done = false;
      const flood = (forgeWhy ? ordinarySources(proxy.port, Math.min(1200, budgetMs / 3)) : forgeUdp({ from: { host: HOST, port: 20_000 }, to: { host: HOST, port: proxy.port }, payload: Buffer.from('forged'), sources: FORGED, perSecond: 20_000 }).then(() => FORGED)).finally(() => (done = true));
      // The honest client sends a numbered datagram every 10 ms and, as a UDP client does, sends
      // it again after 100 ms without an answer (the flood may fill a socket buffer on the way).
      let asked = 0;
      let unanswered = 0;
      while (!done) {
        const text = `honest ${++asked}`;
        let tries = 0;
        while (!answers.has(text) && tries++ < 10) {
          honest.send(text, proxy.port, HOST);
          for (let w = 0; w < 10 && !answers.has(text); w++) await delay(10);
        }
        if (!answers.has(text)) unanswered += 1;
      }
      const sources = await flood;
      const k = proxy.counters();
      const grown = files === null ? null : openFiles()! - files;
      const how = forgeWhy ? `${sources} ordinary sockets (no raw socket: ${forgeWhy})` : `${sources} forged sources at 20,000 a second`;
      return [
        {
          name: 'the client table and the open files stay bounded',
          pass: k.clients <= PROXY_LIMITS.maxClients && (grown === null || grown <= PROXY_LIMITS.maxClients + 8),
          detail: `${how}: ${k.clients} clients, ${k.newClientsRefused} refused by the new-client rate, ${k.clientsEvicted} evicted, ${grown ?? '?'} more open files (was one file per source: 15,282 for 24,000)`,
        },
        { name: 'an honest client is answered throughout', pass: unanswered === 0 && asked > 0, detail: `${asked - unanswered} of ${asked} numbered datagrams answered` },
      ];
    } finally {
      await closeUdp(honest);
      await proxy.close();
      await echo.close();
    }
  },
};
