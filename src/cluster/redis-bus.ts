/**
 * The cluster's bus on Redis (serve --cluster redis://HOST:PORT): one pub/sub channel per room,
 * a channel per server for private lines, and the room's presence (scripts.ts). Two connections,
 * as Redis wants: one publishes and runs the scripts, one only listens.
 *
 * Pub/sub is at-most-once, as UDP is: a message published while a server's link is down is lost
 * to it. So nothing is queued while the link is down (the queue would replay stale chat when it
 * comes back, and grow without bound): a message that cannot go is counted (`cluster.unsent`),
 * a gap in another server's numbering is counted (`cluster.missed`), the room is told when the
 * link goes and when it is back, and on its return this server claims its peers' names again
 * and reads the whole presence, so `/who` is right again without anyone rejoining.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import { isPeerId, NODE_NAME, MAX_BUS_MESSAGE_BYTES, serverName, type BusMessage, type RoomBus } from '../core/bus.js';
import { ChatError } from '../core/errors.js';
import { nameTaken } from '../core/lines.js';
import { nameKey, nameShape } from '../core/names.js';
import type { ClusterCounters } from '../core/counters.js';
import type { PresenceEntry } from '../core/federation.js';
import type { LocalPresence, Room } from '../core/room.js';
import { roomKeys, type RoomKeys } from './keys.js';
import { BEAT, BYE, CLAIM, DROP, HELLO, PUT, READ, REGISTER } from './scripts.js';
import { unreachable } from './url.js';
import { doorHash, type DoorSettings } from './door.js';

type Client = ReturnType<typeof createClient>;

export interface ClusterOptions {
  /** redis://[:PASSWORD@]HOST:PORT[/DB] or rediss:// for TLS. */
  url: string;
  room: string;
  node: string;
  /** How often this server beats (ms); 1 s by default. */
  beatMs?: number;
  /** A server that has not beaten for this long is dead, its peers gone (ms); 5 s by default. */
  nodeTimeoutMs?: number;
  /** How long the first connection may take before the server gives up (ms). */
  connectTimeoutMs?: number;
  /** How this server lets peers in: every server of the room must agree (door.ts). */
  door?: DoorSettings;
}

export const DEFAULT_BEAT_MS = 1000;
export const DEFAULT_NODE_TIMEOUT_MS = 5000;

// Reconnecting: 100 ms doubling to 5 s, each wait jittered by up to a fifth so servers that lost
// Redis together do not all knock at once.
function backoff(retries: number): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(retries, 6));
  return Math.round(base * (1 + Math.random() * 0.2));
}

// The full presence is read at most this often on `sync` messages (several servers coming back at once).
const SYNC_DEBOUNCE_MS = 100;
// And every this many beats whatever happens: what the bus lost (a join missed, a leave) is healed
// within this many seconds, and /who's idle times of other servers' peers kept near the truth.
const RESYNC_EVERY_BEATS = 10;
// A ticket's name held by a peer without one on another server: asked back, then claimed again
// this many times, this far apart.
const DISPLACE_TRIES = 8;
const DISPLACE_WAIT_MS = 250;
// A server's message numbering is followed for this many servers at most (the names come off the bus).
const MAX_FOLLOWED = 1000;

/** A room's link to its cluster. Made before the room (the room holds it as its RoomBus), started after. */
export class RedisBus implements RoomBus {
  readonly node: string;
  readonly room: string;
  /** The counters the room made for it (set by start()). */
  private counters: ClusterCounters | undefined;
  private readonly keys: RoomKeys;
  private readonly id = randomBytes(6).toString('hex');
  private readonly beatMs: number;
  private readonly timeoutMs: number;
  private readonly pub: Client;
  private readonly sub: Client;
  private target: Room | undefined;
  private seq = 0;
  private beats = 0;
  // When the beat now waiting for its answer was sent; undefined when none is.
  private beatSentAt: number | undefined;
  private reconnecting = false;
  // The last reason a reconnection failed that was logged (see retrying()).
  private lastRetryWhy: string | undefined;
  // Each peer's last-seen time as the last beat wrote it (by clash key).
  private lastReported = new Map<string, number>();
  private readonly followed = new Map<string, { id: string; seq: number }>();
  private up = false;
  private started = false;
  private closed = false;
  private downSince = 0;
  private unsentAtDown = 0;
  private beater: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  // The other servers alive at the last beat; and, after this server found the store emptied (a
  // Redis restarted, a FLUSHALL, this server reaped), those of them not back in it yet, taken
  // for alive until `settleUntil`.
  private live = new Set<string>();
  private settling = new Set<string>();
  private settleUntil = 0;
  private readonly url: string;
  // How every message this server publishes starts: `{"n":"a","e":"<id>",`.
  private readonly ownPrefix: string;
  private readonly door: string;

  constructor(options: ClusterOptions) {
    this.node = serverName('--node', options.node);
    this.room = serverName('--room', options.room);
    this.url = options.url;
    this.keys = roomKeys(options.room, options.node);
    this.ownPrefix = `{"n":${JSON.stringify(options.node)},"e":${JSON.stringify(this.id)},`;
    this.door = doorHash(options.room, options.door ?? {});
    this.beatMs = options.beatMs ?? DEFAULT_BEAT_MS;
    this.timeoutMs = options.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
    const socket = {
      connectTimeout: options.connectTimeoutMs ?? 3000,
      // At the start a Redis that cannot be reached is the user's mistake to hear about at once;
      // once running, a lost Redis is waited for, for as long as it takes.
      reconnectStrategy: (retries: number, cause: Error) => {
        if (!this.started) return cause;
        if (this.closed) return false;
        this.retrying(cause);
        return backoff(retries);
      },
    };
    let pub: Client;
    try {
      // No per-command timeout: it arms a timer for every PUBLISH, and the beat's own deadline
      // (beat()) already notices a link that stopped answering.
      pub = createClient({ url: options.url, disableOfflineQueue: true, socket, commandOptions: { timeout: 0 } });
    } catch (err) {
      throw new ChatError('ERR_BAD_ARGUMENT', `--cluster takes redis://HOST:PORT or rediss://HOST:PORT (${(err as Error).message})`);
    }
    this.pub = pub;
    this.sub = pub.duplicate();
    for (const client of [this.pub, this.sub]) {
      client.on('error', (err: Error) => this.lost(err));
      client.on('end', () => this.lost(new Error('connection closed')));
      client.on('ready', () => this.ready());
    }
  }

  /** Connects and joins the cluster; rejects with one line when Redis cannot be reached or the node name is taken. */
  async connect(): Promise<void> {
    try {
      await this.pub.connect();
      await this.sub.connect();
    } catch (err) {
      await this.close();
      throw unreachable(this.url, err as Error);
    }
    // A server of this name that crashed a moment ago is still taken for alive until its deadline:
    // a restart waits that out, while a server that is really alive keeps its name and this one is refused.
    const deadline = performance.now() + this.timeoutMs + this.beatMs;
    let hello: unknown;
    while ((hello = await this.hello1()) !== 1) {
      if (hello === -1) {
        await this.close();
        throw new ChatError(
          'ERR_BAD_ARGUMENT',
          `the servers running room ${this.room} let peers in otherwise: give every server of a room the same --password, --ticket-secret, --ticket-room and --tickets-required (or none)`,
        );
      }
      if (performance.now() > deadline) {
        await this.close();
        throw new ChatError('ERR_CLUSTER_NODE_TAKEN', `a live server in room ${this.room} is called ${this.node} already: give this one another --node NAME`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.beatMs / 2));
    }
  }

  /**
   * HELLO at the start; a command Redis refuses (an ACL user without +evalsha, say) is one line,
   * and the connections are closed so the process can exit.
   */
  private async hello1(): Promise<unknown> {
    try {
      return await this.run(HELLO, this.hello());
    } catch (err) {
      await this.close();
      throw unreachable(this.url, err as Error);
    }
  }

  /** HELLO's arguments: this server, this process, its deadline, its door. */
  private hello(): string[] {
    return [this.node, this.id, String(this.timeoutMs), this.door];
  }

  /** Starts relaying for `room` (its federation made with this bus): listens, beats, reads the presence. */
  async start(room: Room): Promise<void> {
    this.target = room;
    this.counters = room.counters.cluster;
    await this.sub.subscribe([this.keys.bus, this.keys.inbox], (message) => this.heard(message));
    this.started = true;
    this.up = true;
    await this.register();
    this.publish({ t: 'sync' });
    await this.resync();
    this.beater = setInterval(() => void this.beat(), this.beatMs);
  }

  /** Tells the others this server is gone, now rather than after its deadline, and closes both links. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.beater);
    clearTimeout(this.syncTimer);
    if (this.up) {
      this.publish({ t: 'bye' });
      await this.run(BYE, [this.node, this.id]).catch(() => undefined);
    }
    await Promise.all([this.pub, this.sub].map((c) => (c.isOpen ? c.close().catch(() => undefined) : c.destroy())));
  }

  // ---- RoomBus ----

  publish(message: BusMessage): void {
    // A name given up is announced before the store lets it go: whoever claims it next publishes
    // after this, so no server hears the new holder before the old one left.
    if (message.t === 'rename' || message.t === 'leave') {
      this.announce(message);
      this.presence(message);
      return;
    }
    this.presence(message);
    this.announce(message);
  }

  /** Puts a message on the room's channel, numbered, without touching the presence. */
  private announce(message: BusMessage): void {
    // Who sent it comes first, so a server can drop its own copy by its first bytes (see heard()).
    this.send(this.keys.bus, { n: this.node, e: this.id, s: ++this.seq, ...message });
  }

  sendTo(node: string, message: Extract<BusMessage, { t: 'msg' | 'displace' }>): void {
    this.send(this.keys.inboxOf(node), { n: this.node, e: this.id, ...message });
  }

  claim(name: string, key: string, shape: string, ticket: boolean, done: (refusal?: string, code?: string) => void): void {
    const down = () => done('the link to the other servers is down; try again in a moment', 'ERR_CLUSTER_UNREACHABLE');
    if (!this.up) return down();
    this.claimOrDisplace(name, key, shape, ticket).then((refusal) => done(refusal), down);
  }

  /**
   * The claim, and for a ticket whose name a peer without one holds on another server, what one
   * server does for a ticket: that server is told to give its peer its first name back
   * (`displace`), and the claim is made again until the name is free (a few tries in 2 s).
   */
  private async claimOrDisplace(name: string, key: string, shape: string, ticket: boolean): Promise<string | undefined> {
    // The entry is a placeholder until the peer takes the name: its rename (or join) writes it in full.
    const args = [this.node, key, shape, this.entry(name, shape, 'unknown', ticket), ticket ? '1' : '0'];
    let told = '';
    for (let tries = 0; ; tries++) {
      const held = String(await this.run(CLAIM, args));
      if (!held) return undefined;
      const [holder, node, signed] = held.split('\t');
      if (holder === 'TICKET') return 'that name belongs to a ticket holder; choose another';
      if (!ticket || signed === '1' || tries >= DISPLACE_TRIES) return takenBy(name, held);
      if (told !== node) this.sendTo(node!, { t: 'displace', from: holder!, to: name });
      told = node!;
      await new Promise((resolve) => setTimeout(resolve, DISPLACE_WAIT_MS));
    }
  }

  release(key: string): void {
    if (this.up) this.run(DROP, [this.node, key]).catch(() => undefined);
  }

  // ---- the link ----

  private send(channel: string, message: object): void {
    const counters = this.counters!;
    if (!this.up) {
      counters.unsent += 1;
      return;
    }
    counters.published += 1;
    // One that fails after all (a silent cut, its connection torn down unanswered) never went:
    // unsent instead of published, so each message is counted once.
    this.pub.publish(channel, JSON.stringify(message)).catch(() => {
      counters.published -= 1;
      counters.unsent += 1;
    });
  }

  /** Keeps this server's entries in the presence as its peers come, go and rename. */
  private presence(message: BusMessage): void {
    if (!this.up || !this.target) return;
    switch (message.t) {
      case 'join':
        return this.put(message.name, message.transport, message.ticket ?? false);
      case 'rename': {
        void this.drop([nameKey(message.from)]);
        const peer = this.target.find(message.to);
        return this.put(message.to, peer?.link.channel.name ?? 'unknown', peer?.ticket ?? false);
      }
      case 'leave':
        void this.drop(message.names.map(nameKey));
        return;
      default:
        return;
    }
  }

  private put(name: string, transport: string, ticket: boolean): void {
    const shape = nameShape(name);
    this.run(PUT, [this.node, nameKey(name), shape, this.entry(name, shape, transport, ticket)]).catch(() => undefined);
  }

  private drop(keys: string[]): Promise<unknown> {
    return this.run(DROP, [this.node, ...keys]).catch(() => undefined);
  }

  /** A peer's presence entry; `id` (its number here, the same across renames) when it holds the name already. */
  private entry(name: string, shape: string, transport: string, ticket: boolean): string {
    const id = this.target?.find(name)?.id;
    return JSON.stringify({ name, node: this.node, transport, ticket, shape, ...(id ? { id } : {}) });
  }

  /**
   * Runs a script by its SHA1 (a beat names only its peers, not 2 KB of Lua each second), sending
   * the whole text only when Redis does not have it yet (a first run, a restarted Redis).
   */
  private async run(script: string, args: string[]): Promise<unknown> {
    const options = { keys: [this.keys.prefix], arguments: args };
    try {
      return await this.pub.evalSha(sha1(script), options);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return this.pub.eval(script, options);
    }
  }

  /** A message off the bus: numbered, bounded, parsed, then the room's to check (Federation.receive). */
  private heard(text: string): void {
    // This server's own messages come back to it on the room's channel: not parsed, just dropped.
    if (text.startsWith(this.ownPrefix)) return;
    const counters = this.counters!;
    if (text.length > MAX_BUS_MESSAGE_BYTES) {
      counters.refused += 1;
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      counters.refused += 1;
      return;
    }
    const node = message?.n;
    if (typeof node !== 'string' || !NODE_NAME.test(node)) {
      counters.refused += 1;
      return;
    }
    if (node === this.node) return;
    if (message.t === 'sync') this.syncSoon();
    if (typeof message.s === 'number' && typeof message.e === 'string') this.follow(node, message.e, message.s);
    this.target?.federation?.receive(node, message);
  }

  /** Counts the messages of `node` that never came (a gap in its numbering; a restarted server starts again). */
  private follow(node: string, id: string, seq: number): void {
    const last = this.followed.get(node);
    if (last && last.id === id && seq > last.seq + 1) this.counters!.missed += seq - last.seq - 1;
    if (!last && this.followed.size >= MAX_FOLLOWED) this.followed.clear();
    this.followed.set(node, { id, seq: last && last.id === id ? Math.max(seq, last.seq) : seq });
  }

  private syncSoon(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.resync();
    }, SYNC_DEBOUNCE_MS);
  }

  /** Drops both connections and makes them again (a silent link), counting and telling it as a loss. */
  private async reconnect(why: string): Promise<void> {
    if (this.reconnecting || this.closed) return;
    this.reconnecting = true;
    this.lost(new Error(why));
    this.beatSentAt = undefined;
    try {
      // connect() retries with the backoff until Redis answers again; ready() then heals the room.
      for (const client of [this.pub, this.sub]) client.destroy();
      await Promise.all([this.pub.connect(), this.sub.connect()]);
    } catch {
      // Closed meanwhile: nothing to heal.
    } finally {
      this.reconnecting = false;
    }
  }

  /**
   * Why reconnecting keeps failing, logged once per reason while the link is down: a Redis that
   * came back without this server's user or password refuses every try, and would otherwise go
   * on refusing in silence.
   */
  private retrying(cause: Error): void {
    const why = unreachable(this.url, cause).message;
    if (this.up || why === this.lastRetryWhy || !/password|refused a command|TLS/.test(why)) return;
    this.lastRetryWhy = why;
    this.target?.federation?.tell('lost', `still reconnecting: ${why}`);
  }

  private lost(err: Error): void {
    if (!this.started || this.closed || !this.up) return;
    this.up = false;
    this.downSince = performance.now();
    this.unsentAtDown = this.counters!.unsent;
    this.target?.federation?.linkLost(err.message || 'connection closed');
  }

  private ready(): void {
    if (!this.started || this.closed || this.up || !this.pub.isReady || !this.sub.isReady) return;
    this.up = true;
    this.settle();
    void (async () => {
      await this.run(HELLO, this.hello()).catch(() => undefined);
      await this.register(true);
      this.publish({ t: 'sync' });
      await this.resync();
      this.target?.federation?.linkBack(performance.now() - this.downSince, this.counters!.unsent - this.unsentAtDown);
    })();
  }

  /**
   * Claims every peer's name again (after a lost link, Redis may have forgotten them, or someone
   * took one). `rejoin`: each peer kept is announced again, ahead of anything it says next on the
   * same channel, so the others (which may have taken this server for dead) know it before its
   * next line rather than after their next read of the presence.
   */
  private async register(rejoin = false): Promise<void> {
    const room = this.target;
    if (!room) return;
    const mine: LocalPresence[] = room.presence();
    // The look-alike shape is worked out here, for a registration, not for every peer at every beat.
    const args = mine.flatMap((p) => {
      const shape = nameShape(p.name);
      return [p.key, shape, this.entry(p.name, shape, p.transport, p.ticket)];
    });
    const held = (await this.run(REGISTER, [this.node, ...args]).catch(() => [])) as string[];
    // Each answer is '' (kept) or 'NAME<TAB>NODE' (taken meanwhile on NODE).
    held.forEach((h, i) => {
      const p = mine[i]!;
      if (h) room.lostName(p.name, h.split('\t')[1] ?? 'another server');
      else if (rejoin) this.announce({ t: 'join', name: p.name, transport: p.transport, ...(p.ticket ? { ticket: true } : {}) });
    });
  }

  /** Reads the whole presence into the room (see Federation.resync). */
  private async resync(): Promise<void> {
    if (!this.up || !this.target) return;
    const reply = (await this.run(READ, []).catch(() => undefined)) as string[] | undefined;
    if (!reply) return;
    const end = reply.indexOf('', 1);
    const live = this.alive(reply.slice(1, end));
    const entries: PresenceEntry[] = [];
    for (let i = end + 1; i + 1 < reply.length; i += 2) {
      const entry = readEntry(reply[i]!, Number(reply[i + 1]));
      if (entry) entries.push(entry);
    }
    this.target.resync(entries, live, this.settling);
  }

  /**
   * The store may have been emptied (a Redis restarted with nothing saved, a FLUSHALL): every
   * server finds out on its own next command and registers its peers again, each on its own
   * beat or reconnect. Until the node timeout has passed, a server that was alive before and is
   * missing now has not had its turn, and is no more gone than its peers left.
   */
  private settle(): void {
    // The servers seen alive, and those whose peers this room lists (told of on the bus before any beat saw them).
    this.settling = new Set([...this.live, ...(this.target?.federation?.remote.nodes() ?? [])]);
    this.settleUntil = performance.now() + this.timeoutMs;
  }

  /** The servers the store lists as alive, and those still settling (see settle()). */
  private alive(listed: readonly string[]): Set<string> {
    const live = new Set(listed);
    if (this.settling.size > 0) {
      if (performance.now() > this.settleUntil) this.settling.clear();
      for (const node of this.settling) {
        if (live.has(node)) this.settling.delete(node);
        else live.add(node);
      }
    }
    return live;
  }

  private async beat(): Promise<void> {
    if (!this.up || !this.target) return;
    // A link cut without a word (a cable pulled, Wi-Fi gone, a frozen middlebox) closes no socket:
    // commands just go unanswered. A beat unanswered for the node timeout is a lost link, and the
    // connections are made again (the others have taken this server for dead by then).
    if (this.beatSentAt !== undefined) {
      if (performance.now() - this.beatSentAt > this.timeoutMs) void this.reconnect(`no answer from Redis for ${Math.round(this.timeoutMs / 1000)}s`);
      return;
    }
    // Only the peers heard from since the last beat: the others' last-seen times stand.
    const seen: string[] = [];
    const reported = new Map<string, number>();
    for (const p of this.target.presence()) {
      reported.set(p.key, p.lastSeen);
      if (this.lastReported.get(p.key) !== p.lastSeen) seen.push(p.key, String(p.idleMs));
    }

    this.beatSentAt = performance.now();
    const reply = (await this.run(BEAT, [this.node, this.id, String(this.timeoutMs), ...seen]).catch(() => undefined)) as string[] | undefined;
    this.beatSentAt = undefined;
    if (!reply || this.closed) return;
    // Written: the next beat sends only what changes after this one.
    this.lastReported = reported;
    const reaped = reply[0] === 'reaped';
    // Taken for dead (a link down longer than the deadline), or the store emptied: the others
    // may not be back in it yet (see settle()).
    if (reaped) this.settle();
    const live = this.alive(reply.filter((n) => n !== 'reaped'));
    this.live = new Set([...live].filter((n) => n !== this.node));
    if (reaped) {
      // The others forgot this server's peers.
      await this.register(true);
      this.publish({ t: 'sync' });
    }
    this.target.federation?.nodesAlive(live);
    if (++this.beats % RESYNC_EVERY_BEATS === 0) await this.resync();
  }
}

const shas = new Map<string, string>();

/** A script's SHA1, as EVALSHA names it (worked out once per script). */
function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  return sha;
}

/** `name taken: bob (on server b)` from a script's 'NAME<TAB>NODE[<TAB>TICKET]'. */
function takenBy(wanted: string, held: string): string {
  const [name, node] = held.split('\t');
  return nameTaken(wanted, name ?? wanted, node);
}

/** One presence entry as a script returned it, checked (the room checks names again). */
function readEntry(json: string, idleMs: number): PresenceEntry | undefined {
  try {
    const e = JSON.parse(json) as Record<string, unknown>;
    if (typeof e.name !== 'string' || typeof e.node !== 'string' || typeof e.transport !== 'string') return undefined;
    const entry: PresenceEntry = { name: e.name, node: e.node, transport: e.transport, ticket: e.ticket === true, idleMs: Number.isFinite(idleMs) ? idleMs : 0 };
    if (isPeerId(e.id)) entry.id = e.id;
    return entry;
  } catch {
    return undefined;
  }
}
