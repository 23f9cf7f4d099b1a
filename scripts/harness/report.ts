/** What the scripts print: medians and quantiles, ratios and percentages, text tables, JSON. */

/** The median of the values that are numbers (NaN when there are none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of already sorted samples. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** a / b, NaN when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? NaN : a / b;
}

/** `1.23x`, or `-` for NaN. */
export function times(v: number): string {
  return Number.isNaN(v) ? '-' : `${v.toFixed(2)}x`;
}

/** A fixed-point number, or `-` for NaN. */
export function fixed(v: number, digits: number): string {
  return Number.isNaN(v) ? '-' : v.toFixed(digits);
}

/** A whole percentage, or `-` for NaN. */
export function percent(v: number): string {
  return Number.isNaN(v) ? '-' : `${Math.round(v)}%`;
}

/** A rounded count with thousands separators: `12,345`. */
export function count(v: number): string {
  return Number.isNaN(v) ? '-' : Math.round(v).toLocaleString('en-US');
}

/** PASS or MISS, for a target. */
export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'MISS';
}

/** Formats rows as a text table: the first two columns left-aligned, the rest right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `key  value` lines, the keys padded to one width. */
export function keyValues(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Writes the result as indented JSON, or the text report. */
export function print(json: boolean, data: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}
