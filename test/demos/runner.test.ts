import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMOS } from '../../src/demos/demos.js';
import { demoRunner } from '../../src/demos/runner.js';
import { contractProblems } from '../helpers/svg.js';

const test = suite('the page runs the demos it lists');

test('it lists every demo with its summary, in the order udp-chat demo does', () => {
  assert.equal(demoRunner.list(), Object.entries(DEMOS).map(([name, d]) => ({ name, summary: d.summary })));
});

test('a run returns the demo\'s own result and its picture', async () => {
  const { result, svg } = await demoRunner.run('boundaries');
  assert.is((result as { demo: string }).demo, 'boundaries');
  assert.equal(contractProblems(svg), []);
  assert.match(svg, /data-step="0"/);
});

test('an unknown name is refused, not run, the names every object has included', async () => {
  for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    try {
      await demoRunner.run(name);
      assert.unreachable(`ran an unknown demo ${name}`);
    } catch (err) {
      assert.match((err as Error).message, `no demo ${name}`);
    }
  }
});

test.run();
