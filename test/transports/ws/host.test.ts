/**
 * DNS rebinding: the page, /stats and the WebSocket upgrade answer only for a Host that is the
 * server's own (its bound address, any interface address when bound to every interface, the name
 * it listens on, a loopback name, an --origin host). A rebinding page sends its own name as Host
 * and as Origin, which the same-origin check alone let in.
 */
import os from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostAllowed, hostRule } from '../../../src/transports/ws/host.js';
import { withChatRoom } from '../../helpers/chat-room.js';
import { httpStatus, UPGRADE_HEADERS } from '../../helpers/http-status.js';

const rule = suite('hostAllowed');

rule('a loopback-bound server answers for loopback names and its own address, nothing else', () => {
  const r = hostRule('127.0.0.1', '127.0.0.1', []);
  for (const host of ['127.0.0.1:8080', '127.0.0.1', 'localhost:8080', 'LOCALHOST:8080', 'localhost.:8080', 'app.localhost:8080', '[::1]:8080', '127.0.0.2:8080', '127.1:8080']) {
    assert.ok(hostAllowed(host, r), host);
  }
  for (const host of ['attacker.test:8080', 'localhost.attacker.test:8080', '127.0.0.1.nip.io:8080', '192.0.2.99:8080', '[fe80::1]:8080', '', 'a b', undefined]) {
    assert.not.ok(hostAllowed(host, r), String(host));
  }
});

rule('a server bound to every interface answers for each interface address there is, and the --host name it was given', () => {
  const local = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)).filter((a) => !a.includes('%'));
  for (const bound of ['0.0.0.0', '::']) {
    const r = hostRule(bound, bound, []);
    for (const address of local) assert.ok(hostAllowed(address.includes(':') ? `[${address}]:80` : `${address}:80`, r), `${address} on ${bound}`);
    assert.not.ok(hostAllowed('203.0.113.77:80', r), 'an address this machine does not have');
    assert.not.ok(hostAllowed('attacker.test:80', r));
  }
  const named = hostRule('192.0.2.10', 'Teacher.Lan', []);
  assert.ok(hostAllowed('teacher.lan:8080', named));
  assert.ok(hostAllowed('192.0.2.10:8080', named));
  assert.not.ok(hostAllowed('192.0.2.11:8080', named), 'bound to one address: not the others');
});

rule('an --origin host is answered for; * names no host', () => {
  const r = hostRule('127.0.0.1', '127.0.0.1', ['http://labpc.test:8080', '*']);
  assert.ok(hostAllowed('labpc.test:9999', r));
  assert.not.ok(hostAllowed('attacker.test:9999', r));
});

rule.run();

const live = suite('the page server refuses a foreign Host, on real sockets');

/** GET path with these headers on the server's address; the status (101 for an accepted upgrade). */
const get = (port: number, path: string, headers: Record<string, string>) => httpStatus('127.0.0.1', port, path, headers);
const upgrade = UPGRADE_HEADERS;

live('a rebinding page (Host and Origin attacker.test:PORT) gets 403 for the page, /stats and the WebSocket, and is counted', async () => {
  await withChatRoom({ web: { port: 0 } }, async ({ server, events }) => {
    const port = server.transports.ws!.port;
    const attacker = `attacker.test:${port}`;
    assert.is(await get(port, '/', { host: attacker }), 403);
    assert.is(await get(port, '/stats', { host: attacker }), 403);
    assert.is(await get(port, '/', { ...upgrade, host: attacker, origin: `http://${attacker}` }), 403);
    assert.is(server.counters().drops.foreignHost, 3);
    assert.is(server.room.size, 0);
    assert.not.ok(events.some((e) => e.type === 'join'));
  });
});

live('the same requests by the server own address or a loopback name are answered', async () => {
  await withChatRoom({ web: { port: 0, origins: ['http://labpc.test:8080'] } }, async ({ server }) => {
    const port = server.transports.ws!.port;
    for (const name of ['127.0.0.1', 'localhost', 'chat.localhost', 'labpc.test']) {
      const host = `${name}:${port}`;
      assert.is(await get(port, '/', { host }), 200, host);
      assert.is(await get(port, '/stats', { host }), 200, host);
      assert.is(await get(port, '/', { ...upgrade, host, origin: `http://${host}` }), 101, host);
    }
    assert.is(server.counters().drops.foreignHost, 0);
  });
});

live.run();
