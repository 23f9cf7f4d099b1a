/**
 * A Room on a fake clock with memory links, for the room's own tests (test/core): join peers,
 * send them lines as `nc` would, move the clock, and run what the room scheduled.
 */
import * as assert from 'uvu/assert';
import type { Peer } from '../../src/core/peer.js';
import { Room, type RoomEvent, type RoomOptions } from '../../src/core/room.js';
import { MemoryLink } from './memory-link.js';

/** A peer in a test room, with the link that records what it is told. */
export interface Member {
  link: MemoryLink;
  peer: Peer;
}

/** A job the room handed its `schedule`, due at `at` on the fake clock. */
interface Job {
  at: number;
  fn: () => void;
}

const encoder = new TextEncoder();

/** A room on a fake clock starting at 0, recording its events. With `scheduled: true` it has a fake `schedule` that runs jobs as tick() passes them. */
export function roomHarness(options: RoomOptions & { scheduled?: boolean } = {}) {
  let now = 0;
  let port = 5000;
  const events: RoomEvent[] = [];
  const jobs: Job[] = [];
  const { scheduled, ...roomOptions } = options;
  const room = new Room({
    clock: () => now,
    onEvent: (event) => events.push(event),
    ...(scheduled ? { schedule: (fn: () => void, ms: number) => void jobs.push({ at: now + ms, fn }) } : {}),
    ...roomOptions,
  });
  const h = {
    room,
    events,
    /** Jobs scheduled and not yet run. */
    jobs,
    now: () => now,
    /** Moves the clock on, running every scheduled job that falls due on the way, in order. */
    tick(ms: number): void {
      const end = now + ms;
      for (;;) {
        jobs.sort((x, y) => x.at - y.at);
        const next = jobs[0];
        if (!next || next.at > end) break;
        jobs.shift();
        // A job that is late (see lag) runs at the time it is, not back at its due time.
        now = Math.max(now, next.at);
        next.fn();
      }
      now = end;
    },
    /** Moves the clock on without running what falls due: an event loop busy past a timer's time. */
    lag(ms: number): void {
      now += ms;
    },
    /** Tries to join a link; the link whatever happened, and the peer or null. `ip` is the whole address unless given. */
    tryJoin(transport = 'memory', address = `127.0.0.1:${++port}`, ip?: string): { link: MemoryLink; peer: Peer | null } {
      const link = new MemoryLink(address, transport, ip);
      return { link, peer: room.join(link) };
    },
    /** Joins a link at the next free 127.0.0.1 port (or `address`), and fails the test if it is turned away. */
    join(transport = 'memory', address?: string, ip?: string): Member {
      const { link, peer } = h.tryJoin(transport, address, ip);
      assert.ok(peer, `${link.address} joins`);
      return { link, peer: peer! };
    },
    /** tryJoin from `ip`, on a fresh port each time: what the per-address limits count. */
    tryJoinFrom(ip: string, transport = 'memory'): { link: MemoryLink; peer: Peer | null } {
      return h.tryJoin(transport, `${ip}:${++port}`, ip);
    },
    /** join from `ip`, on a fresh port each time. */
    joinFrom(ip: string, transport = 'memory'): Member {
      return h.join(transport, `${ip}:${++port}`, ip);
    },
    /** Sends one line as `nc` does, with its trailing newline. */
    send(member: Member, text: string): void {
      room.receive(member.peer, encoder.encode(text + '\n'));
    },
    /** Joins one peer per name, names them, and forgets everything said so far. */
    crowd(...names: string[]): Member[] {
      const members = names.map(() => h.join());
      names.forEach((name, i) => h.send(members[i]!, `/nick ${name}`));
      for (const member of members) member.link.take();
      events.length = 0;
      return members;
    },
  };
  return h;
}

/** What roomHarness() returns. */
export type RoomHarness = ReturnType<typeof roomHarness>;

/** Asserts that none of these members was told anything since the last take(). */
export function silent(...members: Member[]): void {
  for (const member of members) assert.equal(member.link.take(), [], `${member.peer.name} hears nothing`);
}

/** `sender` sends a message (a line, or bytes as they are); asserts it alone is told, in one `!` line, which is returned. */
export function refused(h: RoomHarness, sender: Member, others: Member[], message: string | Uint8Array): string {
  if (typeof message === 'string') h.send(sender, message);
  else h.room.receive(sender.peer, message);
  const told = sender.link.take();
  assert.is(told.length, 1, JSON.stringify(told));
  assert.ok(told[0]!.startsWith('! '), told[0]);
  silent(...others);
  return told[0]!;
}

/** Each event's type, or its code for an error or a refusal. */
export function eventKinds(events: readonly RoomEvent[]): string[] {
  return events.map((e) => (e.type === 'error' || e.type === 'refused' ? e.code : e.type));
}
