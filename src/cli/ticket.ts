/** `udp-chat ticket NAME`: sign a ticket that a room started with the same secret takes. */
import type { Argv } from 'yargs';
import { ChatError } from '../core/errors.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { DEFAULT_TICKET_ROOM, DEFAULT_TICKET_TTL_MS, issueTicket, ticketName } from '../servers/tickets.js';
import { duration, notEmpty, positive, secretFrom } from './options.js';

export const command = 'ticket <name>';
export const describe = 'print a signed ticket (a JWT) that joins NAME to a room started with the same --ticket-secret';

export function builder(y: Argv) {
  const built = y
    .positional('name', { type: 'string', describe: 'the name the ticket signs (letters, digits, _ . -)' })
    .option('secret', { type: 'string', describe: "the room's ticket secret, 32 bytes or more (seen in ps: prefer --secret-file)" })
    .option('secret-file', { type: 'string', describe: 'read the secret from this file (e.g. made by: openssl rand -base64 32 > class.secret)' })
    .option('ttl', { type: 'string', requiresArg: true, default: `${DEFAULT_TICKET_TTL_MS / 3_600_000}h`, describe: 'how long the ticket lasts (45m, 8h)' })
    .option('room', { type: 'string', default: DEFAULT_TICKET_ROOM, describe: 'the room it is for: the server must be started with the same --ticket-room' })
    .example('$0 ticket alice --secret-file class.secret --ttl 2h', "alice's ticket for a two-hour class (serve --ticket-secret-file class.secret)")
    .example('for n in $(cat class.txt); do echo "$n $(udp-chat ticket "$n" --secret-file class.secret)"; done > tickets.txt', 'one ticket per name in class.txt');
  return notEmpty(built, 'secret-file', 'room');
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const secret = secretFrom(argv, 'secret');
  if (secret === undefined) throw new ChatError('ERR_BAD_ARGUMENT', 'a ticket needs the secret: --secret SECRET or --secret-file FILE');
  let name: string;
  try {
    name = ticketName(String(argv['name']), DEFAULT_LIMITS.maxNameLength);
  } catch (err) {
    throw new ChatError('ERR_BAD_ARGUMENT', `bad name: ${(err as Error).message}`);
  }
  const ttlMs = positive(duration(argv['ttl'], 'ttl'), 'ttl');
  process.stdout.write((await issueTicket({ name, secret, ttlMs, room: String(argv['room']) })) + '\n');
}
