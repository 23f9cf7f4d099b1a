/**
 * The page's live timeline as the relay benchmark's child reads it (bench-timeline.ts): one
 * subscriber to `/timeline`, open for the whole load, reading every frame as a browser tab would
 * (counted, not drawn: what it costs the page is the page's, not the relay's).
 */
import { WebSocket } from 'ws';
import { HOST } from '../harness/sockets.js';
import { IPC_DEADLINE_MS, type LoadResult } from './trial.js';

/** Runs `load` with a subscriber on ws://HOST:port/timeline when a port is given; adds what it got to the result. */
export async function withFeed(port: number | undefined, load: () => Promise<LoadResult>): Promise<LoadResult> {
  if (port === undefined) return load();
  const ws = new WebSocket(`ws://${HOST}:${port}/timeline`, { handshakeTimeout: IPC_DEADLINE_MS });
  let frames = 0;
  let bytes = 0;
  ws.on('message', (data: Buffer) => {
    frames += 1;
    bytes += data.length;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    const before = { frames, bytes };
    const result = await load();
    return { ...result, feedFrames: frames - before.frames, feedBytes: bytes - before.bytes };
  } finally {
    ws.terminate();
  }
}
