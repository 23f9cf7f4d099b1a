/**
 * Item 1: two echo services bouncing one forged datagram between them forever (~30,000 a second
 * each way on loopback, before the loop guard). Forged with a raw socket where root allows it;
 * a mirror client (a socket that sends back whatever it gets) stands in for the second echo
 * everywhere. The bound: the exchange is over within a second, and an honest client sending
 * distinct datagrams as fast as it likes is answered in full meanwhile.
 */
import type dgram from 'node:dgram';
import { ECHO_LIMITS } from '../../src/core/limits.js';
import { startEchoServer, type EchoServer } from '../../src/servers/echo-server.js';
import { forgeUdp, forgeUnavailable } from '../../test/helpers/forge.js';
import { poll } from '../harness/process.js';
import { HOST, bindUdp, closeUdp } from '../harness/sockets.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

const K = ECHO_LIMITS.reflections;

/** An echo on loopback with the time its first datagram came. */
async function timedEcho(): Promise<{ server: EchoServer; firstAt: () => number }> {
  let firstAt = Infinity;
  const server = await startEchoServer({ host: HOST, port: 0, onEvent: (e) => e.type === 'datagram' && (firstAt = Math.min(firstAt, performance.now())) });
  return { server, firstAt: () => firstAt };
}

const settled = (check: () => boolean, ms: number) => poll(check, ms, () => 'not settled', 5).then(() => true, () => false);

async function twoEchoes(): Promise<TrustCheck> {
  const name = 'two echoes and one forged datagram: the exchange stops within a second';
  const why = await forgeUnavailable();
  if (why) return { name, pass: true, skipped: true, detail: why };
  const a = await timedEcho();
  const b = await timedEcho();
  try {
    await forgeUdp({ from: { host: HOST, port: b.server.port }, to: { host: HOST, port: a.server.port }, payload: Buffer.from('ping') });
    const over = await settled(() => a.server.counters.echoLoop + b.server.counters.echoLoop > 0 && a.server.counters.datagrams === b.server.counters.answered + 1 && b.server.counters.datagrams === a.server.counters.answered, 1000);
    const lasted = performance.now() - a.firstAt();
    const bounced = a.server.counters.answered + b.server.counters.answered;
    return { name, pass: over && lasted < 1000, detail: `${bounced} answers in all, over after ${lasted.toFixed(0)} ms (was ~30,000 a second each way, forever)` };
  } finally {
    await a.server.close();
    await b.server.close();
  }
}

/** A mirror bouncing ten distinct datagrams, and an honest client with 64 in flight, at one echo. */
async function mirrorAndClient(ms: number): Promise<TrustCheck[]> {
  const { server } = await timedEcho();
  const sockets: dgram.Socket[] = [];
  try {
    const mirror = await bindUdp();
    const client = await bindUdp({ recv: 1 << 20 });
    sockets.push(mirror, client);
    let mirrored = 0;
    mirror.on('message', (msg, r) => {
      mirrored += 1;
      mirror.send(msg, r.port, r.address);
    });
    for (let i = 0; i < 10; i++) mirror.send(`ball ${i}`, server.port, HOST);
    let sent = 0;
    let answered = 0;
    let sending = true;
    const next = () => client.send(`seq=${++sent} t=${performance.now().toFixed(3)}`, server.port, HOST);
    client.on('message', () => {
      answered += 1;
      if (sending) next();
    });
    while (sent < 64) next();
    await new Promise((resolve) => setTimeout(resolve, ms));
    sending = false;
    const cut = await settled(() => server.counters.echoLoop > 0 && server.counters.datagrams === server.counters.answered + server.counters.echoLoop, 1000);
    const all = await settled(() => answered === sent, 1000);
    return [
      { name: 'a mirror bouncing 10 datagrams off the echo is cut', pass: cut && mirrored <= 10 * K, detail: `${mirrored} answers to the mirror, then none (${server.counters.echoLoop} refused as a loop)` },
      { name: 'an honest client with 64 in flight is answered in full meanwhile', pass: all && sent > 1000, detail: `${answered} of ${sent} answered in ${ms} ms` },
    ];
  } finally {
    for (const s of sockets) await closeUdp(s);
    await server.close();
  }
}

export const echoLoop: TrustScenario = {
  item: 1,
  name: 'echo loop',
  async run({ budgetMs }) {
    return [await twoEchoes(), ...(await mirrorAndClient(Math.min(500, budgetMs / 6)))];
  },
};
