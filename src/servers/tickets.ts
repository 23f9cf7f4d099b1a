/**
 * Tickets as JWTs (RFC 7519), signed HS256 with a secret the teacher keeps: `udp-chat ticket`
 * signs one, a server started with the secret checks them. The cryptography is jose's
 * (no dependencies, MIT), on WebCrypto; the room only ever sees a verifier (core/tickets.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errors, jwtVerify, SignJWT } from 'jose';
import { ChatError } from '../core/errors.js';
import { nameKey, validateName } from '../core/names.js';
import { isGuestKey, type TicketCheck, type TicketVerifier } from '../core/tickets.js';

/** The `iss` of every ticket: a token some other system signed with the same secret is not a ticket. */
export const TICKET_ISSUER = 'udp-chat';
/** The `aud` of a ticket when no room is named: `--room` / `--ticket-room` keep one class's tickets out of another's room. */
export const DEFAULT_TICKET_ROOM = 'udp-chat';
/** How long a ticket lasts by default: a school day. */
export const DEFAULT_TICKET_TTL_MS = 8 * 3_600_000;
/** RFC 7518 (3.2): an HS256 key MUST be at least as long as the hash, 256 bits. */
export const MIN_SECRET_BYTES = 32;

const encoder = new TextEncoder();

/** The HMAC key of a secret, refused (ERR_BAD_ARGUMENT) when shorter than 32 bytes. */
export function secretKey(secret: string): Uint8Array {
  const key = encoder.encode(secret);
  if (key.length < MIN_SECRET_BYTES) {
    throw new ChatError(
      'ERR_BAD_ARGUMENT',
      `a ticket secret needs at least ${MIN_SECRET_BYTES} bytes (it has ${key.length}); make one with: openssl rand -base64 32 > class.secret`,
    );
  }
  return key;
}

/** A secret read from a file, without its trailing newline; a file that cannot be read is a usage error. */
export function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
  } catch (err) {
    throw new ChatError('ERR_BAD_ARGUMENT', `cannot read the secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A name a ticket may carry: a valid chosen name, not a guest name (guest7 is the room's). */
export function ticketName(name: string, maxLength: number): string {
  const valid = validateName(name, maxLength);
  if (isGuestKey(nameKey(valid))) throw new ChatError('ERR_BAD_NAME', `'${valid}' is a guest name, given by the room`);
  return valid;
}

export interface IssueOptions {
  name: string;
  secret: string;
  ttlMs?: number;
  /** The room the ticket is for (`aud`). */
  room?: string;
  /** Wall-clock time of issue, ms since the epoch (tests). */
  now?: number;
  maxNameLength?: number;
}

/** Signs a ticket for `name`: `{sub, aud, iss, iat, exp, jti}`, HS256. */
export async function issueTicket(o: IssueOptions): Promise<string> {
  const key = secretKey(o.secret);
  const name = ticketName(o.name, o.maxNameLength ?? 24);
  const now = Math.floor((o.now ?? Date.now()) / 1000);
  const ttl = Math.max(1, Math.round((o.ttlMs ?? DEFAULT_TICKET_TTL_MS) / 1000));
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(name)
    .setAudience(o.room ?? DEFAULT_TICKET_ROOM)
    .setIssuer(TICKET_ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(key);
}

export interface VerifierOptions {
  secret: string;
  room?: string;
  /** The wall-clock time (ms since the epoch) of a time on the room's clock: expiry runs on the room's clock. */
  epochAt: (roomNow: number) => number;
}

/** A verifier for the room (see core/tickets.ts): checks HS256 only, this room, this issuer, an expiry. */
export function ticketVerifier(o: VerifierOptions): TicketVerifier {
  const key = secretKey(o.secret);
  const audience = o.room ?? DEFAULT_TICKET_ROOM;
  return async (token, now) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        // Only HS256: no `none`, and no algorithm the token's own header chooses.
        algorithms: ['HS256'],
        audience,
        issuer: TICKET_ISSUER,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(o.epochAt(now)),
      });
      // Signed but not a name (an array, a number): jose checks only that `sub` is there.
      if (typeof payload.sub !== 'string') return { ok: false, code: 'ERR_TICKET_INVALID', message: 'the ticket carries no name (its sub is not a string)' };
      return { ok: true, name: payload.sub };
    } catch (err) {
      return refusal(err);
    }
  };
}

/** What a verification error means to the peer who showed the ticket. */
function refusal(err: unknown): TicketCheck {
  if (err instanceof errors.JWTExpired) return { ok: false, code: 'ERR_TICKET_EXPIRED', message: 'the ticket has expired; ask for a new one' };
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return { ok: false, code: 'ERR_TICKET_FORGED', message: "the ticket is not signed with this room's secret (forged, or for another server)" };
  }
  if (err instanceof errors.JWTClaimValidationFailed && (err.claim === 'aud' || err.claim === 'iss')) {
    return { ok: false, code: 'ERR_TICKET_ELSEWHERE', message: 'the ticket is for another room' };
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') return { ok: false, code: 'ERR_TICKET_INVALID', message: 'the ticket is not valid yet' };
  return { ok: false, code: 'ERR_TICKET_INVALID', message: 'not a valid ticket' };
}
