/** The json subprotocol's wire form, pure: events in, room lines out as events. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonChannel, lineEvent, readEvent, type EventIn } from '../../../src/transports/ws/json-events.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function read(text: string, name = 'percy'): EventIn {
  return readEvent(encoder.encode(text), name);
}

/** The refusal's code and whether its message matches, or the messages. */
function refusal(event: EventIn): [string, string] {
  if (event.kind !== 'refused') throw new Error(`not refused: ${JSON.stringify(event)}`);
  return [event.code, event.message];
}

const input = suite('json events in');

input('send_message carries its message to the room as a line would', () => {
  assert.equal(read('{"type":"send_message","payload":{"message":"hi"}}'), { kind: 'messages', messages: ['hi'] });
  // Commands too: the message goes through the room's parser.
  assert.equal(read('{"type":"send_message","payload":{"message":"/who"}}'), { kind: 'messages', messages: ['/who'] });
});

input('a from that is not the peer\'s name asks for it first, as /nick; its own name asks nothing', () => {
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":"percy"}}', 'percy'), { kind: 'messages', messages: ['hi'] });
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":"percy"}}', '127.0.0.1:5000'), {
    kind: 'messages',
    messages: ['/nick percy', 'hi'],
  });
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":""}}', 'x'), { kind: 'messages', messages: ['hi'] });
});

input('a from with spaces around the peer\'s name is that name: /nick trims them, so asking again would only spend renames', () => {
  // The room names " percy" percy; were the next event's " percy" asked for again, every message
  // would draw `you are already percy`, then `too many renames`, and spend two of the message rate.
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":" percy "}}', 'percy'), { kind: 'messages', messages: ['hi'] });
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":" percy"}}', 'x'), { kind: 'messages', messages: ['/nick percy', 'hi'] });
  assert.equal(read('{"type":"send_message","payload":{"message":"hi","from":"  "}}', 'x'), { kind: 'messages', messages: ['hi'] });
});

input('another event type is refused by name, cut short and escaped', () => {
  const [code, message] = refusal(read('{"type":"change_room","payload":{"name":"x"}}'));
  assert.is(code, 'ERR_UNKNOWN_EVENT');
  assert.is(message, 'this event type is not supported: change_room (only send_message)');
  const [, long] = refusal(read(JSON.stringify({ type: '\x1b[2J' + 'x'.repeat(100), payload: {} })));
  assert.match(long, /supported: \\x1b\[2Jx{36}\.\.\. \(only/);
});

input('what is not a send_message event is refused, saying what one looks like', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /^not JSON: send \{"type":"send_message"/],
    ['', /^not JSON/],
    ['[1,2]', /^an event is a JSON object/],
    ['null', /^an event is a JSON object/],
    ['"send_message"', /^an event is a JSON object/],
    ['{"payload":{}}', /^an event needs a "type" string/],
    ['{"type":7}', /^an event needs a "type" string/],
    ['{"type":"send_message"}', /^a send_message event needs a "payload" object/],
    ['{"type":"send_message","payload":"hi"}', /^a send_message event needs a "payload" object/],
    ['{"type":"send_message","payload":{}}', /^a send_message payload needs a "message" string/],
    ['{"type":"send_message","payload":{"message":5}}', /^a send_message payload needs a "message" string/],
    ['{"type":"send_message","payload":{"message":"x","from":7}}', /^"from" is a name, a string/],
    ['['.repeat(20_000), /^not JSON/],
  ];
  for (const [text, match] of cases) {
    const [code, message] = refusal(read(text));
    assert.is(code, 'ERR_BAD_EVENT', text.slice(0, 40));
    assert.match(message, match, text.slice(0, 40));
  }
  // Bytes that are not UTF-8 are not JSON either, and do not throw.
  assert.is(readEvent(new Uint8Array([0xff, 0xfe, 0x7b]), 'p').kind, 'refused');
});

input.run();

const output = suite('room lines out as json events');

const SENT = '2024-05-06T07:08:09.010Z';

output('each kind of room line is one event', () => {
  const cases: Array<[string, unknown]> = [
    ['<alice> hi there', { type: 'new_message', payload: { message: 'hi there', from: 'alice', sent: SENT } }],
    ['[private] <alice> psst', { type: 'new_message', payload: { message: 'psst', from: 'alice', sent: SENT, private: true } }],
    ['[private to bob] <alice> psst', { type: 'new_message', payload: { message: 'psst', from: 'alice', sent: SENT, private: true, to: 'bob' } }],
    ['* alice joined', { type: 'notice', payload: { message: 'alice joined', sent: SENT } }],
    ['! no such peer: zed; /who lists them', { type: 'error', payload: { message: 'no such peer: zed; /who lists them' } }],
    ['/pong t1', { type: 'pong', payload: { token: 't1' } }],
  ];
  for (const [line, event] of cases) assert.equal(JSON.parse(lineEvent(line, SENT)), event, line);
});

output('the channel encodes the room\'s line, newline and all, with the time it is sent', () => {
  const channel = jsonChannel(() => new Date(SENT));
  assert.is(channel.name, 'ws');
  const bytes = channel.encode(encoder.encode('<alice> "quoted" \\ and é\n'));
  assert.equal(JSON.parse(decoder.decode(bytes)), { type: 'new_message', payload: { message: '"quoted" \\ and é', from: 'alice', sent: SENT } });
});

output.run();
