/**
 * How this process was started, so the lines it suggests (`join with: udp-chat chat ...`) run
 * as typed in the same terminal: `udp-chat` is on the PATH only once installed; from npx it is
 * `npx udp-chat`, from a clone `node dist/src/cli/main.js`.
 */
import { basename, isAbsolute, relative } from 'node:path';

/**
 * The command that runs udp-chat again, as this one was run:
 * - through npx or `npm exec` (npm sets npm_command=exec, npm_lifecycle_event=npx): `npx udp-chat`;
 * - `npm run dev -- serve` in a clone: `npm run dev --`;
 * - `node .../main.js` (a clone, or a path to the package): `node PATH`, PATH relative to where
 *   the user typed it (npm's INIT_CWD under npm, else the working directory) when it is below it;
 * - the installed `udp-chat` bin: `udp-chat`, or `npx udp-chat` from an npm script, whose PATH
 *   the user's shell does not have.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1], cwd: string = process.cwd()): string {
  if (env['npm_command'] === 'exec' || env['npm_lifecycle_event'] === 'npx') return 'npx udp-chat';
  if (script !== undefined && /\.[cm]?js$/.test(basename(script))) {
    if (env['npm_lifecycle_event'] === 'dev') return 'npm run dev --';
    const from = env['INIT_CWD'] || cwd;
    const shown = relative(from, script);
    const path = shown === '' || shown.startsWith('..') || isAbsolute(shown) ? script : shown;
    return `node ${/\s/.test(path) ? `'${path}'` : path}`;
  }
  return env['npm_lifecycle_event'] ? 'npx udp-chat' : 'udp-chat';
}
