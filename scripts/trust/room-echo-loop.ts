/**
 * Item 1, the room's part: echo services joined to a room. Two reflectors (what `udp-chat echo`
 * or `nc -u -l` piped back does: every datagram back to its sender) are made to join by one
 * datagram from the room's own socket (as a forged source would); the second one's welcome
 * comes back from it and bounces between them. Today every hop prepends `<name>` and a line
 * bounces until the rate limit cuts it, and any later line starts it again. The room must drop both within a second, `left (dropped: echo
 * loop)`, and a later line must not reach them.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { startChatServer } from '../../src/servers/chat-server.js';
import { closeUdp } from '../harness/sockets.js';
import { CountingSocket, until } from './loopback.js';
import type { TrustScenario } from './scenario.js';

/** A socket that sends every datagram back to where it came from, counting them. */
export async function reflector(): Promise<{ socket: dgram.Socket; reflected: () => number }> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  let n = 0;
  socket.on('message', (msg, from) => {
    n += 1;
    socket.send(msg, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening', { signal: AbortSignal.timeout(5000) });
  return { socket, reflected: () => n };
}

/** What the loop cost and when it stopped. */
export interface EchoLoopResult {
  /** Milliseconds from the second reflector's joining until both had been dropped; null if they were not within `ms`. */
  stoppedAfterMs: number | null;
  echoLoop: number;
  /** Datagrams the reflectors sent back in all. */
  reflected: number;
  /** Datagrams that reached the reflectors after a second line, said once they were gone. */
  reachedAfter: number;
  /** The person heard both `left (dropped: echo loop)` notices. */
  told: boolean;
}

/** One person and two reflectors joining an open loopback room; waits up to `ms` for the loop to stop, then the person speaks. */
export async function roomEchoLoop(ms: number): Promise<EchoLoopResult> {
  const server = await startChatServer({ host: '127.0.0.1', port: 0 });
  const person = await CountingSocket.open('127.0.0.1', true);
  const echoes = [await reflector(), await reflector()];
  try {
    person.send(server.port, '/nick ann');
    await until(() => server.room.find('ann') !== undefined, 5000);
    // A datagram "from" the room to a reflector: its answer joins it. Two in the room bounce the
    // second one's welcome between them at once (and, today, every line anyone says after it).
    const trigger = (e: { socket: dgram.Socket }) => server.transports.udp!.socket.send('hi', e.socket.address().port, '127.0.0.1');
    trigger(echoes[0]!);
    await until(() => server.room.size === 2, 5000);
    const started = performance.now();
    trigger(echoes[1]!);
    const stopped = await until(() => server.room.counters.drops.echoLoop === 2, ms);
    const stoppedAfterMs = stopped ? performance.now() - started : null;
    // Their goodbyes are on the way to them: once two pings have come back, they have been read.
    const sync = async (tokens: string[]) => {
      for (const token of tokens) {
        person.send(server.port, `/ping ${token}`);
        await until(() => person.lines.includes(`/pong ${token}`), 5000);
      }
    };
    await sync(['sync-1', 'sync-2']);
    const before = echoes.map((e) => e.reflected());
    person.send(server.port, 'still there?');
    await sync(['sync-3', 'sync-4']);
    const reachedAfter = echoes.reduce((n, e, i) => n + e.reflected() - before[i]!, 0);
    const told = echoes.every((e) => person.lines.includes(`* 127.0.0.1:${e.socket.address().port} left (dropped: echo loop)`));
    return { stoppedAfterMs, echoLoop: server.room.counters.drops.echoLoop, reflected: echoes.reduce((n, e) => n + e.reflected(), 0), reachedAfter, told };
  } finally {
    await person.close();
    for (const e of echoes) await closeUdp(e.socket);
    await server.close();
  }
}

export const ROOM_ECHO_LOOP: TrustScenario = {
  item: 1,
  name: 'echo services in a room',
  async run({ budgetMs }) {
    const r = await roomEchoLoop(Math.min(1000, budgetMs));
    const figures = `stopped after ${r.stoppedAfterMs === null ? 'more than 1 s' : `${r.stoppedAfterMs.toFixed(0)} ms`}, ${r.reflected} datagrams reflected, echoLoop ${r.echoLoop}`;
    return [
      { name: 'two reflectors in a room: both dropped as echo loops within a second', pass: r.stoppedAfterMs !== null && r.told, detail: figures },
      { name: 'a later line does not start it again', pass: r.reachedAfter === 0, detail: `${r.reachedAfter} datagrams reached the reflectors after they were dropped` },
    ];
  },
};
