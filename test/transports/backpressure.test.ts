/**
 * Backpressure on stream peers: a TCP or WebSocket peer whose message budget (the room's rate
 * limit) is empty is not read until it refills, so a flood waits in the kernel instead of being
 * read, parsed and dropped by the room; what an honest peer pastes arrives whole, at the rate.
 * And a TCP connection reset before the server accepted it is counted, never a peer.
 */
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatServer } from '../../src/servers/chat-server.js';
import { withChatRoom } from '../helpers/chat-room.js';
import { eventually } from '../helpers/udp-peer.js';

const test = suite('backpressure on stream peers');

// A small burst and a quick rate, so a test sees several refills in well under a second.
const BURST = 5;
const RATE = 40;
const limits = { messageBurst: BURST, messageRate: RATE };

/** The most messages a peer may have had taken from it `ms` after its budget was full (slack for the timer). */
function most(ms: number): number {
  return BURST + Math.ceil((ms * RATE) / 1000) + 2;
}

function messagesIn(server: ChatServer, transport: 'tcp' | 'ws'): number {
  return server.counters().traffic[transport].messagesIn;
}

for (const kind of ['tcp', 'ws'] as const) {
  test(`${kind}: lines past the burst, sent at once, all arrive in order at the rate; none is dropped`, async () => {
    await withChatRoom({ transport: 'tcp', web: { port: 0 }, limits }, async ({ server, join }) => {
      // Left unnamed: a rename would take a message of its budget.
      const [a, b] = [await join(kind), await join('tcp', 'b')];
      const from = `<${a.address}> `;
      const n = kind === 'tcp' ? 30 : 2 * BURST;
      const sent = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
      const before = messagesIn(server, kind);
      const began = performance.now();
      // One write for TCP; for ws as many frames, sent together (one read for the server).
      if (a.kind === 'tcp') a.write(sent.join('\n') + '\n');
      else for (const line of sent) a.send(line);
      await b.waitFor(`${from}line ${BURST}`);
      const early = messagesIn(server, kind) - before;
      assert.ok(early <= most(performance.now() - began), `${early} messages taken within the first burst's time`);
      await b.waitFor(`${from}line ${n}`, 3000);
      assert.equal(b.lines.filter((l) => l.startsWith(from)), sent.map((l) => `${from}${l}`));
      assert.is(server.counters().drops.rateLimited, 0);
      assert.not.ok(a.lines.some((l) => l.startsWith('! slow down')), 'nobody was told to slow down');
      assert.ok(performance.now() - began >= ((n - BURST - 1) * 1000) / RATE, 'and at the rate, not at once');
    });
  });
}

test('tcp: a peer that writes past its budget and closes at once is read to the end: its last, unterminated line last', async () => {
  await withChatRoom({ transport: 'tcp', limits }, async ({ join }) => {
    const [a, b] = [await join('tcp'), await join('tcp', 'b')];
    const from = `<${a.address}> `;
    const sent = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    // The FIN comes while most of the lines still wait for the budget.
    a.socket.end(`${sent.join('\n')}\nno newline`);
    await b.waitFor(`* ${a.address} left (disconnected)`, 3000);
    assert.equal(b.lines.filter((l) => l.startsWith(from)), [...sent, 'no newline'].map((l) => `${from}${l}`));
  });
});

test('tcp: a connection blasting newlines is read no faster than its budget refills, and its sender is held back', async () => {
  await withChatRoom({ transport: 'tcp', limits }, async ({ server, join }) => {
    const flood = await join('tcp');
    const before = messagesIn(server, 'tcp');
    const began = performance.now();
    // Eight million empty lines (heartbeats), more than the kernel buffers on both sides hold.
    flood.write(Buffer.alloc(8 * 1024 * 1024, 0x0a));
    await eventually(() => messagesIn(server, 'tcp') - before >= BURST + 4, 2000, 'a few refills');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const read = messagesIn(server, 'tcp') - before;
    assert.ok(read <= most(performance.now() - began), `${read} lines read in ${Math.round(performance.now() - began)} ms`);
    assert.ok(flood.socket.writableLength > 0, 'the sender could not write it all: the server is not reading');
    assert.is(server.counters().drops.rateLimited, 0);
    flood.socket.destroy();
  });
});

test('ws: a WebSocket blasting frames is paused: what it sends past a burst held is dropped, and no more is read until it refills', async () => {
  await withChatRoom({ transport: 'tcp', web: { port: 0 }, limits: { messageBurst: BURST, messageRate: 10 } }, async ({ server, join }) => {
    const flood = await join('ws');
    const before = messagesIn(server, 'ws');
    const frames = 100_000;
    for (let i = 0; i < frames; i++) flood.send('');
    await eventually(() => messagesIn(server, 'ws') - before > BURST, 2000, 'the first read');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const read = messagesIn(server, 'ws') - before;
    // ws parses what one socket read brought before the pause takes effect: a few 64 KiB reads
    // of 6-byte frames at most, against all of them without the pause.
    assert.ok(read < frames / 3, `${read} of ${frames} frames read`);
    assert.ok(server.counters().drops.rateLimited <= read, 'what was read and not held was dropped and counted');
  });
});

test('tcp: a peer held back for a whole peer timeout is dropped as a flood, even once it has closed its end; a paste is not', async () => {
  const peerTimeoutMs = 600;
  await withChatRoom({ transport: 'tcp', limits, peerTimeoutMs }, async ({ server, join }) => {
    const [flood, paste, b] = [await join('tcp'), await join('tcp'), await join('tcp', 'b')];
    // b keeps itself alive; the flood's own lines keep it from expiring.
    const alive = setInterval(() => b.send('/ping'), peerTimeoutMs / 4);
    try {
      // Megabytes of lines, then gone: before, its backlog went on being read at the rate for
      // hours (2 MB of `x` lines at 40 a second is over six hours).
      flood.socket.end(Buffer.alloc(2 * 1024 * 1024, 'x\n'));
      paste.write(Array.from({ length: 20 }, (_, i) => `paste ${i + 1}`).join('\n') + '\n');
      const began = performance.now();
      await b.waitFor(`* ${flood.address} left (dropped: flooding)`, peerTimeoutMs + 2000);
      const took = performance.now() - began;
      assert.ok(took >= peerTimeoutMs - 50, `dropped after ${Math.round(took)} ms, before a peer timeout`);
      assert.is(server.counters().drops.flooding, 1);
      await b.waitFor(`<${paste.address}> paste 20`);
      assert.ok(server.room.find(paste.address) !== undefined, 'the paste (20 lines at the rate, well within a timeout) is still in');
      const heard = b.lines.length;
      b.send('/ping after');
      await b.waitFor('/pong after');
      assert.not.ok(b.lines.slice(heard).some((l) => l.startsWith(`<${flood.address}>`)), 'nothing of the flood after it was dropped');
    } finally {
      clearInterval(alive);
    }
  });
});

test('a TCP connection reset before the server accepted it is counted, not a peer named ?:0', async () => {
  await withChatRoom({ transport: 'tcp' }, async ({ server, events }) => {
    // The child connects and resets while this process is blocked in execFileSync, so the
    // connections wait in the listen backlog and are reset before the server accepts them.
    const script = `const net=require('net');let n=0;for(let i=0;i<3;i++){const s=net.connect(${server.port},'127.0.0.1',()=>{s.resetAndDestroy();if(++n===3)setTimeout(()=>process.exit(0),50)});s.on('error',()=>{})}`;
    execFileSync(process.execPath, ['-e', script], { timeout: 5000 });
    await eventually(() => server.counters().drops.resetBeforeAccept === 3, 2000, 'three resets counted');
    assert.is(server.room.size, 0);
    assert.not.ok(events.some((e) => e.type === 'join'), 'nobody joined');
  });
});

test.run();
