/**
 * How a clustered room lets peers in, as one value every server of the room must share: a server
 * started without the others' --password would let anyone into a room they keep closed, and a
 * peer let in anywhere is heard everywhere. Only a slow hash goes to Redis (scrypt, salted with
 * the room), never the password or the ticket secret: whoever can read Redis learns no more than
 * "these servers agree".
 */
import { scryptSync } from 'node:crypto';

/** A server's admission settings. */
export interface DoorSettings {
  password?: string | undefined;
  tickets?: { secret: string; room?: string | undefined; required?: boolean | undefined } | undefined;
}

/** The room's door as Redis keeps it: hex, the same for the same settings in the same room. */
export function doorHash(room: string, door: DoorSettings): string {
  const t = door.tickets;
  const settings = JSON.stringify([door.password ?? null, t ? [t.secret, t.room ?? null, t.required ?? false] : null]);
  // N = 2^14: some 30 ms once at the start, and a guess at a password as costly.
  return scryptSync(settings, `udp-chat door ${room}`, 32, { N: 1 << 14 }).toString('hex');
}
