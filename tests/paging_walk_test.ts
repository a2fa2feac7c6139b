// The page walk's read-ahead: one page past the reader, never more, and a page fetched ahead that
// the reader no longer wants is cancelled.

import assert from "node:assert/strict";
import { PAGE_SIZE, streamAllPages } from "../lib/api/paging.ts";

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A list of `pages` full pages, each answered at once; records which pages were asked for. */
function instantPages(pages: number) {
  const asked: number[] = [];
  const fetchPage = (page: number, size: number) => {
    asked.push(page);
    return Promise.resolve({
      body: { items: Array(size).fill(page), totalCount: pages * size, hasNextPage: page < pages },
    });
  };
  return { asked, fetchPage };
}

Deno.test("a reader that does not keep up holds the walk to one page past it", async () => {
  const { asked, fetchPage } = instantPages(50);
  let release = () => {};
  const walk = streamAllPages(fetchPage, "GET /x", (items) => {
    if (items[0] === 3) return new Promise<void>((resolve) => release = resolve);
  });
  for (let i = 0; i < 20; i++) await turn();
  assert.deepEqual(asked, [1, 2, 3, 4], "with the reader on page 3, only page 4 is fetched ahead");
  release();
  assert.equal(await walk, 50 * PAGE_SIZE);
  assert.deepEqual(asked, Array.from({ length: 50 }, (_, i) => i + 1));
});

Deno.test("a reader that stops leaves the page fetched ahead to be cancelled, and no other is asked for", async () => {
  const { asked, fetchPage } = instantPages(50);
  let abandoned = 0;
  const count = await streamAllPages(fetchPage, "GET /x", (items) => items[0] !== 5, {
    abandon: () => abandoned++,
  });
  assert.equal(count, 5 * PAGE_SIZE);
  assert.deepEqual(asked, [1, 2, 3, 4, 5, 6]);
  assert.equal(abandoned, 1);
});
