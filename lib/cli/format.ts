// Output formatting: an object as an aligned `Name : Value` list, a list of objects as a table,
// or JSON. Booleans print as True/False and null as empty, as PowerShell's formatters do.
// Names and values both come from the server, so both are made safe for a terminal.

import { oneLineText } from "../text.ts";

export type Row = Record<string, unknown>;

// A nested value deeper than this prints as "..." (no server object needs more to be read).
const MAX_DEPTH = 4;

export function formatValue(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return "";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (depth >= MAX_DEPTH) return "...";
  if (Array.isArray(value)) return value.map((item) => formatValue(item, depth + 1)).join(", ");
  if (typeof value === "object") return formatObject(value as Row, depth);
  return String(value);
}

/**
 * A nested object as text: a reference such as JIM's ConnectorReferenceDto ({id, name}) or an
 * object type ({id, name, ...}) reads as `Name (Id)`; anything else as `Key=Value; Key=Value`.
 */
function formatObject(row: Row, depth: number): string {
  const name = fieldOf(row, "name");
  const id = fieldOf(row, "id");
  if (typeof name === "string" && (typeof id === "number" || typeof id === "string")) {
    return `${name} (${id})`;
  }
  return Object.entries(row)
    .map(([key, value]) => `${pascalCase(key)}=${formatValue(value, depth + 1)}`)
    .join("; ");
}

function fieldOf(row: Row, name: string): unknown {
  const key = Object.keys(row).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : row[key];
}

export function formatList(row: Row): string {
  const names = Object.keys(row).map((name) => oneLineText(name, 80));
  if (names.length === 0) return "";
  const values = Object.values(row);
  const width = Math.max(...names.map((name) => name.length));
  return names.map((name, i) =>
    `${name.padEnd(width)} : ${oneLineText(formatValue(values[i]), 2000)}`.trimEnd()
  )
    .join("\n");
}

export function formatTable(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return "";
  const cols = columns ?? scalarColumns(rows);
  const titles = cols.map((col) => oneLineText(col, 80));
  // A cell shows server data: one line, no control characters, no terminal escapes.
  const cells = rows.map((row) => cols.map((col) => oneLineText(formatValue(row[col]))));
  const widths = titles.map((title, i) =>
    Math.max(title.length, ...cells.map((line) => line[i].length))
  );
  const render = (values: string[]) =>
    values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i])))
      .join(" ").trimEnd();
  return [
    render(titles),
    render(titles.map((title) => "-".repeat(title.length))),
    ...cells.map(render),
  ].join("\n");
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** camelCase wire names to the PascalCase names PowerShell shows, in the server's order. */
export function pascalCaseKeys(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[pascalCase(key)] = value;
  return out;
}

/** The same at every depth, for JSON output: `--json` names what the list output names. */
export function pascalCaseDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalCaseDeep);
  if (value === null || typeof value !== "object") return value;
  const out: Row = {};
  // Object.keys, not Object.entries: a long export renames every key of a million items, and
  // the [key, value] pairs were four fifths of the time (measured).
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    out[pascalCaseCached(keys[i])] = pascalCaseDeep((value as Row)[keys[i]]);
  }
  return out;
}

// The same few names come in every item; the server names them, so the cache is bounded.
const PASCAL_CACHE_LIMIT = 1000;
const pascalNames = new Map<string, string>();

function pascalCaseCached(key: string): string {
  let name = pascalNames.get(key);
  if (name === undefined) {
    name = pascalCase(key);
    if (pascalNames.size < PASCAL_CACHE_LIMIT) pascalNames.set(key, name);
  }
  return name;
}

function pascalCase(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

export function scalarColumns(rows: Row[]): string[] {
  const cols: string[] = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (cols.includes(key)) continue;
      if (value === null || typeof value !== "object") cols.push(key);
    }
  }
  return cols;
}
