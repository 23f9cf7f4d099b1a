/**
 * The WebSocket transport's `json` subprotocol: the room as JSON events, the form seed 003's
 * front end speaks (after "Mastering WebSockets With Go", Percy Bolmér). A client that asks for
 * it (`new WebSocket(url, 'json')`) sends
 *
 *     {"type":"send_message","payload":{"message":"hi","from":"percy"}}
 *
 * and gets each room line as one event: `new_message` (chat, private ones marked), `notice`,
 * `error` (for this peer alone) and `pong`. Pure: text in, text out; the clock is passed in.
 */
import type { Channel } from '../../core/channel.js';
import { parseServerLine } from '../../core/lines.js';
import { decodeText, escapeControls } from '../../core/sanitize.js';

/** The subprotocol a client asks for to get JSON events. */
export const JSON_PROTOCOL = 'json';

/** The one event type a client may send. */
export const SEND_MESSAGE = 'send_message';

/**
 * What one event from a client comes to: the messages to hand the room, in order (a `/nick`
 * first when `from` asks for another name), or why it is refused.
 */
export type EventIn =
  | { kind: 'messages'; messages: string[] }
  | { kind: 'refused'; code: 'ERR_BAD_EVENT' | 'ERR_UNKNOWN_EVENT'; message: string };

// A type echoed back in a refusal is the client's own text: cut short, and escaped (it is logged too).
const MAX_TYPE_SHOWN = 40;

const SHAPE = 'send {"type":"send_message","payload":{"message":"..."}}';

function refused(message: string, code: 'ERR_BAD_EVENT' | 'ERR_UNKNOWN_EVENT' = 'ERR_BAD_EVENT'): EventIn {
  return { kind: 'refused', code, message };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one frame from a json client. `name` is the peer's name now: a `from` that differs asks
 * for that name, as `/nick` would, before the message (the room's name rules decide).
 */
export function readEvent(bytes: Uint8Array, name: string): EventIn {
  let event: unknown;
  try {
    event = JSON.parse(decodeText(bytes));
  } catch {
    return refused(`not JSON: ${SHAPE}`);
  }
  if (!isObject(event)) return refused(`an event is a JSON object: ${SHAPE}`);
  const type = event['type'];
  if (typeof type !== 'string') return refused(`an event needs a "type" string: ${SHAPE}`);
  if (type !== SEND_MESSAGE) {
    const shown = type.length > MAX_TYPE_SHOWN ? `${type.slice(0, MAX_TYPE_SHOWN)}...` : type;
    return refused(`this event type is not supported: ${escapeControls(shown)} (only ${SEND_MESSAGE})`, 'ERR_UNKNOWN_EVENT');
  }
  const payload = event['payload'];
  if (!isObject(payload)) return refused(`a ${SEND_MESSAGE} event needs a "payload" object: ${SHAPE}`);
  const message = payload['message'];
  if (typeof message !== 'string') return refused(`a ${SEND_MESSAGE} payload needs a "message" string: ${SHAPE}`);
  const from = payload['from'];
  if (from !== undefined && typeof from !== 'string') return refused('"from" is a name, a string');
  const messages: string[] = [];
  // Trimmed as /nick trims it: ` percy` is percy, and asking for it again on every event would
  // spend a rename (then draw `too many renames`) and two of the message rate each time.
  const wanted = from?.trim();
  if (wanted && wanted.normalize('NFC') !== name) messages.push(`/nick ${wanted}`);
  messages.push(message);
  return { kind: 'messages', messages };
}

/** One room line (its text, without the `\n`) as the JSON event a json client gets. */
export function lineEvent(line: string, sent: string): string {
  const parsed = parseServerLine(line);
  switch (parsed.kind) {
    case 'chat': {
      const payload: Record<string, unknown> = { message: parsed.text, from: parsed.from, sent };
      if (parsed.private) {
        payload['private'] = true;
        if (parsed.to) payload['to'] = parsed.to;
      }
      return JSON.stringify({ type: 'new_message', payload });
    }
    case 'error':
      return JSON.stringify({ type: 'error', payload: { message: parsed.text } });
    case 'pong':
      return JSON.stringify({ type: 'pong', payload: { token: parsed.token } });
    case 'notice':
    case 'other':
      return JSON.stringify({ type: 'notice', payload: { message: parsed.text, sent } });
  }
}

const encoder = new TextEncoder();

/**
 * The json clients' channel: each room line becomes one event, encoded once per broadcast (its
 * `sent` time read then), the same bytes for every json client. Named `ws`, as the plain
 * WebSocket's: the same transport in `/who` and the counters.
 */
export function jsonChannel(now: () => Date = () => new Date()): Channel {
  return { name: 'ws', encode: (line) => encoder.encode(lineEvent(decodeText(line.subarray(0, line.length - 1)), now().toISOString())) };
}
