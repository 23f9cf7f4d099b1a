/**
 * A client's end of a chat, over UDP (a connected dgram socket, one message per datagram), TCP
 * (a stream, framed by lines or length prefixes) or WebSocket (one frame per message, to the
 * room's web port). All hand back every line they receive, made safe for a terminal whatever the
 * server sent.
 */
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { WebSocket, type RawData } from 'ws';
import { ChatError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { decodeText, escapeControls } from '../core/sanitize.js';
import { formatAddress, udpType } from '../transports/address.js';
import { createDeframer, encodeFrame, maxFrame, type FramingName } from '../transports/framing.js';
import { datagramLimit } from '../transports/udp/datagram-limit.js';
import { askForReceiveBuffer, CLIENT_RECEIVE_BUFFER_BYTES } from '../transports/udp/receive-buffer.js';

/** A transport the client can connect over: a key of OPENERS. */
export type ClientTransport = keyof typeof OPENERS;

/** Where to connect, and how. */
export interface ConnectOptions {
  host: string;
  port: number;
  /** `ws` connects to the room's web port (serve --web), not to its UDP/TCP port. */
  transport?: ClientTransport;
  /** TCP only: how messages are framed (lines by default). */
  framing?: FramingName;
  /** Give up connecting after this long (default 5s); over UDP the session waits this long for a first answer. */
  connectTimeoutMs?: number;
  /** How a host name becomes addresses (tests); dns.lookup, all of them in the system's order, by default. */
  lookup?: (host: string) => Promise<string[]>;
}

/** Events of a connection: lines received, errors, and (TCP) the server closing the stream. */
export type ConnectionEvents = { line: [string]; error: [ChatError]; end: [] };

/** One client connection, whatever the transport. */
export interface Connection extends EventEmitter<ConnectionEvents> {
  readonly transport: ClientTransport;
  /** The server's address, `127.0.0.1:9000`. */
  readonly remote: string;
  /** The address the server knows this client by. */
  readonly local: string;
  /** Sends one message. */
  send(text: string | Uint8Array): void;
  /** Closes after queued messages have left. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Splits a received payload into lines (a server sends one per message; an echo may send several). */
export function payloadLines(bytes: Uint8Array): string[] {
  const lines = decodeText(bytes).split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => escapeControls(line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** Turns a socket error into the one line a user should read. */
export function socketError(err: NodeJS.ErrnoException, transport: ClientTransport, remote: string): ChatError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ChatError(
        'ERR_CONNECTION_REFUSED',
        `nothing is listening on ${transport} ${remote} (${transport === 'udp' ? 'ICMP port unreachable' : 'connection refused'})`,
      );
    case 'EMSGSIZE':
      return new ChatError('ERR_MESSAGE_TOO_LONG', `a datagram to ${remote} was too long for UDP (EMSGSIZE: ${datagramLimit(process.platform)})`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ChatError('ERR_SOCKET', `${transport} ${remote} is unreachable (${err.code})`);
    default:
      return new ChatError('ERR_SOCKET', `${transport} ${remote}: ${err.code ?? ''} ${err.message}`.trim());
  }
}

/** What a connect that got no answer says, the same words for every transport. */
export function noAnswerError(transport: ClientTransport, remote: string, ms: number): ChatError {
  return new ChatError('ERR_CONNECT_TIMEOUT', `no answer from ${transport} ${remote} within ${formatDuration(ms)}: is the server running?`);
}

/**
 * The addresses of a host, in the order the system gives them (dns.lookup with `all`: Node 17+
 * keeps the resolver's order, so /etc/hosts and gai.conf decide between ::1 and 127.0.0.1, not
 * us). A literal is its own address. A name nothing resolves is a usage mistake (exit 2).
 */
export async function resolveHost(host: string, lookup?: (host: string) => Promise<string[]>): Promise<string[]> {
  if (net.isIP(host)) return [host];
  try {
    const found = lookup ? await lookup(host) : (await dns.lookup(host, { all: true })).map((a) => a.address);
    if (found.length > 0) return [...new Set(found)];
  } catch {
    // ENOTFOUND, EAI_AGAIN: the same words as an empty answer.
  }
  throw unresolvable(host);
}

/** The one wording for a host name the system cannot resolve: a usage mistake (exit 2), from every command. */
export function unresolvable(name: string): ChatError {
  return new ChatError('ERR_BAD_HOST', `cannot resolve the host ${name}`);
}

/** A connected UDP socket: no packet is sent by connecting, since UDP has no handshake. */
class UdpConnection extends EventEmitter<ConnectionEvents> implements Connection {
  readonly transport = 'udp' as const;
  private closed = false;
  /**
   * What was sent before the server first answered, sent again to the next address of the host
   * when this one refuses (ICMP port unreachable): `-H localhost` may resolve to 127.0.0.1 first
   * while the server listens on ::1 alone. Null once anything came back: the server is found.
   */
  private unanswered: (string | Uint8Array)[] | null = [];
  private next = 1;

  constructor(
    private socket: dgram.Socket,
    private readonly addresses: readonly string[],
    private readonly port: number,
  ) {
    super();
    this.listen(socket);
  }

  get remote(): string {
    return formatAddress(this.addresses[this.next - 1]!, this.port);
  }

  private listen(socket: dgram.Socket): void {
    socket.on('message', (msg) => {
      if (socket !== this.socket) return;
      this.unanswered = null;
      for (const line of payloadLines(msg)) this.emit('line', line);
    });
    // On a connected socket an ICMP port unreachable comes back as ECONNREFUSED (on Linux and
    // macOS; Windows' libuv ignores it, and the session's connect timeout is what tells there).
    // The socket stays usable: the server may come back.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket !== this.socket) return;
      if (err.code === 'ECONNREFUSED' && this.unanswered && this.next < this.addresses.length) return this.tryNext();
      this.emit('error', socketError(err, 'udp', this.remote));
    });
  }

  /** Moves to the host's next address and sends again what the last one refused. */
  private tryNext(): void {
    const old = this.socket;
    const address = this.addresses[this.next++]!;
    const socket = dgram.createSocket(udpType(address));
    this.socket = socket;
    this.listen(socket);
    old.close();
    socket.connect(this.port, address, () => {
      if (this.closed || socket !== this.socket) return;
      askForReceiveBuffer(socket, CLIENT_RECEIVE_BUFFER_BYTES);
      for (const text of this.unanswered ?? []) this.sendNow(text);
    });
  }

  get local(): string {
    const a = this.socket.address();
    return formatAddress(a.address, a.port);
  }

  send(text: string | Uint8Array): void {
    if (this.closed) return;
    // A few joins and heartbeats at most: a server that never answers is given up on by the session.
    if (this.unanswered && this.unanswered.length < 16) this.unanswered.push(text);
    this.sendNow(text);
  }

  private sendNow(text: string | Uint8Array): void {
    const socket = this.socket;
    // Without a callback Node drops a send error (EMSGSIZE for a datagram over 65507 bytes) silently.
    socket.send(text, (err) => {
      if (err && socket === this.socket) this.emit('error', socketError(err, 'udp', this.remote));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let a pending send (a /quit) leave before the socket goes: send() resolves on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A TCP stream, its messages framed as the server expects. */
class TcpConnection extends EventEmitter<ConnectionEvents> implements Connection {
  readonly transport = 'tcp' as const;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    readonly remote: string,
    private readonly framing: FramingName,
  ) {
    super();
    const deframer = createDeframer(framing, maxFrame(framing));
    const deliver = (events: ReturnType<typeof deframer.push>) => {
      for (const event of events) if (event.kind === 'message') for (const line of payloadLines(event.bytes)) this.emit('line', line);
    };
    socket.on('data', (chunk) => deliver(deframer.push(chunk)));
    socket.on('end', () => deliver(deframer.end()));
    socket.on('error', (err: NodeJS.ErrnoException) => this.emit('error', socketError(err, 'tcp', remote)));
    socket.on('close', () => {
      if (!this.closed) this.emit('end');
    });
  }

  get local(): string {
    return formatAddress(this.socket.localAddress ?? '?', this.socket.localPort ?? 0);
  }

  send(text: string | Uint8Array): void {
    if (this.closed || !this.socket.writable) return;
    const bytes = typeof text === 'string' ? encoder.encode(text) : text;
    if (this.framing !== 'line') this.socket.write(encodeFrame(this.framing, bytes));
    else this.socket.write(bytes[bytes.length - 1] === 0x0a ? bytes : encodeFrame('line', bytes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.destroyed) return;
    const gone = once(this.socket, 'close');
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    await gone;
    clearTimeout(timer);
  }
}

/** A WebSocket to the room's web port: each message one frame, as the web page sends them. */
class WsConnection extends EventEmitter<ConnectionEvents> implements Connection {
  readonly transport = 'ws' as const;
  local = '?';
  private closed = false;
  // Lines that came before the caller could listen (see release()).
  private held: string[] | null = [];
  private endHeld = false;

  constructor(
    private readonly socket: WebSocket,
    readonly remote: string,
  ) {
    super();
    socket.on('message', (data: RawData) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      for (const line of payloadLines(bytes)) {
        if (this.held) this.held.push(line);
        else this.emit('line', line);
      }
    });
    // Until release(), openWs() reports failures itself, and nobody listens here yet.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.held) this.emit('error', socketError(err, 'ws', remote));
    });
    socket.on('close', () => {
      if (this.held) this.endHeld = true;
      else if (!this.closed) this.emit('end');
    });
  }

  /**
   * Hands over the lines held so far, on a later turn of the event loop. The server's first
   * frames often come in the same read as the handshake's answer, so ws emits them before
   * openConnection() has resolved and anyone could listen: they are held until then.
   */
  release(): void {
    setImmediate(() => {
      const held = this.held ?? [];
      this.held = null;
      for (const line of held) this.emit('line', line);
      if (this.endHeld && !this.closed) this.emit('end');
    });
  }

  send(text: string | Uint8Array): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    // Text goes as a text frame; bytes as a binary one, since they need not be UTF-8. The server
    // takes either as one message.
    this.socket.send(text, { binary: typeof text !== 'string' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const gone = once(this.socket, 'close');
    this.socket.close(1000);
    // A server that does not answer the close handshake is not waited for long.
    const timer = setTimeout(() => this.socket.terminate(), 1000);
    await gone;
    clearTimeout(timer);
  }
}

async function openUdp(options: ConnectOptions, addresses: readonly string[]): Promise<Connection> {
  const first = addresses[0]!;
  const socket = dgram.createSocket(udpType(first));
  const failed = once(socket, 'error');
  socket.connect(options.port, first);
  const err = await Promise.race([once(socket, 'connect').then(() => null), failed.then(([e]) => e as NodeJS.ErrnoException)]);
  if (err) {
    socket.close();
    throw socketError(err, 'udp', formatAddress(first, options.port));
  }
  // A busy room fans out faster than a busy client reads: what the OS holds meanwhile is not lost.
  askForReceiveBuffer(socket, CLIENT_RECEIVE_BUFFER_BYTES);
  return new UdpConnection(socket, addresses, options.port);
}

/**
 * Tries a stream's opener on each address of the host in turn, as Node's autoSelectFamily does
 * for one socket: the next when one refuses, all within the one connect timeout. The first
 * address's failure is the one reported (the one the system put first).
 */
async function eachAddress(
  options: ConnectOptions,
  addresses: readonly string[],
  transport: ClientTransport,
  open: (remote: string, address: string, ms: number) => Promise<Connection>,
): Promise<Connection> {
  const ms = options.connectTimeoutMs ?? 5000;
  const deadline = performance.now() + ms;
  let firstError: unknown;
  for (const address of addresses) {
    const left = Math.round(deadline - performance.now());
    if (left <= 0) break;
    try {
      return await open(formatAddress(address, options.port), address, left);
    } catch (err) {
      firstError ??= err;
      // Out of time: no other address gets any.
      if (err instanceof ChatError && err.code === 'ERR_CONNECT_TIMEOUT') break;
    }
  }
  if (firstError instanceof ChatError && firstError.code !== 'ERR_CONNECT_TIMEOUT') throw firstError;
  throw noAnswerError(transport, formatAddress(addresses[0]!, options.port), ms);
}

function openTcp(options: ConnectOptions, addresses: readonly string[]): Promise<Connection> {
  return eachAddress(options, addresses, 'tcp', async (remote, address, ms) => {
    const socket = net.connect({ host: address, port: options.port, noDelay: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        once(socket, 'connect'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(noAnswerError('tcp', remote, ms)), ms);
        }),
      ]);
    } catch (err) {
      socket.destroy();
      throw err instanceof ChatError ? err : socketError(err as NodeJS.ErrnoException, 'tcp', remote);
    } finally {
      clearTimeout(timer);
    }
    return new TcpConnection(socket, remote, options.framing ?? 'line');
  });
}

function openWs(options: ConnectOptions, addresses: readonly string[]): Promise<Connection> {
  return eachAddress(options, addresses, 'ws', async (remote, _address, ms) => {
    // No Origin header: the server lets non-browser clients in whatever its --origin list says.
    const socket = new WebSocket(`ws://${remote}/`, { handshakeTimeout: ms, perMessageDeflate: false });
    const connection = new WsConnection(socket, remote);
    socket.once('upgrade', (res) => {
      connection.local = formatAddress(res.socket.localAddress ?? '?', res.socket.localPort ?? 0);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', (err: NodeJS.ErrnoException) => reject(/handshake has timed out/.test(err.message) ? noAnswerError('ws', remote, ms) : socketError(err, 'ws', remote)));
        socket.once('unexpected-response', (_req, res) => {
          res.resume();
          const why = res.statusCode === 403 ? ': not allowed from here (serve --origin, --allow)' : res.statusCode === 404 ? ": is it the room's web port (serve --web)?" : '';
          reject(new ChatError('ERR_CONNECTION_REFUSED', `ws ${remote} refused the WebSocket with HTTP ${res.statusCode}${why}`));
        });
      });
    } catch (err) {
      // Aborting the handshake reports one more error, which the unreleased connection ignores.
      socket.terminate();
      throw err;
    }
    connection.release();
    return connection;
  });
}

// Each transport the client can speak, and how it opens. A server-side transport has no client
// until it gets a line here: the choices of `chat` and `send` come from this table.
const OPENERS = {
  udp: openUdp,
  tcp: openTcp,
  ws: openWs,
} satisfies Record<string, (options: ConnectOptions, addresses: readonly string[]) => Promise<Connection>>;

/** Every transport the client speaks. */
export const CLIENT_TRANSPORTS = Object.keys(OPENERS) as ClientTransport[];

/** Opens a connection to a server; rejects with a ChatError a user can read. */
export async function openConnection(options: ConnectOptions): Promise<Connection> {
  const open = OPENERS[options.transport ?? 'udp'];
  // A caller in plain JS could pass anything: no silent fallback to UDP.
  if (!open) throw new ChatError('ERR_BAD_ARGUMENT', `no client for transport '${String(options.transport)}': use ${CLIENT_TRANSPORTS.join(', ')}`);
  return open(options, await resolveHost(options.host, options.lookup));
}
