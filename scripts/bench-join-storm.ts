/**
 * A join storm: P UDP peers (default 2,000) each send one first datagram (`/ping j`) to a chat
 * server at R joins a second (default 1,000), all on 127.0.0.1. Measured through the public
 * API only: the server is startChatServer({ transport: 'udp', host: '127.0.0.1', port: 0,
 * limits: NO_LIMITS }) in this process; the peers are sockets of a forked child
 * (scripts/storm/clients.ts), so the server keeps its core, each socket bound to its own port
 * (a distinct source address:port per peer).
 *
 * Reported, once the server has been quiet (its counters unchanged) for half a second, or at the
 * deadline:
 *   joined        server.room.size, and the `join` events counted through onEvent;
 *   lost          first datagrams the server never read (sent - traffic.udp.messagesIn - rejected):
 *                 dropped by the kernel, its receive buffer full while the server was busy;
 *   server sent   traffic.udp.messagesOut, every datagram the server sent (announcements to all
 *                 peers included), and counters().deliveries;
 *   time          the sending, and the storm until quiet.
 * What the peers got is counted too (datagrams, and how many saw their own /pong), though each
 * socket's receive buffer (--recv-buffer, 208 KiB by default) overflows when every join is
 * announced to everyone: those drops are the clients', not the server's.
 *
 *   node dist/scripts/bench-join-storm.js [--peers P] [--rate R] [--deadline S] [--recv-buffer BYTES] [--json] [--quick]
 *   (--quick: 200 peers)
 */
import { NO_LIMITS } from '../src/core/limits.js';
import { startChatServer, type ServerCounters } from '../src/servers/chat-server.js';
import { flags, int, runMain, wantsHelp } from './harness/args.js';
import { ChildLink, delay } from './harness/process.js';
import { count, keyValues, print } from './harness/report.js';
import { HOST } from './harness/sockets.js';
import type { FromClients, ToClients } from './storm/protocol.js';

const USAGE = 'node dist/scripts/bench-join-storm.js [--peers P] [--rate R] [--deadline S] [--recv-buffer BYTES] [--json] [--quick]';
const FIRST_DATAGRAM = '/ping j';
/** The storm is over when the counters (read every pollMs) have not moved for ms. */
const QUIET = { ms: 500, pollMs: 50 } as const;

/** What one storm measured. */
export interface StormResult {
  peers: number;
  rate: number;
  distinctPorts: number;
  sent: number;
  clientSendErrors: number;
  joined: number;
  joinEvents: number;
  read: number;
  rejected: number;
  lost: number;
  serverSent: number;
  deliveries: number;
  sendMs: number;
  stormMs: number;
  quiet: boolean;
  clients: { datagrams: number; bytes: number; pongs: number; peersWithPong: number };
  counters: ServerCounters;
}

function parseOptions(argv: readonly string[]) {
  const v = flags(argv, { peers: { type: 'string' }, rate: { type: 'string' }, deadline: { type: 'string' }, 'recv-buffer': { type: 'string' }, json: { type: 'boolean' }, quick: { type: 'boolean' } });
  if (wantsHelp(v)) return null;
  return {
    peers: int(v.peers, 'peers', v.quick ? 200 : 2000, 1, 10_000),
    rate: int(v.rate, 'rate', 1000, 1, 1_000_000),
    deadlineMs: int(v.deadline, 'deadline', 60, 1, 600) * 1000,
    recvBuffer: int(v['recv-buffer'], 'recv-buffer', 212_992, 4096, 1 << 26),
    json: v.json ?? false,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const until = Date.now() + options.deadlineMs;
  let joinEvents = 0;
  const server = await startChatServer({
    transport: 'udp',
    host: HOST,
    port: 0,
    limits: NO_LIMITS,
    onEvent: (e) => {
      if (e.type === 'join') joinEvents += 1;
    },
  });
  const clients = new ChildLink<ToClients, FromClients>(new URL('./storm/clients.js', import.meta.url));
  let result: StormResult;
  try {
    clients.send({ type: 'bind', peers: options.peers, recvBuffer: options.recvBuffer });
    const bound = await clients.next('bound', Math.max(1000, until - Date.now()));
    const start = performance.now();
    clients.send({ type: 'send', port: server.port, rate: options.rate, text: FIRST_DATAGRAM });
    const sent = await clients.next('sent', Math.max(1000, until - Date.now()));
    // Quiet: nothing the server counts has moved for QUIET.ms (or the deadline has come).
    let last = '';
    let still = performance.now();
    let quiet = false;
    while (Date.now() < until) {
      const now = JSON.stringify(server.counters());
      if (now !== last) {
        last = now;
        still = performance.now();
      } else if (performance.now() - still >= QUIET.ms) {
        quiet = true;
        break;
      }
      await delay(QUIET.pollMs);
    }
    const stormMs = still - start;
    const c = server.counters();
    clients.send({ type: 'collect' });
    const got = await clients.next('collected', 10_000);
    const read = c.traffic.udp.messagesIn;
    result = {
      peers: options.peers,
      rate: options.rate,
      distinctPorts: bound.ports,
      sent: sent.sent,
      clientSendErrors: sent.sendErrors,
      joined: server.room.size,
      joinEvents,
      read,
      rejected: c.rejected,
      lost: sent.sent - read - c.rejected,
      serverSent: c.traffic.udp.messagesOut,
      deliveries: c.deliveries,
      sendMs: sent.ms,
      stormMs,
      quiet,
      clients: { datagrams: got.datagrams, bytes: got.bytes, pongs: got.pongs, peersWithPong: got.peersWithPong },
      counters: c,
    };
  } finally {
    await clients.close();
    await server.close();
  }
  print(options.json, result, () => render(result));
}

function render(r: StormResult): string {
  return [
    `join storm: ${count(r.peers)} UDP peers (${count(r.distinctPorts)} distinct ports on ${HOST}), one '${FIRST_DATAGRAM}' each at ${count(r.rate)}/s, into startChatServer (udp, NO_LIMITS)`,
    keyValues([
      ['joined', `${count(r.joined)} (room.size; ${count(r.joinEvents)} join events)`],
      ['lost', `${count(r.lost)} first datagrams never read by the server (sent ${count(r.sent)}, read ${count(r.read)}, rejected ${count(r.rejected)}, client send errors ${count(r.clientSendErrors)})`],
      ['server sent', `${count(r.serverSent)} datagrams (traffic.udp.messagesOut); deliveries ${count(r.deliveries)}`],
      ['peers got', `${count(r.clients.datagrams)} datagrams (${(r.clients.bytes / 1e6).toFixed(1)} MB); ${count(r.clients.peersWithPong)} peers saw their /pong`],
      ['time', `sending ${(r.sendMs / 1000).toFixed(2)} s; storm until quiet ${(r.stormMs / 1000).toFixed(2)} s${r.quiet ? '' : ' (deadline reached before the server was quiet)'}`],
    ]),
  ].join('\n');
}

runMain(import.meta.url, USAGE, main);
