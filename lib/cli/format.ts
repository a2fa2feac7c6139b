// Output formatting: an object as an aligned `Name : Value` list, a list of objects as a table,
// or JSON. Booleans print as True/False and null as empty, as PowerShell's formatters do.

import { oneLineText } from "../text.ts";

export type Row = Record<string, unknown>;

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `{${value.map(formatValue).join(", ")}}`;
  return JSON.stringify(value);
}

export function formatList(row: Row): string {
  const names = Object.keys(row);
  if (names.length === 0) return "";
  const width = Math.max(...names.map((name) => name.length));
  return names.map((name) =>
    `${name.padEnd(width)} : ${oneLineText(formatValue(row[name]), 2000)}`.trimEnd()
  )
    .join("\n");
}

export function formatTable(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return "";
  const cols = columns ?? scalarColumns(rows);
  // A cell shows server data: one line, no control characters, no terminal escapes.
  const cells = rows.map((row) => cols.map((col) => oneLineText(formatValue(row[col]))));
  const widths = cols.map((col, i) => Math.max(col.length, ...cells.map((line) => line[i].length)));
  const render = (values: string[]) =>
    values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i])))
      .join(" ").trimEnd();
  return [
    render(cols),
    render(cols.map((col) => "-".repeat(col.length))),
    ...cells.map(render),
  ].join("\n");
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** camelCase wire names to the PascalCase names PowerShell shows. */
export function pascalCaseKeys(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) {
    out[key.charAt(0).toUpperCase() + key.slice(1)] = value;
  }
  return out;
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
