/**
 * Item 13: a limit never passes for network loss. A numbered run of 1,000 datagrams at 1 ms
 * through a default loopback room arrives whole at a receiver; through a room with the LAN's
 * rate limit, the sender (`send --seq --wait`, with --echo-self) and a receiver (`chat --stats`)
 * each count the room's refusals exactly (what drops.rateLimited counted), with nothing lost,
 * and the server logs the drop once for that peer. The two rooms run side by side.
 */
import { openConnection } from '../../src/client/connection.js';
import { sendMessages } from '../../src/client/send.js';
import { ChatSession } from '../../src/client/session.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { startChatServer, type ChatServer, type ServerEvent } from '../../src/servers/chat-server.js';
import type { TrustCheck, TrustScenario } from './scenario.js';
import { until } from './loopback.js';

const HOST = '127.0.0.1';
const RUN = 1000;
const LIMITED_RUN = 100;

/** A `chat --stats` receiver named rx, joined. */
async function receiver(server: ChatServer): Promise<ChatSession> {
  const session = new ChatSession(await openConnection({ host: HOST, port: server.port }), { name: 'rx', stats: true });
  session.start();
  await until(() => server.room.find('rx') !== undefined, 1000);
  return session;
}

async function loopbackRun(budgetMs: number): Promise<TrustCheck[]> {
  const server = await startChatServer({ host: HOST, port: 0 });
  const rx = await receiver(server);
  try {
    await sendMessages({ host: HOST, port: server.port, messages: [''], count: RUN, intervalMs: 1, seq: true });
    await until(() => rx.stats!.result().received === RUN, budgetMs / 3);
    const r = rx.stats!.result();
    const drops = server.counters().drops.rateLimited;
    return [
      {
        name: `a ${RUN}-message run at 1 ms through a default loopback room arrives whole`,
        pass: r.received === RUN && drops === 0,
        detail: `received ${r.received}/${RUN}, lost ${r.lost}, rate-limited ${drops} (before: about 43/1000, lost 957)`,
      },
    ];
  } finally {
    await rx.close();
    await server.close();
  }
}

async function limitedRun(budgetMs: number): Promise<TrustCheck[]> {
  const events: ServerEvent[] = [];
  const server = await startChatServer({
    host: HOST,
    port: 0,
    echoSelf: true,
    limits: { messageBurst: DEFAULT_LIMITS.messageBurst, messageRate: DEFAULT_LIMITS.messageRate },
    onEvent: (e) => events.push(e),
  });
  const rx = await receiver(server);
  try {
    const sent = await sendMessages({ host: HOST, port: server.port, messages: [''], count: LIMITED_RUN, intervalMs: 1, waitMs: 100, seq: true });
    const s = sent.stats!;
    await until(() => rx.stats!.result().received + rx.stats!.result().refused >= LIMITED_RUN, budgetMs / 3);
    const r = rx.stats!.result();
    const drops = server.counters().drops.rateLimited;
    const logged = events.filter((e) => e.type === 'error' && e.code === 'ERR_RATE_LIMITED').length;
    const limit = `${DEFAULT_LIMITS.messageRate}/s after ${DEFAULT_LIMITS.messageBurst}`;
    return [
      {
        name: 'send --seq --wait counts the room refusals exactly, apart from loss',
        pass: drops > 0 && s.refused === drops && s.lost === 0 && s.received + s.refused === LIMITED_RUN,
        detail: `${LIMITED_RUN} at 1 ms, rate ${limit}: received ${s.received}, refused ${s.refused} (room dropped ${drops}), lost ${s.lost} (before: refused not counted, lost ${drops})`,
      },
      {
        name: 'chat --stats counts the refusals the room announces, apart from loss',
        pass: r.refused === drops && r.lost === 0 && r.received === LIMITED_RUN - drops,
        detail: `received ${r.received}, refused ${r.refused}, lost ${r.lost}`,
      },
      {
        name: 'the server logs the first drop per peer per minute, with the reason',
        pass: logged === 1,
        detail: `${logged} ERR_RATE_LIMITED event(s) for ${drops} drops`,
      },
    ];
  } finally {
    await rx.close();
    await server.close();
  }
}

export const limitsVisible: TrustScenario = {
  item: 13,
  name: 'limits never pass for loss',
  async run({ budgetMs }) {
    const [a, b] = await Promise.all([loopbackRun(budgetMs), limitedRun(budgetMs)]);
    return [...a, ...b];
  },
};
