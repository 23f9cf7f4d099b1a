/**
 * Tickets from the command line, as a teacher and a student use them: `udp-chat ticket` prints a
 * token, `serve --ticket-secret-file --tickets-required` takes it, `chat --ticket` joins with it,
 * and every mistake is one line and exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer } from '../../src/servers/chat-server.js';
import { issueTicket, ticketVerifier } from '../../src/servers/tickets.js';
import { UdpPeer, eventually } from '../helpers/udp-peer.js';
import { Output, run, start, stop } from '../helpers/spawn.js';

const SECRET = 'a class secret of 32 bytes or more';
const dir = mkdtempSync(join(tmpdir(), 'udp-chat-tickets-'));
const SECRET_FILE = join(dir, 'class.secret');
writeFileSync(SECRET_FILE, `${SECRET}\n`);

const bin = suite('udp-chat ticket, serve --ticket-secret, chat --ticket');

bin.after(() => rmSync(dir, { recursive: true, force: true }));

bin('ticket prints one signed token for the name, lasting --ttl', async () => {
  const r = await run(['ticket', 'alice', '--secret-file', SECRET_FILE, '--ttl', '2h']);
  assert.is(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.is(r.stdout.split('\n').length, 2, 'one line');
  assert.equal(await ticketVerifier({ secret: SECRET, epochAt: () => Date.now() })(token, 0), { ok: true, name: 'alice' });
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.is(claims.exp - claims.iat, 7200);
  const other = await run(['ticket', 'bob', '--secret', SECRET, '--room', 'lab-b']);
  assert.is(JSON.parse(Buffer.from(other.stdout.trim().split('.')[1]!, 'base64url').toString()).aud, 'lab-b');
});

bin('mistakes are one line and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['ticket', 'alice'], /needs the secret/],
    [['ticket', 'alice', '--secret', 'hunter2'], /at least 32 bytes/],
    [['ticket', 'guest7', '--secret', SECRET], /guest name/],
    [['ticket', 'a:b', '--secret', SECRET], /bad name/],
    [['ticket', 'alice', '--secret', SECRET, '--ttl', 'soon'], /bad duration/],
    [['ticket', 'alice', '--secret', SECRET, '--secret-file', SECRET_FILE], /give one/],
    [['ticket', 'alice', '--secret-file', join(dir, 'missing')], /cannot read the secret file/],
    [['serve', '--port', '0', '--tickets-required'], /--tickets-required needs --ticket-secret/],
    [['serve', '--port', '0', '--ticket-secret', 'short'], /at least 32 bytes/],
    [['chat', '--port', '9', '--ticket', 'x', '--name', 'y'], /mutually exclusive/],
    // Red-team: these joined without a ticket, read the file "A,A", or said "Unknown arguments: 5, s".
    [['chat', '--port', '9', '--ticket'], /--ticket needs a value/],
    [['chat', '--port', '9', '--ticket', ''], /--ticket needs a value/],
    [['serve', '--port', '0', '--password', ''], /--password needs a value/],
    [['serve', '--port', '0', '--ticket-secret-file', 'A', '--ticket-secret-file', 'A'], /--ticket-secret-file was given 2 times: give it once/],
    [['serve', '--port', '0', '--ticket-secret', SECRET, '--ticket-secret', SECRET], /--ticket-secret was given 2 times/],
    [['serve', '--port', '0', '--ticket-room', 'a', '--ticket-room', 'b'], /--ticket-room was given 2 times/],
    [['serve', '--port', '0', '--password', 'a', '--password', 'b'], /--password was given 2 times/],
    [['ticket', 'alice', '--secret', SECRET, '--secret', SECRET], /--secret was given 2 times/],
    [['ticket', 'alice', '--secret-file', SECRET_FILE, '--secret-file', SECRET_FILE], /--secret-file was given 2 times/],
    [['ticket', 'alice', '--secret', SECRET, '--room', 'a', '--room', 'b'], /--room was given 2 times/],
    [['ticket', 'alice', '--secret', SECRET, '--ttl', '1h', '--ttl', '2h'], /--ttl was given 2 times/],
    [['ticket', 'alice', '--secret', SECRET, '--ttl', '-5s'], /--ttl must be a positive duration/],
    [['ticket', 'alice', '--secret', SECRET, '--ttl'], /Not enough arguments following: ttl/],
    // Every duration flag takes a value that starts with '-' as its value, and says why it is wrong.
    [['serve', '--port', '0', '--peer-timeout', '-5s'], /--peer-timeout must be a positive duration, not '-5s'|--peer-timeout must be a positive duration/],
    [['send', '--port', '9', '-i', '-1ms', 'x'], /--interval must be a positive duration/],
    [['proxy', '--listen', '0', '--to', '127.0.0.1:9', '--delay', '-5ms'], /--delay must be a positive duration/],
    [['serve', '--port', '0', '--stats'], /Not enough arguments following: stats/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

bin('serve --ticket-secret-file --tickets-required: the banner says so, a ticket joins, the log keeps the address', async () => {
  const child = start(['serve', '--port', '0', '--ticket-secret-file', SECRET_FILE, '--tickets-required']);
  const out = new Output(child);
  const peer = await UdpPeer.open();
  try {
    const banner = await out.next(/^udp-chat room on udp 127\.0\.0\.1 port \d+/);
    const port = Number(/port (\d+)/.exec(banner)![1]);
    await out.next(/tickets required: nobody gets in without one/);
    peer.send(port, 'hello');
    await peer.waitFor('! this room needs a ticket: send /join TICKET first');
    const ticket = (await run(['ticket', 'alice', '--secret-file', SECRET_FILE])).stdout.trim();
    peer.send(port, `/join ${ticket}`);
    await peer.waitFor(/^\* welcome alice;/);
    await out.next(new RegExp(`alice joined \\(udp ${peer.address.replace(/\./g, '\\.')}, ticket\\)`));
    assert.is(await stop(child, 'SIGINT'), 0);
  } finally {
    peer.close();
    await stop(child, 'SIGKILL');
  }
});

bin('chat --ticket joins under the ticket name and speaks in the room', async () => {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, tickets: { secret: SECRET, required: true } });
  const listener = await UdpPeer.open();
  const child = start(['chat', '--port', String(server.port), '--ticket', await issueTicket({ name: 'erin', secret: SECRET })]);
  const out = new Output(child);
  try {
    await out.next(/^\* welcome erin;/);
    listener.send(server.port, `/join ${await issueTicket({ name: 'frank', secret: SECRET })}`);
    await listener.waitFor(/^\* welcome frank;/);
    child.stdin.write('hello from erin\n');
    await listener.waitFor('<erin> hello from erin');
    await eventually(() => server.room.find('erin')?.ticket === true, 2000, 'erin signed');
  } finally {
    listener.close();
    await stop(child, 'SIGKILL');
    await server.close();
  }
});

bin.run();
