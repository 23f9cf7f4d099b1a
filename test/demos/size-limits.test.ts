import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sizeRefusal } from '../../src/demos/size.js';

const test = suite("the size demo names the limit this system met, not Linux's everywhere");

test("past 65507 bytes it is IPv4's own limit, on any system", () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) assert.match(sizeRefusal(65508, platform), /65507 is IPv4's limit/);
});

test("below it, macOS's net.inet.udp.maxdgram (9216) is named, not IPv4's", () => {
  const mac = sizeRefusal(9000, 'darwin');
  assert.match(mac, /9216/);
  assert.match(mac, /net\.inet\.udp\.maxdgram/);
  assert.not.match(mac, /65507 is IPv4's limit/);
  assert.match(sizeRefusal(9000, 'linux'), /below IPv4's limit of 65507/);
});

test.run();
