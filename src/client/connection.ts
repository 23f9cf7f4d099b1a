/**
 * A client's end of a chat: a connected UDP socket that sends one message per datagram and
 * hands back every line it receives, made safe for a terminal whatever the server sent.
 */
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { ChatError } from '../core/errors.js';
import { escapeControls, decodeText } from '../core/sanitize.js';
import { formatAddress, udpType } from '../transports/address.js';

export interface ConnectOptions {
  host: string;
  port: number;
}

/** Splits a received payload into lines (a server sends one per message; an echo may send several). */
export function payloadLines(bytes: Uint8Array): string[] {
  const text = decodeText(bytes);
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => escapeControls(line.endsWith('\r') ? line.slice(0, -1) : line));
}

/**
 * Events: `line` (string, safe to print), `error` (ChatError: ERR_CONNECTION_REFUSED when an
 * ICMP port unreachable came back; the socket stays open, the server may come back).
 */
export class Connection extends EventEmitter<{ line: [string]; error: [ChatError] }> {
  readonly transport = 'udp' as const;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly remote: string,
  ) {
    super();
    socket.on('message', (msg) => {
      for (const line of payloadLines(msg)) this.emit('line', line);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.emit('error', socketError(err, remote)));
  }

  /** Connects a UDP socket to the server (no packet is sent: UDP has no handshake). */
  static async open(options: ConnectOptions): Promise<Connection> {
    const socket = dgram.createSocket(udpType(options.host));
    const failed = once(socket, 'error');
    socket.connect(options.port, options.host);
    const result = await Promise.race([once(socket, 'connect').then(() => null), failed.then(([err]) => err as NodeJS.ErrnoException)]);
    const remote = formatAddress(options.host, options.port);
    if (result) {
      socket.close();
      throw socketError(result, remote);
    }
    return new Connection(socket, remote);
  }

  /** `127.0.0.1:53211`: the address the server knows this client by. */
  get local(): string {
    const a = this.socket.address();
    return formatAddress(a.address, a.port);
  }

  /** Sends one message as one datagram. */
  send(text: string | Uint8Array): void {
    if (!this.closed) this.socket.send(text);
  }

  /** Closes the socket after queued datagrams have left. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // As in the server: let pending sends (a /quit) leave before the socket goes.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** Turns a socket error into the one line a user should read. */
export function socketError(err: NodeJS.ErrnoException, remote: string): ChatError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ChatError('ERR_CONNECTION_REFUSED', `nothing is listening on udp ${remote} (ICMP port unreachable)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ChatError('ERR_BAD_HOST', `cannot resolve host of ${remote}`);
    default:
      return new ChatError('ERR_SOCKET', `udp ${remote}: ${err.code ?? ''} ${err.message}`.trim());
  }
}
