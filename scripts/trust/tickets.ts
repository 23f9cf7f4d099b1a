/**
 * Item 11, signed names. Two rooms on 127.0.0.1, both run as a room exposed beyond loopback would
 * be (no addresses shown). In the first, tickets are required: attackers throw forged, tampered,
 * `alg: none`, expired, other-room, random and replayed tickets at it, and nobody of theirs may get
 * in. In the second, tickets are optional: guests try to steal alice's signed name (`/nick` in other
 * cases and widths, her ticket replayed, a guest's name) while she is in and after she left, and
 * `/who` must never show them a port. alice signs in with her ticket, twice, whatever they do.
 */
import type dgram from 'node:dgram';
import { startChatServer, type ChatServer } from '../../src/servers/chat-server.js';
import { issueTicket } from '../../src/servers/tickets.js';
import { bindUdp, closeUdp, HOST } from '../harness/sockets.js';
import type { TrustCheck, TrustContext, TrustScenario } from './scenario.js';
import { until } from './loopback.js';

const SECRET = 'the fuzz run class secret, 32 bytes+';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A UDP peer that keeps every line it is sent. */
interface Peer {
  socket: dgram.Socket;
  port: number;
  lines: string[];
}

async function peer(): Promise<Peer> {
  const socket = await bindUdp();
  const p: Peer = { socket, port: socket.address().port, lines: [] };
  socket.on('message', (msg) => p.lines.push(...String(msg).split('\n').filter(Boolean)));
  return p;
}

function send(p: Peer, server: ChatServer, text: string): void {
  p.socket.send(text, server.port, HOST);
}

/** Waits until no peer has heard anything new for 100 ms (or `ms` pass): the room has answered. */
async function quiet(peers: readonly Peer[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let heard = -1;
  for (;;) {
    const now = peers.reduce((n, p) => n + p.lines.length, 0);
    if (now === heard || Date.now() > deadline) return;
    heard = now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every kind of bad ticket, made fresh: the random draws pick names and which kinds. */
async function badTickets(random: () => number, alice: string): Promise<string[]> {
  const name = `s${Math.floor(random() * 1e6)}`;
  const [header, payload, signature] = alice.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  return [
    await issueTicket({ name, secret: 'not the class secret, but 32 bytes long' }),
    `${header}.${b64({ ...claims, sub: name })}.${signature}`,
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: name })}.x`,
    await issueTicket({ name, secret: SECRET, now: Date.now() - 9 * 3_600_000 }),
    await issueTicket({ name, secret: SECRET, room: 'another-class' }),
    `eyJ${Buffer.from(Array.from({ length: 12 }, () => Math.floor(random() * 256))).toString('base64url')}.e30.${name}`,
    alice,
  ];
}

async function run({ random, budgetMs }: TrustContext): Promise<TrustCheck[]> {
  const checks: TrustCheck[] = [];
  const started = Date.now();
  const peers: Peer[] = [];
  const open = async () => {
    const p = await peer();
    peers.push(p);
    return p;
  };
  // Every bad ticket reaches the verifier: no join rate, no limit on tries at the door.
  const required = await startChatServer({
    host: HOST,
    port: 0,
    showAddresses: false,
    tickets: { secret: SECRET, required: true },
    // Every attacker is on 127.0.0.1: the output budget per address would cut the `!` lines this counts.
    limits: { unvalidatedRepliesPerSecond: 0, joinsPerIpPerMinute: 0, maxPasswordTries: 0, messageRate: 0, messageBurst: 0, outputBytesPerPeer: 0, outputBytesPerIp: 0 },
  });
  const optional = await startChatServer({ host: HOST, port: 0, showAddresses: false, tickets: { secret: SECRET }, limits: { unvalidatedRepliesPerSecond: 0, renameBurst: 0 } });
  try {
    const aliceTicket = await issueTicket({ name: 'alice', secret: SECRET });

    // 1. The room that requires tickets: alice in, then a stream of bad tickets from fresh ports.
    const alice = await open();
    send(alice, required, `/join ${aliceTicket}`);
    const aliceIn = await until(() => alice.lines.some((l) => l.startsWith('* welcome alice;')), 1000);
    let tried = 0;
    const attackers: Peer[] = [];
    while (Date.now() - started < budgetMs * 0.4 && attackers.length < 40) {
      const attacker = await open();
      attackers.push(attacker);
      for (const token of await badTickets(random, aliceTicket)) {
        send(attacker, required, `/join ${token}`);
        tried += 1;
      }
    }
    await quiet(attackers, 1000);
    const insiders = [...required.room.peers()].filter((p) => p.admitted).map((p) => p.name);
    const refusedLines = attackers.reduce((n, a) => n + a.lines.filter((l) => l.startsWith('! ticket refused')).length, 0);
    const counted = required.counters().drops.badTicket;
    checks.push({
      name: 'forged, tampered, alg-none, expired, other-room and replayed tickets admit nobody; each gets a ! line',
      pass: aliceIn && insiders.length === 1 && insiders[0] === 'alice' && counted === tried && refusedLines === tried,
      detail: `${tried} bad tickets from ${attackers.length} ports in ${Date.now() - started} ms: admitted ${insiders.length - 1} besides alice; drops.badTicket ${counted}, ${refusedLines} refusals told`,
    });

    // 2. The room where tickets are optional: alice signs in, guests try to take her name.
    const alice2 = await open();
    send(alice2, optional, '');
    await until(() => alice2.lines.some((l) => l.startsWith('* welcome ')), 1000);
    send(alice2, optional, `/join ${aliceTicket}`);
    const signed = await until(() => optional.room.find('alice')?.ticket === true, 1000);
    const guests: Peer[] = [];
    for (let i = 0; i < 10; i++) {
      const guest = await open();
      guests.push(guest);
      send(guest, optional, '');
    }
    await until(() => guests.every((g) => g.lines.some((l) => l.startsWith('* welcome '))), 1000);
    const steals = ['/nick alice', '/nick ALICE', '/nick ａｌｉｃｅ', `/join ${aliceTicket}`, '/nick guest1', '/who'];
    let attempts = 0;
    for (const guest of guests) {
      for (const line of steals) {
        send(guest, optional, line);
        attempts += 1;
      }
    }
    await quiet(guests, 1000);
    const aliceHeld = optional.room.find('alice')?.ticket === true && optional.room.find('alice')?.link.address === `${HOST}:${alice2.port}`;
    // Then alice leaves, and they try again: the name stays hers.
    send(alice2, optional, '/quit');
    await until(() => optional.room.find('alice') === undefined, 1000);
    for (const guest of guests) {
      send(guest, optional, '/nick alice');
      send(guest, optional, '/nick Alice');
      attempts += 2;
    }
    await quiet(guests, 1000);
    const takenWhileAway = optional.room.find('alice') !== undefined;
    const back = await open();
    send(back, optional, '');
    await until(() => back.lines.some((l) => l.startsWith('* welcome ')), 1000);
    send(back, optional, `/join ${aliceTicket}`);
    const backIn = await until(() => optional.room.find('alice')?.link.address === `${HOST}:${back.port}`, 1000);
    checks.push({
      name: 'a signed name is never taken: not while its holder is in, not after it left',
      pass: signed && aliceHeld && !takenWhileAway && backIn,
      detail: `${attempts} attempts by ${guests.length} guests (scenario at ${Date.now() - started} ms): alice kept her name ${aliceHeld}, taken while she was away ${takenWhileAway}, back in with her ticket ${backIn}`,
    });

    // 3. What the guests heard: no port of anyone (their own welcome names them guestN).
    const ports = new Set(peers.map((p) => String(p.port)));
    const whoLines = guests.flatMap((g) => g.lines);
    const leaks = whoLines.filter((l) => [...l.matchAll(/:(\d{2,5})\b/g)].some((m) => ports.has(m[1]!)));
    checks.push({
      name: 'off loopback, no peer hears another peer\'s port (/who lists names)',
      pass: leaks.length === 0 && whoLines.some((l) => /^\*   guest\d+ udp idle /.test(l)),
      detail: `${whoLines.length} lines heard by guests, ${leaks.length} with a port${leaks[0] ? `: ${leaks[0]}` : ''}`,
    });
  } finally {
    for (const p of peers) await closeUdp(p.socket);
    await required.close();
    await optional.close();
  }
  return checks;
}

export const TICKETS: TrustScenario = { item: 11, name: 'signed names: forged tickets and name stealing', run };
