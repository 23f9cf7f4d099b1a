/** What `serve` prints first: who can join and how, in this terminal. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { selfCommand } from '../../src/cli/invocation.js';
import { paint, serveBanner } from '../../src/cli/output.js';
import { turnsAwayEveryone } from '../../src/servers/access.js';
import { BIN, Output, start, stop } from '../helpers/spawn.js';

const c = paint(process.stdout);
const base = { transport: 'udp', host: '127.0.0.1', port: 9000, peerTimeoutMs: 60_000 };

const banner = suite('serve banner');

banner('--deny of everyone: no "join with:", it says nobody can join instead', () => {
  const lines = serveBanner({ ...base, transport: 'both', deny: ['0.0.0.0/0'] }, c);
  assert.not.ok(lines.some((l) => l.includes('join with')), lines.join('\n'));
  // Nor any line saying who or how one joins: it would contradict the one that says nobody can.
  assert.not.ok(lines.some((l) => /can join;|a first datagram joins/.test(l)), lines.join('\n'));
  assert.ok(lines.includes('  nobody can join: --deny 0.0.0.0/0 turns away every address that can reach 127.0.0.1 (each try is logged, once a minute per address)'), lines.join('\n'));
});

banner('a room with a door (password, required tickets): a first datagram is heard, not joined', () => {
  const password = serveBanner({ ...base, open: true, password: true }, c);
  assert.ok(password.includes("  UDP address validation off: a new address's first datagram is heard, then the password decides"), password.join('\n'));
  const tickets = serveBanner({ ...base, open: true, tickets: { required: true } }, c);
  assert.ok(tickets.includes("  UDP address validation off: a new address's first datagram is heard, then the ticket decides"), tickets.join('\n'));
  assert.ok(serveBanner({ ...base, open: true }, c).includes('  UDP room open: a first datagram joins'));
});

banner('some rules: the join lines, and who can join', () => {
  const lines = serveBanner({ ...base, host: '0.0.0.0', allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] }, c);
  assert.ok(lines.some((l) => l.startsWith('  join with:')));
  assert.ok(lines.some((l) => l.includes('who can join: 10.0.0.0/8 except 10.0.0.5')), lines.join('\n'));
});

banner('--framing length: no nc (it cannot write a length prefix), udp-chat chat --framing length', () => {
  const lines = serveBanner({ ...base, transport: 'tcp', framing: 'length', self: 'npx udp-chat' }, c);
  const join = lines.filter((l) => l.includes('join with'));
  assert.equal(join, ['  join with:  npx udp-chat chat --tcp --framing length --host 127.0.0.1 --port 9000   (not nc: each message goes with a 2-byte length first)']);
});

banner('turnsAwayEveryone: /0 of the family the host takes, loopback itself, or allows of the other family only', () => {
  assert.ok(turnsAwayEveryone('127.0.0.1', [], ['0.0.0.0/0']));
  assert.ok(turnsAwayEveryone('127.0.0.1', [], ['127.0.0.1']));
  assert.not.ok(turnsAwayEveryone('127.0.0.1', [], ['10.0.0.0/8']));
  assert.ok(turnsAwayEveryone('0.0.0.0', ['fd00::/8'], []));
  assert.not.ok(turnsAwayEveryone('::', [], ['0.0.0.0/0']), 'IPv6 peers still get in');
  assert.ok(turnsAwayEveryone('::', [], ['0.0.0.0/0', '::/0']));
  assert.ok(turnsAwayEveryone('localhost', [], ['127.0.0.0/8', '::1']));
  assert.not.ok(turnsAwayEveryone('127.0.0.1'));
});

banner.run();

const self = suite('selfCommand: the banner suggests udp-chat as this process was started');

self('npx (npm exec), a clone (node PATH), npm run dev, the installed bin', () => {
  assert.is(selfCommand({ npm_command: 'exec', npm_lifecycle_event: 'npx' }, '/home/u/.npm/_npx/1/node_modules/.bin/udp-chat', '/home/u'), 'npx udp-chat');
  assert.is(selfCommand({}, '/home/u/udp-chat/dist/src/cli/main.js', '/home/u/udp-chat'), 'node dist/src/cli/main.js');
  assert.is(selfCommand({ INIT_CWD: '/home/u/udp-chat' }, '/home/u/udp-chat/dist/src/cli/main.js', '/elsewhere'), 'node dist/src/cli/main.js');
  assert.is(selfCommand({}, '/opt/udp chat/dist/src/cli/main.js', '/home/u'), "node '/opt/udp chat/dist/src/cli/main.js'");
  assert.is(selfCommand({ npm_lifecycle_event: 'dev', npm_command: 'run' }, '/home/u/udp-chat/dist/src/cli/main.js', '/home/u/udp-chat'), 'npm run dev --');
  assert.is(selfCommand({}, '/usr/local/bin/udp-chat', '/home/u'), 'udp-chat');
  assert.is(selfCommand({ npm_lifecycle_event: 'start', npm_command: 'run' }, '/home/u/app/node_modules/.bin/udp-chat', '/home/u/app'), 'npx udp-chat');
});

self('the built binary started as node PATH says node PATH chat, and under npx env npx udp-chat chat', async () => {
  for (const [env, want] of [
    [{}, selfCommand(process.env, BIN)],
    [{ npm_command: 'exec', npm_lifecycle_event: 'npx' }, 'npx udp-chat'],
  ] as const) {
    const child = start(['serve', '--port', '0'], env);
    const out = new Output(child);
    try {
      assert.match(await out.next(/^ {2}join with:/), `or    ${want} chat --host 127.0.0.1 --port `);
    } finally {
      await stop(child, 'SIGKILL');
    }
  }
});

self.run();
