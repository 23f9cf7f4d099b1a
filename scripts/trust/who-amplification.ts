/**
 * Item 2: a forged `/who` stream must get at most 3x its own bytes back. Two attacks, as measured
 * in the issue: an open room where 50 ports of one address (the victim's) send 40 `/who` each,
 * every port's first one joining it; and a validating room where one validated peer's address
 * sends 50 `/who`. The victim is sockets bound to 127.0.0.5: a forged datagram from that address
 * and one sent from it look the same to the room, and what the room sends there is what they read.
 * Bytes are counted as on the wire (payload and 28 bytes of IPv4 and UDP headers), both ways.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import { startChatServer, type ChatServer } from '../../src/servers/chat-server.js';
import { closeAll, CountingSocket, loopbackAliases, openMany, paced, UDP_HEADER_BYTES, until } from './loopback.js';
import type { TrustCheck, TrustScenario } from './scenario.js';

const VICTIM = '127.0.0.5';
const WHO = '/who';

/** What one attack sent and got back. */
export interface Amplification {
  sentBytes: number;
  receivedBytes: number;
  /** received / sent, wire bytes both. */
  ratio: number;
  /** The server's counters at the end: what it refused for the budget and the interval. */
  outputBudget: number;
  whoTooSoon: number;
}

/** Waits until the server has read `messages` datagrams, then until one more ping through it has come back. */
async function drained(server: ChatServer, messages: number, probe: CountingSocket, ms: number): Promise<void> {
  await until(() => server.room.counters.traffic['udp']!.messagesIn >= messages, ms);
  const token = `sync-${messages}`;
  probe.send(server.port, `/ping ${token}`);
  await until(() => probe.lines.includes(`/pong ${token}`), ms);
  // What the server sent before the pong is in the victim's socket buffers: one more turn reads it.
  await delay(20);
}

function result(server: ChatServer, sentBytes: number, victims: readonly CountingSocket[]): Amplification {
  const receivedBytes = victims.reduce((n, v) => n + v.wireBytes, 0);
  const d = server.room.counters.drops;
  return { sentBytes, receivedBytes, ratio: receivedBytes / sentBytes, outputBudget: d.outputBudget, whoTooSoon: d.whoTooSoon };
}

/** The open room: `others` quiet peers on 127.0.0.1, then `ports` x `perPort` /who from the victim's address over `ms`. */
export async function openRoomWhoFlood(o: { ports: number; perPort: number; others: number; ms: number; limits?: Partial<Limits> }): Promise<Amplification> {
  // An open room off loopback, played on 127.0.0.1: its per-address budget as there (a loopback
  // room has none, every peer being 127.0.0.1).
  const server = await startChatServer({ host: '127.0.0.1', port: 0, open: true, limits: { outputBytesPerIp: DEFAULT_LIMITS.outputBytesPerIp, ...o.limits } });
  const others = await openMany('127.0.0.1', o.others, true);
  const victims = await openMany(VICTIM, o.ports);
  try {
    for (const s of others) s.send(server.port, '/ping hello');
    await until(() => server.room.size === o.others, 5000);
    const total = o.ports * o.perPort;
    await paced(total, o.ms, (i) => victims[i % o.ports]!.send(server.port, WHO));
    await drained(server, o.others + total, others[0]!, 5000);
    return result(server, total * (WHO.length + UDP_HEADER_BYTES), victims);
  } finally {
    await closeAll([...others, ...victims]);
    await server.close();
  }
}

/** The validating room: `others` validated peers and the victim, then `count` /who from the victim's address over `ms`. */
export async function validatedWhoFlood(o: { others: number; count: number; ms: number; limits?: Partial<Limits> }): Promise<Amplification> {
  // Every peer here is on 127.0.0.x: the challenge rate per /24 would only slow the setup.
  const server = await startChatServer({ host: '127.0.0.1', port: 0, open: false, limits: { unvalidatedRepliesPerSecond: 0, ...o.limits } });
  const others = await openMany('127.0.0.1', o.others, true);
  const victim = await CountingSocket.open(VICTIM, true);
  try {
    for (const s of [...others, victim]) {
      s.send(server.port, 'hello');
      await until(() => s.lines.some((l) => l.startsWith('* to join, send: /join ')), 5000);
      const token = s.lines.find((l) => l.startsWith('* to join, send: /join '))!.split(' ').at(-1)!;
      s.send(server.port, `/join ${token}`);
    }
    await until(() => server.room.size === o.others + 1, 5000);
    await drained(server, 0, others[0]!, 5000);
    victim.reset();
    const before = server.room.counters.traffic['udp']!.messagesIn;
    await paced(o.count, o.ms, () => victim.send(server.port, WHO));
    await drained(server, before + o.count, others[0]!, 5000);
    return result(server, o.count * (WHO.length + UDP_HEADER_BYTES), [victim]);
  } finally {
    await closeAll([...others, victim]);
    await server.close();
  }
}

function check(name: string, a: Amplification): TrustCheck {
  return {
    name,
    pass: a.ratio <= 3,
    detail: `sent ${a.sentBytes} B, got back ${a.receivedBytes} B: x${a.ratio.toFixed(2)} (at most x3); outputBudget ${a.outputBudget}, whoTooSoon ${a.whoTooSoon}`,
  };
}

export const WHO_AMPLIFICATION: TrustScenario = {
  item: 2,
  name: 'forged /who amplification',
  async run({ budgetMs }) {
    if (!(await loopbackAliases())) return [{ name: 'forged /who: at most 3x back', pass: true, skipped: true, detail: 'cannot bind 127.0.0.5 here' }];
    // Half a second each at CI's length, up to two seconds in a longer run: the figures are ratios.
    const ms = Math.min(2000, Math.max(500, budgetMs / 6));
    return [
      check('open room, 2,000 /who from 50 ports of one address: at most 3x back', await openRoomWhoFlood({ ports: 50, perPort: 40, others: 10, ms })),
      check('validating room, 50 /who from a validated peer\'s address: at most 3x back', await validatedWhoFlood({ others: 59, count: 50, ms })),
    ];
  },
};
