/** Where a room's cluster lives in Redis: every key and channel under `udp-chat:ROOM:`. */

export interface RoomKeys {
  /** The prefix of every key of the room (the scripts' KEYS[1]). */
  readonly prefix: string;
  /** The room's channel: every server publishes there and hears the others. */
  readonly bus: string;
  /** This server's own channel: private lines for its peers. */
  readonly inbox: string;
  /** Another server's channel. */
  inboxOf(node: string): string;
}

/** The keys of `room` as server `node` uses them. Room and node names are checked before (NODE_NAME). */
export function roomKeys(room: string, node: string): RoomKeys {
  const prefix = `udp-chat:${room}:`;
  return { prefix, bus: `${prefix}bus`, inbox: `${prefix}to:${node}`, inboxOf: (other) => `${prefix}to:${other}` };
}
