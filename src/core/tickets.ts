/**
 * Tickets: a name the teacher signed (a JWT, `udp-chat ticket NAME`), shown with `/join TICKET`.
 * Core does no cryptography and the check is asynchronous (WebCrypto), so the server injects a
 * verifier; this file holds what is pure: telling a ticket from a password, the names tickets
 * hold in this room, the one check under way per peer, and the guest names nobody may choose.
 */
import type { Peer } from './peer.js';

/** Why a ticket was refused; each is told to its sender as a `!` line and counted as drops.badTicket. */
export type TicketErrorCode = 'ERR_TICKET_EXPIRED' | 'ERR_TICKET_FORGED' | 'ERR_TICKET_ELSEWHERE' | 'ERR_TICKET_INVALID' | 'ERR_TICKET_IN_USE' | 'ERR_NO_TICKETS';

/** What a verifier found: the signed name, or why not. */
export type TicketCheck = { ok: true; name: string } | { ok: false; code: TicketErrorCode; message: string };

/**
 * Checks a ticket's signature and claims (expiry included) at `now`, a time on the room's clock.
 * Resolves; never rejects (a verifier that throws is taken as a refusal).
 */
export type TicketVerifier = (token: string, now: number) => Promise<TicketCheck>;

/** A room's tickets: how to check one, and whether everyone needs one. */
export interface TicketOptions {
  verify: TicketVerifier;
  /** Nobody hears or is heard before showing a ticket (`serve --tickets-required`). */
  required?: boolean;
}

// A compact JWS: three base64url parts, the header a JSON object (`{"` is `eyJ`). No password
// a person types looks like this, so `/join X` can carry either.
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The ticket in a `/join` argument (its first word), or undefined when it is not one (a password). */
export function ticketIn(argument: string): string | undefined {
  const word = argument.split(/\s/, 1)[0]!;
  return JWT.test(word) ? word : undefined;
}

// What a ticket cut off or garbled in copying still looks like: a JSON header (`eyJ`), or three
// base64url parts. Such a `/join` is told "not a valid ticket", not taken for a wrong password.
const TICKET_ATTEMPT = /^(?:eyJ\S*|[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/** True when the first word of a `/join` argument looks like an attempt at a ticket (a valid one or not). */
export function looksLikeTicket(argument: string): boolean {
  return TICKET_ATTEMPT.test(argument.split(/\s/, 1)[0]!);
}

// `guest7`: what a peer is called in a room exposed beyond loopback until it chooses a name. Tested
// on a clash key, where confusables.txt has made the digits 0 and 1 the letters o and l (the key of
// `guest10` is `guestlo`), so a name that looks like a guest number is one too.
const GUEST = /^guest[\dlo]+$/;

/** The name a room exposed beyond loopback gives its peer number `id`. */
export function guestName(id: number): string {
  return `guest${id}`;
}

/**
 * True for a clash key of the guest form: nobody may choose one (nor sign one into a ticket),
 * so `guest7` is always the room's peer number 7, never someone posing as it.
 */
export function isGuestKey(key: string): boolean {
  return GUEST.test(key);
}

/**
 * Messages a peer sends while its ticket is checked are held and handled after the answer, in
 * order (`/join TICKET` then `hello` must not lose `hello` to a check that takes a millisecond).
 * A few are enough for that; past them, messages are handled at once (and refused at the door).
 */
export const HELD_WHILE_CHECKING = 8;

/** The room's side of tickets. */
export class TicketDesk {
  readonly required: boolean;
  // Name keys a ticket has held in this room: kept after the holder leaves, so nobody takes a
  // signed name while its owner is away. Only the secret's holder can add one, so the set grows
  // with the names the teacher signed, never with what an attacker sends.
  private readonly claimed = new Set<string>();
  // One check at a time per peer (a flood of tickets costs at most one verification in flight
  // each), with the messages held meanwhile.
  private readonly pending = new Map<Peer, Uint8Array[]>();

  constructor(private readonly options: TicketOptions) {
    this.required = options.required ?? false;
  }

  /** True when a ticket has held this name key here: only a ticket for it may take it. */
  reserved(key: string): boolean {
    return this.claimed.has(key);
  }

  /** Records that a ticket holds this name key. */
  claim(key: string): void {
    this.claimed.add(key);
  }

  /** Holds a message of a peer whose ticket is being checked (a copy: a transport may reuse its buffer); false when none is, or the hold is full. */
  hold(peer: Peer, bytes: Uint8Array): boolean {
    // Every message of a ticket room passes here: no lookup while no check is under way.
    if (this.pending.size === 0) return false;
    const held = this.pending.get(peer);
    if (!held || held.length >= HELD_WHILE_CHECKING) return false;
    held.push(bytes.slice());
    return true;
  }

  /**
   * Checks `token` for `peer` and calls `done` once, on a later tick, with the result and the
   * messages held meanwhile. Returns false, and checks nothing, while a check for this peer is
   * still under way.
   */
  check(peer: Peer, token: string, now: number, done: (check: TicketCheck, held: Uint8Array[]) => void): boolean {
    if (this.pending.has(peer)) return false;
    this.pending.set(peer, []);
    const finish = (check: TicketCheck) => {
      const held = this.pending.get(peer) ?? [];
      this.pending.delete(peer);
      done(check, held);
    };
    let verifying: Promise<TicketCheck>;
    try {
      verifying = this.options.verify(token, now);
    } catch {
      verifying = Promise.reject(new Error('verifier threw'));
    }
    verifying.then(finish, () => finish({ ok: false, code: 'ERR_TICKET_INVALID', message: 'the ticket could not be checked' }));
    return true;
  }
}
