import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { STOP_SIGNALS } from '../../src/cli/signals.js';

const signals = suite('the signals that stop a server or a client');

// What each does is tested on a running serve in cli.test.ts (SIGINT, SIGHUP); SIGBREAK exists on Windows only.
signals('the stop signals include SIGHUP everywhere and SIGBREAK on Windows only', () => {
  assert.ok(STOP_SIGNALS.includes('SIGINT') && STOP_SIGNALS.includes('SIGTERM') && STOP_SIGNALS.includes('SIGHUP'));
  assert.is(STOP_SIGNALS.includes('SIGBREAK'), process.platform === 'win32');
});

signals.run();
