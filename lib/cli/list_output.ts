// Long listings written as their pages arrive: a JSON array item by item, and a table whose
// column widths come from its first rows. Memory stays bounded however long the list is.

import { formatTable, formatValue, type Row, scalarColumns } from "./format.ts";
import { oneLineText } from "../text.ts";

/**
 * A JSON array written item by item, byte for byte what formatJson(allItems) prints. Nothing is
 * written before the first item (or end()), so a failure on the first page leaves stdout empty;
 * a failure later leaves the array unclosed, so no parser mistakes it for the whole list.
 */
export class JsonArrayWriter {
  readonly #out: (text: string) => void;
  /** The last item seen: whether a comma follows it is known only when the next one comes. */
  #held: string | null = null;

  constructor(out: (text: string) => void) {
    this.#out = out;
  }

  add(items: unknown[]): void {
    if (items.length === 0) return;
    // One call per page: the page as a JSON array holds its items as the whole list shows them.
    const body = JSON.stringify(items, null, 2).slice(2, -2);
    const split = lastTopLevelComma(body);
    let text = this.#held === null ? "[\n" : `${this.#held},\n`;
    if (split >= 0) text += `${body.slice(0, split)},\n`;
    // The last item is held back: only the next one tells whether a comma follows it.
    this.#held = split >= 0 ? body.slice(split + 2) : body;
    this.#out(text);
  }

  end(): void {
    this.#out(this.#held === null ? "[]" : `${this.#held}\n]`);
  }
}

/**
 * Where the last item of a list's indented body begins, less its ",\n": between two items comes
 * ",\n" and an indent of exactly two spaces (a nested item's is deeper; a string holds no raw
 * newline). -1 for a single item.
 */
function lastTopLevelComma(body: string): number {
  let at = body.lastIndexOf(",\n  ");
  while (at >= 0 && body[at + 4] === " ") at = body.lastIndexOf(",\n  ", at - 1);
  return at;
}

/**
 * Rows as formatTable prints them. Up to `alignRows` rows are held and aligned together, which
 * covers every list a person reads; past that the widths are those of the first rows, the rows
 * are written as they come, and a wider cell pushes the rest of its row right (nothing is cut).
 */
export class TableWriter {
  readonly #out: (text: string) => void;
  readonly #columns: (rows: Row[]) => string[] | undefined;
  readonly #alignRows: number;
  #held: Row[] = [];
  #layout: { columns: string[]; widths: number[] } | null = null;

  constructor(
    out: (text: string) => void,
    columns: (rows: Row[]) => string[] | undefined,
    alignRows = 1000,
  ) {
    this.#out = out;
    this.#columns = columns;
    this.#alignRows = alignRows;
  }

  add(rows: Row[]): void {
    if (rows.length === 0) return;
    if (this.#layout) {
      this.#out(rows.map((row) => this.#render(cellsOf(row, this.#layout!.columns))).join("\n"));
      return;
    }
    this.#held.push(...rows);
    if (this.#held.length <= this.#alignRows) return;
    const held = this.#held;
    this.#held = [];
    const columns = this.#columns(held) ?? scalarColumns(held);
    // As formatTable: the titles, like the cells, are made safe for a terminal.
    const titles = columns.map((col) => oneLineText(col, 80));
    const cells = held.map((row) => cellsOf(row, columns));
    const widths = titles.map((title, i) =>
      Math.max(title.length, ...cells.map((line) => line[i].length))
    );
    this.#layout = { columns, widths };
    this.#out(
      [
        this.#render(titles),
        this.#render(titles.map((title) => "-".repeat(title.length))),
        ...cells.map((line) => this.#render(line)),
      ].join("\n"),
    );
  }

  end(): void {
    if (this.#layout || this.#held.length === 0) return;
    this.#out(formatTable(this.#held, this.#columns(this.#held)));
    this.#held = [];
  }

  #render(values: string[]): string {
    const widths = this.#layout!.widths;
    return values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i])))
      .join(" ").trimEnd();
  }
}

function cellsOf(row: Row, columns: string[]): string[] {
  // A cell shows server data: one line, no control characters, no terminal escapes.
  return columns.map((col) => oneLineText(formatValue(row[col])));
}
