/**
 * `serve --multicast GROUP`: the room's broadcasts, each sent once to a group, so any number of
 * listeners follow the room for one datagram a message instead of one per peer. The room hands
 * it every broadcast line (core's RoomMirror); the datagram is the line as `nc` would read it.
 */
import type dgram from 'node:dgram';
import type { RoomMirror } from '../../core/outbox.js';
import { formatAddress } from '../address.js';
import { DEFAULT_MULTICAST_TTL, groupError, groupType, interfaceFor, openSender, parseGroup } from './group.js';

export interface MirrorOptions {
  group: string;
  /** The group's port; the room's own port number when not given. */
  port?: number;
  /** As group.ts's interfaceFor takes it; undefined: the system's choice. */
  interface?: string;
  ttl?: number;
}

/** The counters' name for the group's traffic: `traffic.multicast`. */
export const MIRROR_NAME = 'multicast';

/**
 * The room's mirror onto a group. It exists before its socket does (the room is made before its
 * ports are bound, and the group's port defaults to the room's): lines before open() are not sent.
 */
export class GroupMirror implements RoomMirror {
  readonly name = MIRROR_NAME;
  /** The group, checked (a library caller's too), and the interface and hops it is sent with: what the banner states. */
  readonly group: string;
  readonly interface: string | undefined;
  readonly ttl: number;
  /** Sends the system refused (no route, buffer full): counted, and the first one reported. */
  sendErrors = 0;
  port = 0;
  private socket: dgram.Socket | undefined;
  // Sends handed to the socket whose callback has not come yet, and who waits for them to end.
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(
    private readonly options: MirrorOptions,
    private readonly onError: (err: Error) => void,
  ) {
    this.group = parseGroup(options.group);
    this.interface = interfaceFor(this.group, options.interface);
    this.ttl = options.ttl ?? DEFAULT_MULTICAST_TTL;
  }

  /** Binds the sender and connects it to the group; `roomPort` is the group's port unless the options gave one. */
  async open(roomPort: number): Promise<void> {
    this.port = this.options.port ?? roomPort;
    const socket = await openSender({ type: groupType(this.group), interface: this.interface, ttl: this.ttl });
    // Connecting looks the route up and sends nothing: with no route (ENETUNREACH) serve refuses to
    // start in one line rather than fail at the room's first line, no listener hears a probe, and
    // each line then goes without an address to look up.
    try {
      await new Promise<void>((resolve, reject) => {
        // A failed lookup comes to the callback (ENETUNREACH), a bad address as an 'error' event.
        socket.once('error', reject);
        socket.connect(this.port, this.group, (err?: Error) => {
          socket.off('error', reject);
          if (err) reject(err);
          else resolve();
        });
      });
    } catch (err) {
      socket.close();
      throw groupError(err as NodeJS.ErrnoException, `cannot send to ${this.address}`);
    }
    // A send error also arrives as 'error': counted in send()'s callback.
    socket.on('error', () => {});
    this.socket = socket;
  }

  /** Where it sends, `239.1.2.3:9000`. */
  get address(): string {
    return formatAddress(this.group, this.port);
  }

  send(line: Uint8Array): void {
    if (!this.socket) return;
    this.inFlight += 1;
    this.socket.send(line, (err) => {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.drained?.();
      if (!err) return;
      this.sendErrors += 1;
      if (this.sendErrors === 1) this.onError(groupError(err, `cannot send to group ${this.address}`));
    });
  }

  /**
   * Closes once what was handed to the socket has left: the room's last broadcast (`* server
   * shutting down`) comes just before close(), and closing at once would drop it (at most 1 s).
   */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
