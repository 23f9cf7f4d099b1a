/** The Origin rule of the web transport, as tables: which pages may open a WebSocket into the room. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { originAllowed, parseOrigins } from '../../../src/transports/ws/origin.js';

const allowed = suite('originAllowed');

allowed('a request without Origin is not a page, and is let in', () => {
  assert.ok(originAllowed(undefined, '127.0.0.1:8080', []));
  assert.ok(originAllowed(undefined, undefined, []));
});

allowed('the page of the same origin as the Host it was served from is let in, in any case and with a default port', () => {
  const cases: Array<[origin: string, host: string]> = [
    ['http://127.0.0.1:8080', '127.0.0.1:8080'],
    ['http://Teacher.Local:8080', 'teacher.local:8080'],
    ['http://example.org', 'example.org:80'],
    ['https://example.org', 'example.org'],
    ['http://[::1]:8080', '[::1]:8080'],
  ];
  for (const [origin, host] of cases) assert.ok(originAllowed(origin, host, []), `${origin} from ${host}`);
});

allowed('any other origin is refused unless listed, and * lists them all', () => {
  const cases: Array<[origin: string, host: string | undefined]> = [
    ['http://evil.example', '127.0.0.1:8080'],
    ['http://localhost:8080', '127.0.0.1:8080'],
    ['http://127.0.0.1:8081', '127.0.0.1:8080'],
    ['null', '127.0.0.1:8080'],
    ['file://', '127.0.0.1:8080'],
    ['not a url', '127.0.0.1:8080'],
    ['http://127.0.0.1:8080', undefined],
    ['http://127.0.0.1:8080', 'bad host header'],
  ];
  for (const [origin, host] of cases) {
    assert.not.ok(originAllowed(origin, host, []), `${origin} from ${String(host)}`);
    assert.ok(originAllowed(origin, host, ['*']), `${origin} with *`);
  }
  assert.ok(originAllowed('http://evil.example', '127.0.0.1:8080', ['http://evil.example']));
  assert.not.ok(originAllowed('https://evil.example', '127.0.0.1:8080', ['http://evil.example']));
});

const parse = suite('parseOrigins');

parse('normalises each origin and keeps *', () => {
  assert.equal(parseOrigins(['http://Teacher.Local:8080/', 'https://x.org:443', '*']), ['http://teacher.local:8080', 'https://x.org', '*']);
  assert.equal(parseOrigins(), []);
});

parse('refuses anything but an http(s) origin with ERR_BAD_ARGUMENT', () => {
  for (const bad of ['', 'teacher.local', 'ftp://x', 'http://x/path', 'http://x/?q', 'http://user@x', 'ws://x']) {
    try {
      parseOrigins([bad]);
      assert.unreachable(`${bad} was taken`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_BAD_ARGUMENT', bad);
    }
  }
});

allowed.run();
parse.run();
