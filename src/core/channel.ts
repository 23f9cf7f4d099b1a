/**
 * A channel is what the room knows of a transport: its name, and how it frames one line. The
 * room hands each broadcast to each channel once; the channel encodes it once, and the same
 * bytes go to every receiver on that transport.
 */

/** How one transport frames the room's lines. */
export interface Channel {
  /** The transport's name as `/who`, the events and the counters show it (`udp`, `tcp`, `ws`). */
  readonly name: string;
  /**
   * One line as this transport sends it. `line` is the room's form: UTF-8 ending in `\n`, what
   * `nc` reads. Called once per broadcast per channel, never once per receiver.
   */
  encode(line: Uint8Array): Uint8Array;
}

/** A channel that sends the room's lines as they are: one line, `\n`-terminated (UDP, TCP lines). */
export function lineChannel(name: string): Channel {
  return { name, encode: (line) => line };
}
