/**
 * bench-cluster.ts's Redis: the tests' redis-server (test/helpers/redis.ts: a free loopback
 * port, nothing saved), with a connection of the benchmark's own that reads what Redis counts
 * (INFO): its pid, for its CPU time from /proc, and the bytes and commands that went through it.
 */
import { createClient } from '@redis/client';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';

/** What Redis has counted so far (INFO stats and commandstats). */
export interface RedisStats {
  /** Bytes read from clients (the servers' PUBLISH, beats and presence scripts) and written to them (each message to every subscriber). */
  netInBytes: number;
  netOutBytes: number;
  /** PUBLISH commands, and EVAL (the beats and presence scripts). */
  publishCalls: number;
  evalCalls: number;
  /** The length of this INFO's own reply, which Redis counts in the next reading's netOutBytes. */
  replyBytes: number;
}

/** A running redis-server for one benchmark run. */
export interface BenchRedis {
  readonly url: string;
  readonly pid: number;
  stats(): Promise<RedisStats>;
  /** Empties it between trials, so no trial finds the presence of the one before. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** `key:value` lines of INFO as a map. */
function readInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `calls=N` of a commandstats entry (`cmdstat_publish:calls=3,usec=...`); 0 before the first call. */
function calls(entry: string | undefined): number {
  return Number(/calls=(\d+)/.exec(entry ?? '')?.[1] ?? 0);
}

/** Starts redis-server and connects to it; a string says why none could be started here. */
export async function startBenchRedis(): Promise<BenchRedis | string> {
  const server: TestRedis | string = await startRedis();
  if (typeof server === 'string') return server;
  const client = createClient({ url: server.url, socket: { connectTimeout: 5000, reconnectStrategy: false } });
  // A lost connection is the next command's rejection; the event alone must not end the run.
  client.on('error', () => {});
  try {
    await client.connect();
    const pid = Number(readInfo(String(await client.sendCommand(['INFO', 'server']))).get('process_id'));
    return {
      url: server.url,
      pid,
      async stats() {
        const text = String(await client.sendCommand(['INFO', 'stats', 'commandstats']));
        const f = readInfo(text);
        return {
          replyBytes: Buffer.byteLength(text),
          netInBytes: Number(f.get('total_net_input_bytes')),
          netOutBytes: Number(f.get('total_net_output_bytes')),
          publishCalls: calls(f.get('cmdstat_publish')),
          evalCalls: calls(f.get('cmdstat_eval')),
        };
      },
      async flush() {
        await client.sendCommand(['FLUSHALL']);
      },
      async close() {
        client.destroy();
        await server.stop();
      },
    };
  } catch (err) {
    if (client.isOpen) client.destroy();
    await server.stop();
    throw err;
  }
}
