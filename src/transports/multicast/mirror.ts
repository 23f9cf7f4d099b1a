/**
 * `serve --multicast GROUP`: the room's broadcasts, each sent once to a group, so any number of
 * listeners follow the room for one datagram a message instead of one per peer. The room hands
 * it every broadcast line (core's RoomMirror); the datagram is the line as `nc` would read it.
 */
import type dgram from 'node:dgram';
import type { RoomMirror } from '../../core/outbox.js';
import { formatAddress } from '../address.js';
import { groupError, groupType, interfaceFor, openSender } from './group.js';
import { checkRoute } from './route.js';

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
  ) {}

  /** Binds the sender; `roomPort` is the group's port unless the options gave one. */
  async open(roomPort: number): Promise<void> {
    this.port = this.options.port ?? roomPort;
    const sender = {
      type: groupType(this.options.group),
      interface: interfaceFor(this.options.group, this.options.interface),
      ...(this.options.ttl !== undefined ? { ttl: this.options.ttl } : {}),
    };
    // No route to the group (ENETUNREACH): refuse to start, rather than fail at the room's first line.
    await checkRoute(sender, this.options.group, this.port);
    this.socket = await openSender(sender);
    // A send error on an unconnected socket also arrives as 'error': counted in send()'s callback.
    this.socket.on('error', () => {});
  }

  /** Where it sends, `239.1.2.3:9000`. */
  get address(): string {
    return formatAddress(this.options.group, this.port);
  }

  send(line: Uint8Array): void {
    if (!this.socket) return;
    this.inFlight += 1;
    this.socket.send(line, this.port, this.options.group, (err) => {
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
