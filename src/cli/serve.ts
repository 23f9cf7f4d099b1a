/** `udp-chat serve`: run a room. */
import type { Argv } from 'yargs';
import { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS } from '../core/limits.js';
import { startChatServer, type ServerTransport } from '../servers/chat-server.js';
import type { FramingName } from '../transports/framing.js';
import { addressOptions, count, duration, host, port, transport } from './options.js';
import { formatServerEvent, jsonEvent, paint, serveBanner } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'serve';
export const describe = 'run a chat room (peers join with nc -u, udp-chat chat or udp-chat send)';

export function builder(y: Argv) {
  return addressOptions(y, 'address to listen on (0.0.0.0 or :: opens the room to the network)', ['udp', 'tcp', 'both'])
    .option('peer-timeout', { type: 'string', default: `${DEFAULT_PEER_TIMEOUT_MS / 1000}s`, describe: 'drop a peer silent this long (500ms, 10s, 5m)' })
    .option('echo-self', { type: 'boolean', default: false, describe: "send a sender's chat lines back to it too" })
    .option('max-message', { type: 'string', default: String(DEFAULT_LIMITS.maxMessageBytes), describe: 'largest message in bytes' })
    .option('max-peers', { type: 'string', default: String(DEFAULT_LIMITS.maxPeers), describe: 'most peers in the room (0: no limit)' })
    .option('json', { type: 'boolean', default: false, describe: 'one NDJSON object per event on stdout' });
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const options = {
    transport: transport(argv) as ServerTransport,
    framing: argv['framing'] as FramingName,
    host: host(argv['host']),
    port: port(argv['port']),
    peerTimeoutMs: duration(argv['peer-timeout'], 'peer-timeout'),
    echoSelf: Boolean(argv['echo-self']),
    limits: { maxMessageBytes: count(argv['max-message'], 'max-message'), maxPeers: count(argv['max-peers'], 'max-peers', 0) },
  };
  const c = paint(process.stdout);
  const json = Boolean(argv['json']);
  const print = (line: string) => process.stdout.write(line + '\n');
  const server = await startChatServer({
    ...options,
    onEvent: json
      ? (event) => print(jsonEvent(event))
      : (event) => {
          if (event.type === 'start') return;
          const line = formatServerEvent(event, c);
          if (line) print(line);
        },
  });
  if (!json) for (const line of serveBanner({ transport: options.transport, host: options.host, port: server.port, peerTimeoutMs: options.peerTimeoutMs }, c)) print(line);
  await untilSignal();
  await server.close();
}
