/** `udp-chat echo`: an echo server over UDP, TCP or both. */
import type { Argv } from 'yargs';
import { startEchoServer, type EchoEvent } from '../servers/echo-server.js';
import { ECHO_LIMITS } from '../core/limits.js';
import { addressOptions, count, host, port, transport } from './options.js';
import { formatCounters, paint } from './output.js';
import { rate } from './proxy.js';
import { untilSignal } from './signals.js';

export const command = 'echo';
export const describe = 'run an echo server (UDP: datagrams back to their sender; TCP: bytes back)';

export function builder(y: Argv) {
  return addressOptions(y, 'address to listen on', ['udp', 'tcp', 'both'])
    .option('upper', { alias: 'u', type: 'boolean', default: false, describe: 'answer in capitals' })
    .option('rate', { type: 'string', describe: `UDP answers a second per source /24 (default: none on loopback, ${ECHO_LIMITS.answersPerPrefix} elsewhere; 0: no limit)` })
    .option('byte-rate', { type: 'string', describe: `UDP bytes a second answered per source /24, 64k or 1M (default: none on loopback, ${ECHO_LIMITS.bytesPerPrefix / 1000}k elsewhere; 0: no limit)` })
    .option('max-reflections', { type: 'string', default: String(ECHO_LIMITS.reflections), describe: `a source that sends back what it was just sent this many times in a row (another echo) is not answered for ${ECHO_LIMITS.reflectionMuteMs / 1000}s (0: off)` })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no line per datagram or connection' })
    .option('json', { type: 'boolean', default: false, describe: 'one NDJSON object per event on stdout' });
}

function describeEvent(e: EchoEvent): string {
  switch (e.type) {
    case 'start':
      return `echo on ${e.transport} ${e.host} port ${e.port}`;
    case 'datagram':
      return `udp ${e.from}:${e.port} ${e.bytes} bytes${e.answered ? '' : ` not answered: ${e.why}`}`;
    case 'connection':
      return `tcp ${e.from}:${e.port} connected`;
    case 'disconnect':
      return `tcp ${e.from}:${e.port} closed after ${e.bytes} bytes`;
    case 'echo-loop':
      return `udp ${e.from}:${e.port} sent back what it was just sent ${e.reflections} times in a row (another echo?): not answered for ${e.muteMs / 1000}s`;
    case 'socket-error':
      return `${e.transport} socket: ${e.code} ${e.message}`;
  }
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const c = paint(process.stdout);
  const json = Boolean(argv['json']);
  const quiet = Boolean(argv['quiet']);
  const print = (line: string) => process.stdout.write(line + '\n');
  const server = await startEchoServer({
    transport: transport(argv) as 'udp' | 'tcp' | 'both',
    host: host(argv['host']),
    port: port(argv['port']),
    upper: Boolean(argv['upper']),
    ...(argv['rate'] === undefined ? {} : { ratePerSource: count(argv['rate'], 'rate', 0) }),
    ...(argv['byte-rate'] === undefined ? {} : { bytesPerSource: rate(argv['byte-rate'], 'byte-rate') }),
    maxReflections: count(argv['max-reflections'], 'max-reflections', 0),
    onEvent: (e) => {
      if (json) print(JSON.stringify({ time: new Date().toISOString(), event: e.type, ...e, type: undefined }));
      // --quiet keeps the start and a loop found (once each), not a line per datagram.
      else if (e.type === 'start' || e.type === 'echo-loop' || !quiet) print(e.type === 'start' ? c.bold(describeEvent(e)) : `${c.dim(new Date().toTimeString().slice(0, 8))} ${describeEvent(e)}`);
    },
  });
  await untilSignal();
  await server.close();
  if (!json) print(formatCounters(server.counters));
  else print(JSON.stringify({ time: new Date().toISOString(), event: 'stop', counters: server.counters }));
}
