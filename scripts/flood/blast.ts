/**
 * Flood connections, in a process of their own so the server under test keeps its core: N TCP
 * connections (or WebSockets) that each write empty lines (empty frames) as fast as the server
 * takes them, and read and drop whatever the server sends, so none is dropped as a slow reader.
 * Prints `ready N` once every connection is open, then blasts until it is killed.
 *
 *   node dist/scripts/flood/blast.js --port P [--connections N] [--via tcp|ws]
 */
import net from 'node:net';
import type { WebSocket } from 'ws';
import { choice, flags, int, runMain, wantsHelp } from '../harness/args.js';
import { connectTcp, HOST } from '../harness/sockets.js';

const USAGE = 'node dist/scripts/flood/blast.js --port P [--connections N] [--via tcp|ws]';
/** What one write carries: a socket read's worth of newlines (libuv reads 64 KiB at a time). */
const CHUNK = Buffer.alloc(64 * 1024, 0x0a);
/** WebSocket frames queued before waiting for the socket to take them. */
const WS_QUEUE_BYTES = 256 * 1024;

/** Writes newlines for as long as the connection is open, waiting for 'drain' when its buffer is full. */
function blastTcp(socket: net.Socket): void {
  socket.on('data', () => {});
  const pump = (): void => {
    while (!socket.destroyed && socket.write(CHUNK));
  };
  socket.on('drain', pump);
  pump();
}

/** Sends empty frames for as long as the WebSocket is open, a queue's worth at a time. */
function blastWs(ws: WebSocket): void {
  const pump = (): void => {
    if (ws.readyState !== ws.OPEN) return;
    // Bounded per turn too: an empty frame's bytes are its header alone.
    for (let i = 0; i < 20_000 && ws.bufferedAmount < WS_QUEUE_BYTES; i++) ws.send('');
    setTimeout(pump, 1);
  };
  pump();
}

/** A WebSocket to the room's web port (ws is loaded only for this, so a TCP flood starts sooner). */
async function openWs(port: number, deadlineMs: number): Promise<WebSocket> {
  const { WebSocket } = await import('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}/`, { handshakeTimeout: deadlineMs });
    ws.once('open', () => {
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

async function main(): Promise<void> {
  const v = flags(process.argv.slice(2), { port: { type: 'string' }, connections: { type: 'string' }, via: { type: 'string' } });
  if (wantsHelp(v)) return;
  const port = int(v.port, 'port', 0, 1, 65535);
  const n = int(v.connections, 'connections', 1, 1, 1000);
  const via = choice(v.via, 'via', ['tcp', 'ws'], 'tcp');
  const opened = await Promise.all(Array.from({ length: n }, () => (via === 'tcp' ? connectTcp(port, 5000) : openWs(port, 5000))));
  for (const c of opened) {
    if (c instanceof net.Socket) blastTcp(c);
    else blastWs(c);
  }
  process.stdout.write(`ready ${n}\n`);
}

runMain(import.meta.url, USAGE, main);
