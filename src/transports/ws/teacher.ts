/**
 * The teacher key: what lets a browser off the server's machine read the timeline of a room with
 * a password or tickets and start the server's demos. Random at each start (or `serve
 * --teacher-key`), printed in the banner as `?teacher=KEY`, compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh teacher key: 18 random bytes, base64url (24 characters, safe in a URL). */
export function newTeacherKey(): string {
  return randomBytes(18).toString('base64url');
}

/** True when `given` is the key; false for none, or for any key when the server has none. */
export function teacherKeyMatches(given: string | null | undefined, key: string | undefined): boolean {
  if (!key || typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  // timingSafeEqual needs equal lengths; the length of a random key tells nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}
