/** Reading a command's --json output (NDJSON, docs/json.md) in tests. */

/** Every line of an NDJSON stream, parsed. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The last line of a stream (a run's `stop`, with its totals), parsed; throws when there is none. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const last = jsonLines(stdout).at(-1);
  if (!last) throw new Error(`no JSON line in: ${JSON.stringify(stdout)}`);
  return last as T;
}

/** An event without its time: what a test can compare exactly. */
export function untimed(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _time, ...rest } = line;
  return rest;
}
