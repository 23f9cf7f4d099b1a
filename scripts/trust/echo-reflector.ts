/**
 * Item 4: the echo as a reflector. A "victim" sends 60 KB datagrams as fast as it can (as a
 * forged source would make the echo answer it): with only the count limit (200 a second per
 * /24, off loopback) that bought 46.8 MB back in 3 s. The echo here is bound to 127.0.0.1 with
 * the limits it has off loopback; the bound: what reaches one /24 stays within its byte budget
 * (one second's burst plus the rate for the time measured).
 */
import { startEchoServer, prefixLimitsFor } from '../../src/servers/echo-server.js';
import { delay } from '../harness/process.js';
import { HOST, bindUdp, closeUdp } from '../harness/sockets.js';
import type { TrustScenario } from './scenario.js';

const SIZE = 60_000;

export const echoReflector: TrustScenario = {
  item: 4,
  name: 'echo reflector',
  async run({ budgetMs }) {
    const limits = prefixLimitsFor('0.0.0.0');
    const server = await startEchoServer({ host: HOST, port: 0, ...limits, onEvent: () => {} });
    const victim = await bindUdp({ recv: 4 << 20 });
    let back = 0;
    victim.on('message', (msg) => (back += msg.length));
    const ms = Math.min(1000, budgetMs / 3);
    try {
      // Each one different: the same bytes again and again would be muted as a loop (echo-loop.ts).
      const numbered = (n: number) => {
        const b = Buffer.alloc(SIZE, 'v');
        b.write(`${n} `);
        return b;
      };
      const started = performance.now();
      let sent = 0;
      // Two a millisecond (120 MB a second), paced so that what the echo does not answer is its
      // own doing, not its socket buffer's (it holds three such datagrams).
      while (performance.now() - started < ms) {
        for (let i = 0; i < 2; i++) victim.send(numbered(++sent), server.port, HOST);
        await delay(1);
      }
      await delay(100);
      const seconds = (performance.now() - started) / 1000;
      const bound = limits.bytesPerSource * (1 + seconds);
      return [
        {
          name: 'a flood of 60 KB datagrams gets back at most the byte budget of its /24',
          pass: back <= bound && server.counters.byteLimited > 0,
          detail: `${(back / 1e6).toFixed(2)} MB back in ${seconds.toFixed(2)} s for ${sent} sent (${(sent * SIZE / 1e6).toFixed(1)} MB), ${server.counters.datagrams} read by the echo; budget ${limits.bytesPerSource} B/s, bound ${(bound / 1e6).toFixed(2)} MB; refused: ${server.counters.byteLimited} by bytes, ${server.counters.rateLimited} by count, ${server.counters.echoLoop} as a loop (was 15.6 MB a second)`,
        },
      ];
    } finally {
      await closeUdp(victim);
      await server.close();
    }
  },
};
