// The printed report: one table per section (median, spread, runs, ratio to the runtime floor),
// notes under each table, and the budget checks. Printing only; nothing here measures.

import type { Timing } from "./hyperfine.ts";

export interface Row {
  name: string;
  timing?: Timing;
  /** Shown instead of a timing (a measurement that could not be taken, with the reason). */
  missing?: string;
  /** Whether the "x floor" column applies (default true). */
  ratio?: boolean;
}

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

export interface Budget {
  label: string;
  /** null: not measured in this run. */
  pass: boolean | null;
  detail: string;
}

export function newSection(title: string): Section {
  return { title, rows: [], notes: [] };
}

export function ratioText(value: number, floor: number | undefined): string {
  return floor ? `${(value / floor).toFixed(2)}x` : "-";
}

export function ms(value: number): string {
  return value < 0.1 ? value.toFixed(3) : value.toFixed(1);
}

export function printSection(section: Section, floorMs: number | undefined): void {
  console.log(`\n## ${section.title}\n`);
  if (section.rows.length > 0) {
    const header = ["name", "median ms", "± sd", "runs", "x floor"];
    const body = section.rows.map((row) =>
      row.timing
        ? [
          row.name,
          ms(row.timing.median),
          ms(row.timing.stddev),
          String(row.timing.runs),
          row.ratio === false ? "-" : ratioText(row.timing.median, floorMs),
        ]
        : [row.name, "n/a", "", "", row.missing ?? ""]
    );
    printTable(header, body);
  }
  if (section.notes.length > 0) {
    if (section.rows.length > 0) console.log("");
    for (const note of section.notes) console.log(note);
  }
}

export function printBudgets(budgets: Budget[]): void {
  console.log("\n## Budgets (reported, never enforced: the exit code ignores them)\n");
  for (const budget of budgets) {
    const verdict = budget.pass === null ? "N/A " : budget.pass ? "PASS" : "FAIL";
    console.log(`${verdict}  ${budget.label}: ${budget.detail}`);
  }
}

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  // Text columns left-aligned, numbers right-aligned; the last column may carry a reason.
  const cell = (text: string, i: number) =>
    i === 0 || i === header.length - 1 ? text.padEnd(widths[i]) : text.padStart(widths[i]);
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of body) console.log(line(row));
}
