import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startChatServer, type ServerEvent } from '../../../src/servers/chat-server.js';
import { UdpPeer, eventually } from '../../helpers/udp-peer.js';

const test = suite('the UDP room on real sockets');

async function room(options: Parameters<typeof startChatServer>[0] = {}) {
  const events: ServerEvent[] = [];
  const server = await startChatServer({ host: '127.0.0.1', port: 0, ...options, onEvent: (e) => events.push(e) });
  return { server, events };
}

test('a first datagram joins the peer, which is welcomed and announced to the others', async () => {
  const { server } = await room();
  const a = await UdpPeer.open();
  const b = await UdpPeer.open();
  try {
    a.send(server.port, '/ping 1\n');
    await a.waitFor(/^\* welcome 127\.0\.0\.1:\d+; you are alone here; peer timeout 60s/);
    await a.waitFor('/pong 1');
    b.send(server.port, '\n');
    await b.waitFor(/^\* welcome .* 1 other here/);
    await a.waitFor(`* ${b.address} joined`);
    assert.is(server.room.size, 2);
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

test('a chat line reaches everyone but its sender, who hears nothing back', async () => {
  const { server } = await room();
  const [a, b, c] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  try {
    for (const p of [a, b, c]) {
      p.send(server.port, '/ping');
      await p.waitFor('/pong');
    }
    a.send(server.port, 'hello there\n');
    await b.waitFor(`<${a.address}> hello there`);
    await c.waitFor(`<${a.address}> hello there`);
    // A probe after the chat line: once its pong is back, the chat line would have come first.
    a.send(server.port, '/ping after');
    await a.waitFor('/pong after');
    assert.not.ok(a.lines.some((l) => l.includes('hello there')), 'the sender got its own line back');
  } finally {
    a.close();
    b.close();
    c.close();
    await server.close();
  }
});

test('--echo-self sends a chat line back to its sender too', async () => {
  const { server } = await room({ echoSelf: true });
  const a = await UdpPeer.open();
  try {
    a.send(server.port, 'me too');
    await a.waitFor(`<${a.address}> me too`);
  } finally {
    a.close();
    await server.close();
  }
});

test('rename, who and a private message work in both dialects', async () => {
  const { server } = await room();
  const [a, b, c] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  try {
    a.send(server.port, 'rename|alice');
    await a.waitFor(`* ${a.address} is now alice`);
    b.send(server.port, '/nick bob');
    await b.waitFor(`* ${b.address} is now bob`);
    await a.waitFor(`* ${b.address} is now bob`);
    c.send(server.port, '/nick carol');
    await c.waitFor(/is now carol/);

    b.send(server.port, 'who');
    await b.waitFor('* 3 peers here:');
    await b.waitFor(new RegExp(`^\\*   alice udp ${a.address} idle \\d+ms$`));
    await b.waitFor(new RegExp(`^\\*   bob udp ${b.address} idle \\d+ms \\(you\\)$`));

    a.send(server.port, 'to|bob|psst');
    await b.waitFor('[private] <alice> psst');
    a.send(server.port, '/msg BOB again');
    await b.waitFor('[private] <alice> again');
    c.send(server.port, '/ping sync');
    await c.waitFor('/pong sync');
    assert.not.ok(c.lines.some((l) => l.includes('psst') || l.includes('again')), 'a private message leaked');

    a.send(server.port, 'to|nobody|hi');
    await a.waitFor('! no such peer: nobody; /who lists them');
    b.send(server.port, 'rename|ALICE');
    await b.waitFor('! name taken: ALICE');
  } finally {
    a.close();
    b.close();
    c.close();
    await server.close();
  }
});

test('quit announces the departure at once and forgets the peer', async () => {
  const { server, events } = await room();
  const [a, b] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  try {
    a.send(server.port, '/nick alice');
    await a.waitFor(/is now alice/);
    b.send(server.port, '/ping');
    await b.waitFor('/pong');
    a.send(server.port, 'quit\n');
    await a.waitFor('* bye');
    await b.waitFor('* alice left (quit)');
    assert.is(server.room.size, 1);
    const leave = events.find((e) => e.type === 'leave');
    assert.equal(leave && leave.type === 'leave' && leave.reason, 'quit');
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

test('a silent peer is expired after the peer timeout, told so and announced; a talking one stays', async () => {
  const { server } = await room({ peerTimeoutMs: 200, sweepIntervalMs: 20 });
  const [silent, chatty] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  let beating: NodeJS.Timeout | undefined;
  try {
    silent.send(server.port, '/nick quiet');
    await silent.waitFor(/is now quiet/);
    chatty.send(server.port, '/ping');
    await chatty.waitFor('/pong');
    beating = setInterval(() => chatty.send(server.port, '/ping hb'), 50);
    await silent.waitFor('* you were dropped: silent for 200ms (timeout)', 3000);
    await chatty.waitFor('* quiet left (timeout)', 3000);
    assert.is(server.room.size, 1);
    assert.ok(server.room.find(chatty.address), 'the peer sending heartbeats was expired');
    assert.is(server.counters().expired, 1);
  } finally {
    clearInterval(beating);
    silent.close();
    chatty.close();
    await server.close();
  }
});

test('bad input leaves the server up and the others served, with no control byte relayed', async () => {
  const { server } = await room();
  const [evil, a, b] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  try {
    for (const p of [a, b]) {
      p.send(server.port, '/ping');
      await p.waitFor('/pong');
    }
    evil.send(server.port, new Uint8Array(0));
    evil.send(server.port, Buffer.alloc(65507, 0x41));
    await evil.waitFor('! message too long: 65507 bytes, the limit is 1200; not sent');
    const random = Buffer.alloc(512);
    let x = 42;
    for (let i = 0; i < random.length; i++) random[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    evil.send(server.port, random);
    evil.send(server.port, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x41]));
    evil.send(server.port, '\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\x00\x7f done');
    await a.waitFor((l) => l.endsWith(' done'));
    await b.waitFor((l) => l.endsWith(' done'));
    evil.send(server.port, 'rename|\x1b[31mred');
    await evil.waitFor(/^! a name has only/);
    a.send(server.port, 'still here');
    await b.waitFor(`<${a.address}> still here`);
    const controls = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
    for (const p of [a, b, evil]) for (const line of p.lines) assert.not.ok(controls.test(line), `control byte in ${JSON.stringify(line)}`);
    assert.not.ok(b.lines.some((l) => l.includes('AAAA')), 'the oversize datagram was relayed');
  } finally {
    evil.close();
    a.close();
    b.close();
    await server.close();
  }
});

test('closing the server tells every peer it is shutting down', async () => {
  const { server, events } = await room();
  const a = await UdpPeer.open();
  try {
    a.send(server.port, '/ping');
    await a.waitFor('/pong');
    await server.close();
    await a.waitFor('* server shutting down');
    await eventually(() => events.some((e) => e.type === 'stop'), 1000, 'stop event');
  } finally {
    a.close();
    await server.close();
  }
});

test('a busy port is reported as EADDRINUSE, not thrown later', async () => {
  const first = await startChatServer({ host: '127.0.0.1', port: 0 });
  try {
    const err = await startChatServer({ host: '127.0.0.1', port: first.port }).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    assert.is(err?.code, 'EADDRINUSE');
  } finally {
    await first.close();
  }
});

test.run();
