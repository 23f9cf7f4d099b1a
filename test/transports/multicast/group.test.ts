/** transports/multicast/group.ts: what a group is, how an interface is named, the lines a user reads. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../../src/core/errors.js';
import { groupFrom } from '../../../src/cli/options.js';
import { defaultInterface, groupError, interfaceFor, isMulticast, openGroupReceiver, parseGroup } from '../../../src/transports/multicast/group.js';

const test = suite('multicast group');

test('multicast addresses are 224.0.0.0/4 and ff00::/8, nothing else', () => {
  for (const a of ['224.0.0.1', '239.255.255.255', '239.1.2.3', 'ff02::1', 'ff15::1', 'FF05::2', 'ff02::1%lo']) assert.ok(isMulticast(a), a);
  for (const a of ['223.255.255.255', '240.0.0.1', '127.0.0.1', '255.255.255.255', '::1', 'fe80::1', 'fd00::ff02', 'localhost', '']) assert.not.ok(isMulticast(a), a);
});

test('parseGroup takes brackets off and refuses a unicast address with the ranges', () => {
  assert.is(parseGroup('[ff15::1]'), 'ff15::1');
  try {
    parseGroup('192.168.1.10');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ChatError);
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT');
    assert.match((err as Error).message, /not a multicast address.*239\.1\.2\.3/);
  }
});

test('--ttl takes digits only: 0x10, 1e1, 1.5, -1, 256 are refused, 0 and 255 taken', () => {
  for (const ttl of ['0x10', '1e1', '1.5', '-1', '256', '', ' ']) assert.throws(() => groupFrom({ multicast: '239.1.2.3', ttl, interface: '127.0.0.1' }), /--ttl takes a whole number from 0 to 255/, ttl);
  for (const ttl of ['0', '255', 7]) assert.is(groupFrom({ multicast: '239.1.2.3', ttl, interface: '127.0.0.1' }).ttl, Number(ttl));
});

test('a %scope in the group is refused, not silently dropped: the interface is --interface\'s', () => {
  for (const g of ['ff15::1%eth0', '[ff02::1%lo]', '239.255.9.9%lo', 'ff15::1%../../x']) assert.throws(() => parseGroup(g), /without a %scope.*--interface/, g);
});

test('an interface: an IPv4 address for an IPv4 group, a known name for IPv6', () => {
  assert.is(interfaceFor('239.1.2.3', '127.0.0.1'), '127.0.0.1');
  assert.is(interfaceFor('239.1.2.3', undefined), undefined);
  assert.throws(() => interfaceFor('239.1.2.3', 'lo'), /IPv4 address/);
  assert.is(interfaceFor('ff15::1', 'lo'), '::%lo');
  assert.is(interfaceFor('ff15::1', '::%lo'), '::%lo');
  assert.is(interfaceFor('ff15::1', '::1'), '::%lo');
  // A typo would otherwise join "any interface" without a word.
  assert.throws(() => interfaceFor('ff15::1', 'no-such-if0'), /no interface of that name \(it has: .*lo/);
});

test('a room on loopback keeps its group on loopback; elsewhere the system chooses', () => {
  assert.is(defaultInterface('239.1.2.3', '127.0.0.1'), '127.0.0.1');
  assert.is(defaultInterface('ff15::1', '::1'), '::%lo');
  assert.is(defaultInterface('239.1.2.3', '0.0.0.0'), undefined);
  assert.is(defaultInterface('239.1.2.3'), undefined);
});

test('system errors become one line that says what to do', () => {
  const line = (code: string) => groupError(Object.assign(new Error('x'), { code }), 'cannot send to group 239.1.2.3:9000').message;
  assert.match(line('ENETUNREACH'), /no route.*--interface 127\.0\.0\.1/);
  assert.match(line('EACCES'), /refused.*subnet's broadcast address/);
  assert.match(line('EADDRINUSE'), /taken.*-p/);
  assert.match(line('ENODEV'), /interface/);
  // No --interface given: "is --interface one of this machine's addresses?" would puzzle; name one.
  const unnamed = groupError(Object.assign(new Error('x'), { code: 'ENODEV' }), 'cannot listen to group 239.1.2.3:9000', { interfaceGiven: false }).message;
  assert.match(unnamed, /no interface to choose.*--interface 127\.0\.0\.1/);
  assert.not.match(unnamed, /is --interface one of/);
  // A broadcast with no route: on one machine it goes to lo's broadcast address; --interface does not help.
  const broadcast = groupError(Object.assign(new Error('x'), { code: 'ENETUNREACH' }), 'cannot broadcast to 192.168.1.255:9002', { broadcast: true }).message;
  assert.match(broadcast, /no route.*--broadcast 127\.255\.255\.255/);
  assert.not.match(broadcast, /--interface/);
  for (const code of ['ENETUNREACH', 'EACCES', 'EADDRINUSE', 'ENODEV', 'EWHATEVER']) assert.not.match(line(code), /\n/);
});

test('joining on an interface that is not this machine\'s fails with the one line', async () => {
  try {
    const socket = await openGroupReceiver({ group: '239.255.77.1', port: 0, interface: '192.0.2.1' });
    socket.close();
    assert.unreachable('joined on an address this machine does not have');
  } catch (err) {
    assert.instance(err, ChatError);
    assert.match((err as Error).message, /^cannot listen to group 239\.255\.77\.1:0: .*interface/);
  }
});

test('a receiver checks its group: a unicast address or a scoped one is refused before a socket opens', async () => {
  for (const group of ['127.0.0.1', 'ff15::1%lo']) {
    try {
      const socket = await openGroupReceiver({ group, port: 0, interface: '127.0.0.1' });
      socket.close();
      assert.unreachable(`${group} joined`);
    } catch (err) {
      assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', String(err));
    }
  }
});

test.run();
