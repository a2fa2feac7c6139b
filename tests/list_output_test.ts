// The page-by-page writers print exactly what the whole list printed at once: JSON byte for byte
// as formatJson, however the list is cut into pages, and tables as formatTable up to the rows
// they align; past those, every row still comes out once, in order.

import assert from "node:assert/strict";
import { formatJson, formatTable, type Row } from "../lib/cli/format.ts";
import { JsonArrayWriter, TableWriter } from "../lib/cli/list_output.ts";

/** What the writer printed, through an `out` that adds a missing newline as Io.out does. */
function written(pages: unknown[][]): string {
  let text = "";
  const writer = new JsonArrayWriter((chunk) =>
    text += chunk.endsWith("\n") ? chunk : `${chunk}\n`
  );
  for (const page of pages) writer.add(page);
  writer.end();
  return text;
}

const ITEMS: unknown[] = [
  { id: 1, name: "HR Feed 01", tags: ["a", "b"], nested: { deep: [{ x: 1 }, []] } },
  { id: 2, name: "comma,\n  and indent in a string", empty: {} },
  7,
  "text",
  null,
  [1, [2, 3]],
  { id: 3, list: [{ a: 1 }, { b: 2 }] },
  {},
  [],
];

Deno.test("JSON array: every way of cutting the list into pages prints formatJson's bytes", () => {
  assert.equal(written([]), `${formatJson([])}\n`);
  assert.equal(written([[], []]), `${formatJson([])}\n`);
  for (let size = 1; size <= ITEMS.length; size++) {
    const pages: unknown[][] = [[]];
    for (let i = 0; i < ITEMS.length; i += size) pages.push(ITEMS.slice(i, i + size), []);
    assert.equal(written(pages), `${formatJson(ITEMS)}\n`, `pages of ${size}`);
  }
  for (const item of ITEMS) assert.equal(written([[item]]), `${formatJson([item])}\n`);
});

Deno.test("JSON array: nothing is written before the first item, and it stays open until end()", () => {
  const chunks: string[] = [];
  const writer = new JsonArrayWriter((chunk) => chunks.push(chunk));
  writer.add([]);
  assert.deepEqual(chunks, []);
  writer.add([{ id: 1 }, { id: 2 }]);
  writer.add([{ id: 3 }]);
  const cut = chunks.join("");
  assert.throws(() => JSON.parse(cut), SyntaxError);
  assert.ok(!cut.includes('"id": 3'), "the last item waits for the next page or the end");
  writer.end();
  assert.deepEqual(JSON.parse(chunks.join("\n")), [{ id: 1 }, { id: 2 }, { id: 3 }]);
});

const rows = (from: number, count: number, name = (id: number) => `System ${id}`): Row[] =>
  Array.from(
    { length: count },
    (_, i) => ({ Id: from + i, Name: name(from + i), Status: "Active" }),
  );

function table(pages: Row[][], alignRows: number): string {
  const chunks: string[] = [];
  const writer = new TableWriter(
    (chunk) => chunks.push(chunk),
    () => ["Id", "Name", "Status"],
    alignRows,
  );
  for (const page of pages) writer.add(page);
  writer.end();
  return chunks.join("\n");
}

Deno.test("table: up to the rows it aligns, formatTable's output; nothing for no rows", () => {
  const all = rows(1, 250);
  assert.equal(
    table([all.slice(0, 100), all.slice(100, 200), all.slice(200)], 250),
    formatTable(all, ["Id", "Name", "Status"]),
  );
  assert.equal(table([[], []], 10), "");
});

Deno.test("table: past the rows it aligns, every row once, in order, under the first rows' widths", () => {
  const long = (id: number) =>
    id === 40 ? "A much longer system name than the rest" : `System ${id}`;
  const all = rows(1, 50, long);
  const out = table([all.slice(0, 20), all.slice(20, 35), all.slice(35)], 25);
  const lines = out.split("\n");
  assert.equal(lines.length, 52);
  assert.match(lines[0], /^Id Name {6}Status$/);
  assert.deepEqual(lines.slice(2).map((line) => Number(line.split(" ")[0])), all.map((r) => r.Id));
  // Row 40 is wider than the widths taken from the first 25: it pushes its row, nothing is cut.
  assert.ok(lines.some((line) => line.includes("A much longer system name than the rest Active")));
  const column = lines[0].indexOf("Status");
  for (const line of lines.slice(2).filter((line) => !line.includes("much longer"))) {
    assert.equal(line.indexOf("Active"), column, line);
  }
});
