/**
 * docs/json.md read as a schema: its tables, one per event of each command and one per shared
 * object, checked against real lines. Small on purpose: what the page's tables can say (a field,
 * optional with `?`, `*` for any key, a type or `A or B`, `array of T`, `any`, a shared object's name).
 */
import { readFileSync } from 'node:fs';

export interface Row {
  path: string;
  optional: boolean;
  types: string[];
}

export interface JsonSchema {
  /** Fields on every line (time, event). */
  common: Row[];
  /** Shared objects by name. */
  shared: Map<string, Row[]>;
  /** Command → event → its fields. */
  commands: Map<string, Map<string, Row[]>>;
}

export function readSchema(path: string): JsonSchema {
  const schema: JsonSchema = { common: [], shared: new Map(), commands: new Map() };
  let rows: Row[] | undefined;
  let section: 'common' | 'shared' | 'command' | undefined;
  let command: Map<string, Row[]> | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const h2 = /^## (.*)$/.exec(line);
    if (h2) {
      const cmd = /^`udp-chat (\w+)/.exec(h2[1]!);
      rows = undefined;
      if (cmd) {
        section = 'command';
        command = new Map();
        schema.commands.set(cmd[1]!, command);
      } else if (h2[1] === 'Every line') {
        section = 'common';
        rows = schema.common;
      } else section = h2[1] === 'Shared objects' ? 'shared' : undefined;
      continue;
    }
    const h3 = /^### `([\w-]+)`/.exec(line);
    if (h3 && section === 'shared') schema.shared.set(h3[1]!, (rows = []));
    else if (h3 && section === 'command') command!.set(h3[1]!, (rows = []));
    const row = /^\| `([^`]+)` \| ([^|]+) \|/.exec(line);
    if (row && rows) {
      const optional = row[1]!.endsWith('?');
      rows.push({ path: optional ? row[1]!.slice(0, -1) : row[1]!, optional, types: row[2]!.split(' or ').map((t) => t.trim()) });
    }
  }
  return schema;
}

/** Null when `value` is of `type`; else what is wrong with it. */
function mismatch(schema: JsonSchema, value: unknown, type: string, where: string): string[] | null {
  const no = [`${where}: ${JSON.stringify(value)?.slice(0, 80)} is not ${type}`];
  if (type.startsWith('array of ')) {
    if (!Array.isArray(value)) return no;
    const inner = type.slice('array of '.length);
    const wrong = value.flatMap((v, i) => mismatch(schema, v, inner, `${where}[${i}]`) ?? []);
    return wrong.length ? wrong : null;
  }
  const simple: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    boolean: (v) => typeof v === 'boolean',
    null: (v) => v === null,
    any: () => true,
    array: (v) => Array.isArray(v),
    object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
    time: (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  };
  if (simple[type]) return simple[type](value) ? null : no;
  const shared = schema.shared.get(type);
  if (!shared) return [`${where}: docs/json.md names a type '${type}' it does not define`];
  if (!simple['object']!(value)) return no;
  const errors: string[] = [];
  checkObject(schema, value as Record<string, unknown>, shared, '', where, errors);
  return errors.length ? errors : null;
}

function checkObject(schema: JsonSchema, obj: Record<string, unknown>, rows: Row[], prefix: string, where: string, errors: string[]): void {
  for (const [key, value] of Object.entries(obj)) {
    const row = rows.find((r) => r.path === prefix + key) ?? rows.find((r) => r.path === `${prefix}*`);
    const at = `${where}.${prefix}${key}`;
    if (!row) {
      errors.push(`${at}: not in docs/json.md`);
      continue;
    }
    const wrong = row.types.map((t) => mismatch(schema, value, t, at));
    if (wrong.every((w) => w !== null)) errors.push(...(wrong.length === 1 ? wrong[0]! : [`${at}: ${JSON.stringify(value)?.slice(0, 80)} is none of ${row.types.join(', ')}`]));
    else if (row.types.includes('object') && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      checkObject(schema, value as Record<string, unknown>, rows, `${row.path === `${prefix}*` ? prefix + '*' : prefix + key}.`, where, errors);
    }
  }
  for (const row of rows) {
    const rest = row.path.slice(prefix.length);
    if (!row.path.startsWith(prefix) || rest.includes('.') || rest === '*' || row.optional) continue;
    if (!(rest in obj)) errors.push(`${where}.${row.path}: missing (docs/json.md has it without ?)`);
  }
}

/** What is wrong with one line of a command's --json output: empty when it matches the page. */
export function checkLine(schema: JsonSchema, command: string, line: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return [`not JSON: ${line.slice(0, 80)}`];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`not an object: ${line.slice(0, 80)}`];
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys[0] !== 'time' || keys[1] !== 'event') return [`time and event must come first: ${line.slice(0, 80)}`];
  const events = schema.commands.get(command);
  if (!events) return [`docs/json.md has no section for udp-chat ${command}`];
  const rows = events.get(String(obj['event']));
  if (!rows) return [`${command}: event '${String(obj['event'])}' is not in docs/json.md`];
  const errors: string[] = [];
  checkObject(schema, obj, [...schema.common, ...rows], '', `${command} ${String(obj['event'])}`, errors);
  return errors;
}
