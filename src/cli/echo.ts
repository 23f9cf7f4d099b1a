/** `udp-chat echo`: an echo server over UDP, TCP or both. */
import type { Argv } from 'yargs';
import { startEchoServer, type EchoEvent } from '../servers/echo-server.js';
import { ECHO_LIMITS } from '../core/limits.js';
import { ChatError } from '../core/errors.js';
import { describeImpairment, impairmentOptions, impairs, rate, seedFrom, udpImpairment } from './impairment-options.js';
import { addressOptions, count, host, notEmpty, numeric, port, renamed, transport } from './options.js';
import { formatCounters, jsonLine, paint } from './output.js';
import { untilSignal } from './signals.js';

export const command = 'echo';
export const describe = 'run an echo server (UDP: datagrams back to their sender; TCP: bytes back)';

export function builder(y: Argv) {
  const base = addressOptions(y, 'address to listen on', ['udp', 'tcp', 'both'])
    .option('upper', { alias: 'u', type: 'boolean', default: false, describe: "answer in capitals, as Go's strings.ToUpper (bytes that are not UTF-8 as they are)" })
    .option('close-on', { type: 'string', requiresArg: true, describe: 'TCP: a line that is exactly this (e.g. exit) closes the connection, unanswered' });
  const built = notEmpty(impairmentOptions(base), 'close-on')
    .example('udp-chat echo --port 12000 --upper --loss 0.3 --seed 1', "the Pinger lab's server: capitals, 30% of pings unanswered, the same ones each run")
    .example('udp-chat echo --port 12000 --loss 0.3 --delay 200ms --delay-dist uniform', 'the Java variant: unchanged, 30% lost, each answer 0-200 ms late')
    // Not --rate: serve's --rate counts messages a second per peer, one meaning per flag name.
    .option('answer-rate', { type: 'string', requiresArg: true, describe: `UDP answers a second per source /24 (default: none on loopback, ${ECHO_LIMITS.answersPerPrefix} elsewhere; 0: no limit)` })
    .option('byte-rate', { type: 'string', describe: `UDP bytes a second answered per source /24, 64k or 1M (default: none on loopback, ${ECHO_LIMITS.bytesPerPrefix / 1000}k elsewhere; 0: no limit)` })
    .option('max-reflections', { type: 'string', default: String(ECHO_LIMITS.reflections), describe: `a source that sends back what it was just sent this many times in a row (another echo) is not answered for ${ECHO_LIMITS.reflectionMuteMs / 1000}s (0: off)` })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no line per datagram or connection' })
    .option('json', { type: 'boolean', default: false, describe: 'one NDJSON object per event on stdout' })
    .group(['host', 'port', 'transport', 'tcp', 'framing', 'upper', 'close-on'], 'Basics:')
    .group(['seed', 'loss', 'loss-correlation', 'delay', 'delay-dist', 'jitter', 'reorder', 'reorder-gap', 'duplicate'], 'Impairment (UDP answers):')
    .group(['answer-rate', 'byte-rate', 'max-reflections'], 'Limits:')
    .group(['quiet', 'json'], 'Output:');
  return renamed(numeric(built, 'answer-rate', 'seed'), 'rate', 'answer-rate', 'UDP answers a second per source /24');
}

/** ` answered after 120 ms, twice`: what an impairment did to an answer, if anything. */
function answeredHow(e: Extract<EchoEvent, { type: 'datagram' }>): string {
  const parts = [e.delayMs === undefined ? '' : `after ${e.delayMs} ms${e.reordered ? ' (--reorder)' : ''}`, e.duplicated ? 'twice (--duplicate)' : ''].filter(Boolean);
  return parts.length ? ` answered ${parts.join(', ')}` : '';
}

function describeEvent(e: EchoEvent): string {
  switch (e.type) {
    case 'start':
      return `echo on ${e.transport} ${e.host} port ${e.port}`;
    case 'datagram':
      return `udp ${e.peer.address} ${e.bytes} bytes${e.answered ? answeredHow(e) : ` not answered: ${e.why}`}`;
    case 'connection':
      return `tcp ${e.peer.address} connected`;
    case 'disconnect':
      return `tcp ${e.peer.address} closed after ${e.bytes} bytes${e.closeOn === undefined ? '' : ` (--close-on ${e.closeOn})`}`;
    case 'echo-loop':
      return `udp ${e.peer.address} sent back what it was just sent ${e.reflections} times in a row (another echo?): not answered for ${e.muteMs / 1000}s`;
    case 'socket-error':
      return `${e.transport} socket: ${e.code} ${e.message}`;
  }
}

export async function handler(argv: Record<string, unknown>): Promise<void> {
  const c = paint(process.stdout);
  const json = Boolean(argv['json']);
  const quiet = Boolean(argv['quiet']);
  const print = (line: string) => process.stdout.write(line + '\n');
  const kind = transport(argv) as 'udp' | 'tcp' | 'both';
  const impairment = udpImpairment(argv);
  const impaired = impairs(impairment);
  // A TCP echo has no datagram to lose: the stream would only turn the loss into delay (see
  // `proxy --tcp --loss`). With `both` the impairment applies to the UDP side, as documented.
  // --seed alone would be silently meaningless there too.
  if ((impaired || argv['seed'] !== undefined) && kind === 'tcp') throw new ChatError('ERR_BAD_ARGUMENT', '--loss, --loss-correlation, --delay, --delay-dist, --jitter, --reorder, --duplicate and --seed impair UDP answers: use --transport udp or both (a TCP stream: udp-chat proxy --tcp)');
  const closeOn = argv['close-on'] === undefined ? '' : String(argv['close-on']);
  if (closeOn && kind === 'udp') throw new ChatError('ERR_BAD_ARGUMENT', '--close-on closes a TCP connection: UDP has none to close (use --transport tcp or both)');
  if (/[\r\n]/.test(closeOn)) throw new ChatError('ERR_BAD_ARGUMENT', '--close-on takes one line, without \\r or \\n');
  // Checked even when nothing is impaired: a bad --seed is a mistake either way.
  const given = seedFrom(argv);
  const seed = impaired ? given : undefined;
  const server = await startEchoServer({
    transport: kind,
    host: host(argv['host']),
    port: port(argv['port']),
    upper: Boolean(argv['upper']),
    ...(argv['answer-rate'] === undefined ? {} : { ratePerSource: count(argv['answer-rate'], 'answer-rate', 0) }),
    ...(argv['byte-rate'] === undefined ? {} : { bytesPerSource: rate(argv['byte-rate'], 'byte-rate') }),
    maxReflections: count(argv['max-reflections'], 'max-reflections', 0),
    ...(seed === undefined ? {} : { impairment, seed }),
    closeOn,
    onEvent: (e) => {
      // The seed goes with the UDP start, so a run can be repeated (as the proxy prints its own).
      const said = e.type === 'start' && e.transport === 'udp' && seed !== undefined ? { seed, impairment: describeImpairment(impairment) } : {};
      if (json) {
        const { type, ...fields } = e;
        print(jsonLine(type, { ...fields, ...said }));
      }
      // --quiet keeps the start and a loop found (once each), not a line per datagram.
      else if (e.type === 'start' || e.type === 'echo-loop' || !quiet) print(e.type === 'start' ? c.bold(describeEvent(e)) : `${c.dim(new Date().toTimeString().slice(0, 8))} ${describeEvent(e)}`);
      if (!json && 'seed' in said) print(c.dim(`  answers impaired: ${said.impairment} (seed ${seed}); repeat this run exactly with --seed ${seed}`));
    },
  });
  await untilSignal();
  await server.close();
  if (!json) print(formatCounters(server.counters));
  else print(jsonLine('stop', { counters: server.counters }));
}
