/** python3, for the labs' own programs and the forged datagrams, written in the tests. */
import { existsSync } from 'node:fs';

// The system's own interpreter starts in a tenth of a second; a version manager's shim can take seconds.
/** The python3 to run. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
