/**
 * The one module that colours: on a terminal, or as FORCE_COLOR says, never under NO_COLOR
 * (chalk 5 does not read NO_COLOR itself). Everything printed here is already made safe
 * by core/sanitize, so a peer's text cannot reach the terminal as control bytes.
 */
import { networkInterfaces } from 'node:os';
import { Chalk, type ChalkInstance } from 'chalk';
import wrapAnsi from 'wrap-ansi';
import type { SeqResult } from '../client/seq-stats.js';
import { formatDuration } from '../core/duration.js';
import type { ServerLine } from '../core/lines.js';
import type { ServerEvent } from '../servers/chat-server.js';
import { turnsAwayEveryone } from '../servers/access.js';
import { formatAddress, isLoopback } from '../transports/address.js';
import { reusePortMissing } from '../transports/reuse-port.js';
import { redactUrl } from '../cluster/url.js';

/**
 * How much colour: NO_COLOR (set and not empty, no-color.org) turns it off whatever else is set;
 * then FORCE_COLOR as chalk and Node read it (empty, 1 or true: 16 colours, 2: 256, 3: truecolor,
 * 0 or false: none), on a pipe as on a terminal; else colour on a terminal only. Node itself lets
 * FORCE_COLOR win over NO_COLOR; a user who asks for no colour is asking more specifically.
 */
export function colourLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (env['NO_COLOR']) return 0;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) {
    if (force === '' || force === 'true') return 1;
    if (force === 'false') return 0;
    const level = Number.parseInt(force, 10);
    return Number.isNaN(level) ? 0 : (Math.max(0, Math.min(level, 3)) as 0 | 1 | 2 | 3);
  }
  return stream.isTTY ? 1 : 0;
}

/** A chalk that colours as colourLevel says for this stream. */
export function paint(stream: NodeJS.WriteStream): ChalkInstance {
  return new Chalk({ level: colourLevel(stream) });
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/**
 * A peer in the log: its name, and its address beside it when the name is not the address (off
 * loopback peers see names only; the teacher's log keeps where each one is).
 */
function peerLabel(peer: { name: string; address: string; transport: string }): string {
  return peer.name === peer.address ? peer.name : `${peer.name} (${peer.transport} ${peer.address})`;
}

/** One human log line for a server event, or null for events a person need not see. */
export function formatServerEvent(event: ServerEvent, c: ChalkInstance): string | null {
  const at = c.dim(clock());
  switch (event.type) {
    case 'start':
      return `${at} listening on ${event.transport} ${event.host}:${event.port}`;
    case 'join':
      return `${at} ${c.green('+')} ${event.peer.name} joined (${event.peer.transport} ${event.peer.address}${event.peer.ticket ? ', ticket' : ''})`;
    case 'leave':
      return `${at} ${c.yellow('-')} ${event.peer.name} left (${event.reason}${event.detail ? `: ${event.detail}` : ''})`;
    case 'rename':
      return `${at} ${c.cyan('~')} ${event.from} is now ${event.peer.name}${event.peer.ticket ? ' (ticket)' : ''}`;
    case 'message':
      return event.to ? `${at} <${event.peer.name}> ${c.magenta(`(to ${event.to})`)} ${event.text}` : `${at} <${event.peer.name}> ${event.text}`;
    case 'error':
      return `${at} ${c.red('!')} ${event.peer ? `${peerLabel(event.peer)}: ` : ''}${event.message}`;
    case 'refused': {
      const p = event.peer;
      const who = p.name && p.name !== p.address ? `${p.name} (${p.transport} ${p.address})` : `${p.transport} ${p.address}`;
      const more = event.repeats ? `; ${event.repeats} more time${event.repeats === 1 ? '' : 's'} in the minute before` : '';
      return `${at} ${c.red('x')} turned away ${who}: ${event.message} (${event.reason}${more}; said once a minute per address)`;
    }
    case 'socket-error':
      return `${at} ${c.red('!')} ${event.transport} socket: ${event.code} ${event.message}`;
    case 'cluster':
      return `${at} ${event.what === 'back' ? c.green('*') : event.what === 'gone' ? c.yellow('*') : c.red('!')} cluster: ${event.message}`;
    case 'stats':
      return `${at} ${formatCounters(event.counters)}`;
    case 'stop':
      return `${at} stopped. ${formatCounters(event.counters)}`;
  }
}

/**
 * `stats: peers=0 joins=3 ... drops.rateLimited=2 traffic.udp.messagesIn=9`: the counters on one
 * line, nested ones flattened and zeros in nested groups left out so the line stays readable.
 */
export function formatCounters(counters: object): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown, nested: boolean) => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v, prefix !== '' || nested);
    } else if (!nested || value !== 0) parts.push(`${prefix}=${String(value)}`);
  };
  walk('', counters, false);
  return `stats: ${parts.join(' ')}`;
}

/**
 * One NDJSON line of any command's --json stream: `{"time":"<ISO 8601>","event":NAME,...fields}`.
 * Every command writes through this, so the two fields every reader keys on are always first and
 * always spelled the same (docs/json.md lists each event).
 */
export function jsonLine(event: string, fields: object = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), event, ...fields });
}

/**
 * One NDJSON line for a server event: `{"time":...,"event":"join",...}`. The library's events
 * differ in three names, mapped here (docs/json.md): `type` is `event`; a private message's `to`
 * (a name) is `toName`, as `to` is an address everywhere else; a rename's `from` (the old name)
 * is `oldName`, as `from` was an address.
 */
export function jsonEvent(event: ServerEvent): string {
  if (event.type === 'message') {
    const { type, to, ...rest } = event;
    return jsonLine(type, to === undefined ? rest : { ...rest, toName: to });
  }
  if (event.type === 'rename') {
    const { type, from, ...rest } = event;
    return jsonLine(type, { ...rest, oldName: from });
  }
  const { type, ...rest } = event;
  return jsonLine(type, rest);
}

/** How a chat client shows a line from the server: chat plain, private, notices and errors apart. */
export function formatServerLine(line: ServerLine, c: ChalkInstance): string {
  switch (line.kind) {
    case 'chat':
      // `to` on the room's confirmation of a private message we sent: `[private to bob] <me> text`.
      return line.private ? c.magenta(`[private${line.to ? ` to ${line.to}` : ''}] <${line.from}> ${line.text}`) : `${c.bold(`<${line.from}>`)} ${line.text}`;
    case 'notice':
      return c.cyan(`* ${line.text}`);
    case 'error':
      return c.red(`! ${line.text}`);
    case 'pong':
      return c.dim(`/pong ${line.token}`.trim());
    case 'other':
      return line.text;
  }
}

/** Columns a wrapped line's continuation is indented by. */
export const HANGING_INDENT = 2;

/**
 * Wraps a line to a terminal `columns` wide, indenting every continuation by HANGING_INDENT, so
 * that the words a long message pushes onto the next terminal line never stand at its start,
 * where they could pass for a line of their own (`* bob left (quit)`, `[private] <bob> ...`).
 * Colour codes take no columns; wide characters take two. `columns` undefined (not a terminal)
 * or too narrow to indent: the text as it is.
 */
export function wrapForTerminal(text: string, columns: number | undefined): string {
  if (columns === undefined || columns < 4 * HANGING_INDENT) return text;
  // No character is wider than two columns: a short line needs no work (a flood of log lines).
  if (text.length * 2 < columns - HANGING_INDENT) return text;
  return wrapAnsi(text, columns - HANGING_INDENT, { hard: true, trim: false }).replaceAll('\n', '\n' + ' '.repeat(HANGING_INDENT));
}

/** The banner `serve` prints: where the room is, how to join it, and how to open it up. */
export function serveBanner(
  o: {
    transport: string;
    host: string;
    port: number;
    peerTimeoutMs: number;
    open?: boolean;
    password?: boolean;
    tickets?: { room?: string; required?: boolean } | undefined;
    rateLimit?: { perSecond: number; burst: number };
    /** TCP's framing: a length prefix (length, length-le) is not something nc can type, so only udp-chat is suggested. */
    framing?: string;
    allow?: readonly string[];
    deny?: readonly string[];
    /** How to run udp-chat in this terminal (selfCommand): `udp-chat`, `npx udp-chat`, `node dist/src/cli/main.js`. */
    self?: string;
  },
  c: ChalkInstance,
): string[] {
  const host = reachableHost(o.host);
  const self = o.self ?? 'udp-chat';
  const on = o.transport === 'both' ? 'udp+tcp' : o.transport;
  const lines = [c.bold(`udp-chat room on ${on} ${host} port ${o.port}`) + ` (peer timeout ${formatDuration(o.peerTimeoutMs)})`];
  const allow = o.allow ?? [];
  const deny = o.deny ?? [];
  const nobody = turnsAwayEveryone(o.host, allow, deny);
  if (nobody) {
    // A "join with:" line would send students to a room that turns every one of them away.
    const rules = [...allow.map((r) => `--allow ${r}`), ...deny.map((r) => `--deny ${r}`)].join(' ');
    lines.push(`  nobody can join: ${rules} turns away every address that can reach ${host} (each try is logged, once a minute per address)`);
  } else {
    if (o.transport !== 'tcp') lines.push(`  join with:  nc -u ${host} ${o.port}    or    ${self} chat --host ${host} --port ${o.port}`);
    if (o.transport !== 'udp') {
      lines.push(
        o.framing !== undefined && o.framing !== 'line'
          ? `  join with:  ${self} chat --tcp --framing ${o.framing} --host ${host} --port ${o.port}   (not nc: each message goes with a 2-byte length first)`
          : `  join with:  nc ${host} ${o.port}       or    ${self} chat --tcp --host ${host} --port ${o.port}`,
      );
    }
    if (allow.length > 0 || deny.length > 0) {
      const who = `${allow.length > 0 ? allow.join(', ') : 'every address'}${deny.length > 0 ? ` except ${deny.join(', ')}` : ''}`;
      lines.push(c.dim(`  who can join: ${who} (--allow, --deny; the others are turned away, logged once a minute per address)`));
    }
  }
  // Who can join and how, said only of a room someone can join (the line above says nobody can).
  if (!nobody && (o.host === '127.0.0.1' || o.host === '::1' || o.host === 'localhost')) {
    lines.push(c.dim('  only this machine can join; to open the room to your LAN: --host 0.0.0.0 (or :: for IPv6)'));
  }
  if (!nobody && o.transport !== 'tcp') {
    const door = o.password || o.tickets?.required;
    lines.push(
      o.open === false
        ? c.dim(`  UDP address validation on: a new address must echo the /join TOKEN it is sent (${self} chat does it; --open turns it off)`)
        : c.dim(door ? `  UDP address validation off: a new address's first datagram is heard, then the ${o.password ? 'password' : 'ticket'} decides` : '  UDP room open: a first datagram joins'),
    );
  }
  // A measured run past this loses messages to the room, not the network: say where the line is.
  if (o.rateLimit) {
    const r = o.rateLimit;
    // A UDP peer's excess is dropped (and told); a stream peer is read no faster, so its lines wait.
    const past = o.transport === 'tcp' ? 'past it, a peer is read no faster (its lines wait)' : o.transport === 'udp' ? 'past it, dropped and told' : 'past it, UDP messages are dropped and told, TCP lines wait';
    lines.push(c.dim(r.perSecond > 0 && r.burst > 0 ? `  per-peer message rate: ${r.perSecond} a second after a burst of ${r.burst} (--rate, --burst); ${past}` : '  per-peer message rate: no limit'));
  }
  if (o.password) lines.push(c.dim(`  password set: peers send /join PASSWORD (${self} chat --password PASSWORD does it)`));
  if (o.tickets) {
    const who = o.tickets.required ? 'required: nobody gets in without one' : 'optional: a ticket signs a peer in under its name';
    lines.push(c.dim(`  tickets ${who}; make them with: ${self} ticket NAME --secret-file FILE${o.tickets.room && o.tickets.room !== 'udp-chat' ? ` --room ${o.tickets.room}` : ''}`));
  }
  if (!isLoopback(o.host)) lines.push(c.dim('  peers see names, not addresses (guest7 until a peer chooses a name); the log keeps the addresses'));
  return lines;
}

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Most seq numbers printed per list (lost, late, duplicated); the rest are counted. */
export const SEQ_LIST_MAX = 50;

function seqList(label: string, seqs: readonly number[]): string[] {
  if (seqs.length === 0) return [];
  const more = seqs.length - SEQ_LIST_MAX;
  return [`${label}: ${seqs.slice(0, SEQ_LIST_MAX).join(' ')}${more > 0 ? ` ... and ${more} more` : ''}`];
}

/**
 * The stats block of a numbered run: `sent N, received R, lost L (x%)[, refused by the room F (y%)], duplicates D, out of order O,
 * latency p50 A ms p99 B ms` (or `latency none`), then `lost: 3 7`, `late: 9`, `duplicated: 5`
 * and `ignored: K` lines when there is something to list.
 */
export function formatSeqStats(s: SeqResult): string[] {
  const latency = s.latency ? `latency p50 ${s.latency.p50.toFixed(3)} ms p99 ${s.latency.p99.toFixed(3)} ms` : 'latency none';
  const percent = (p: number) => Number(p.toPrecision(3));
  // Refused only when the room refused some: a limit is not a loss, and the line says which is which.
  const refused = s.refused > 0 ? `, refused by the room ${s.refused} (${percent(s.refusedPercent)}%)` : '';
  return [
    `sent ${s.expected}, received ${s.received}, lost ${s.lost} (${percent(s.lossPercent)}%)${refused}, duplicates ${s.duplicates}, out of order ${s.outOfOrder}, ${latency}`,
    ...seqList(s.refused > 0 ? 'lost or refused' : 'lost', s.lostSeqs),
    ...seqList('late', s.lateSeqs),
    ...seqList('duplicated', s.duplicateSeqs),
    ...(s.ignored > 0 ? [`ignored: ${s.ignored} numbered lines of another run`] : []),
  ];
}

/** This machine's non-loopback IPv4 addresses, the ones classmates can reach. */
export function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/**
 * The host a banner shows: a wildcard address is where the server listens, not where anyone can
 * reach it, so the machine's first LAN address instead, which students type.
 */
function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? (lanAddresses()[0] ?? host) : host;
}

/**
 * The banner line with the teacher link: `  teacher: http://HOST:PORT/?teacher=KEY`. The page keeps
 * the key (out of the address bar) to read a closed room's timeline and to run demos on this machine.
 */
export function teacherBanner(host: string, port: number, key: string): string {
  const shown = reachableHost(host);
  return `  teacher: http://${formatAddress(shown, port)}/?teacher=${key}`;
}

/** The banner line for the web page: `  open http://HOST:PORT/ in a browser` (a LAN address for a wildcard host). */
export function webBanner(host: string, port: number, self = 'udp-chat'): string {
  const shown = reachableHost(host);
  const hostFlag = isLoopback(shown) ? '' : ` --host ${shown.includes(':') ? `'${shown}'` : shown}`;
  return `  open http://${formatAddress(shown, port)}/ in a browser   (${self} chat --transport ws${hostFlag} --port ${port}; the teacher panel: /#teacher)`;
}

/**
 * The banner lines of `serve --cluster`: which room and node this is, where the cluster lives
 * (password hidden), and how another server joins it: this same command (a hint that spelled one
 * out would drop the flags it did not know, --password among them, and could not show the
 * password it hides), on this port with --reuse-port where this Node can share a port, else on
 * a port of its own (`askedPort` 0: --port 0 again).
 */
export function clusterBanner(o: { url: string; room: string; node: string; port: number; askedPort: number; reusePort: boolean }): string[] {
  const missing = reusePortMissing();
  const port = o.askedPort === 0 ? '--port 0' : `-p ${o.port + 1}`;
  const another = o.reusePort
    ? 'another server on this machine: this same command (--reuse-port, the same port)'
    : `another server: this same command with ${port}${missing ? ` (one port each: ${missing})` : ' (or share one port: --reuse-port on each)'}`;
  return [`  cluster: room ${o.room} on ${redactUrl(o.url)}, this server is ${o.node}; first names end in @${o.node}`, `  ${another}`];
}

/**
 * The banner line of `serve --multicast`: where the room's lines also go and how to follow them.
 * The follower joins on the same interface when one was chosen: Linux hands a looped-back group
 * datagram only to members joined on the interface it went out of.
 */
export function multicastBanner(o: { group: string; port: number; ttl: number; interface: string | undefined }, self = 'udp-chat'): string {
  const iface = o.interface === undefined ? "the system's choice" : o.interface.replace(/^::%/, '');
  const follow = `${self} chat --multicast ${o.group} -p ${o.port} --listen-only${o.interface === undefined ? '' : ` --interface ${iface}`}`;
  return `  multicast: every line also goes to ${formatAddress(o.group, o.port)} (ttl ${o.ttl}, interface ${iface}); follow with: ${follow}`;
}
