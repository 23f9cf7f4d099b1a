/** `udp-chat echo`'s guards from the command line: their flags, parsed in-process. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../../src/core/errors.js';
import { parsed, parseError } from '../helpers/spawn.js';

const parse = suite('udp-chat echo flags, parsed in-process');

parse('echo keeps its loop guard on by default; the byte budget follows the host unless given', async () => {
  const [name, argv] = await parsed(['echo']);
  assert.is(name, 'echo');
  assert.is(argv['max-reflections'], '32');
  assert.is(argv['byte-rate'], undefined);
  const [, set] = await parsed(['echo', '--byte-rate', '64k', '--max-reflections', '0']);
  assert.is(set['byte-rate'], '64k');
  assert.is(set['max-reflections'], '0');
});

parse('a bad --byte-rate or --max-reflections is refused before the echo starts', async () => {
  for (const argv of [['echo', '--byte-rate', 'fast'], ['echo', '--byte-rate', '-1'], ['echo', '--max-reflections', '-1'], ['echo', '--max-reflections', '2.5']]) {
    const err = await parseError(argv);
    assert.instance(err, ChatError, argv.join(' '));
    assert.is((err as ChatError).code, 'ERR_BAD_ARGUMENT', argv.join(' '));
  }
});

parse.run();
