// The page walk's read-ahead: the page after next is asked for while the next is still being
// read, never more than two past the reader, and a request the list turns out not to need is
// cancelled.

import assert from "node:assert/strict";
import { type FetchedPage, PAGE_SIZE, streamAllPages } from "../lib/api/paging.ts";

interface Call {
  page: number;
  arrive(): void;
  settle(): void;
}

/** A server of `total` items whose pages arrive and settle when the test says. */
function scripted(total: number) {
  const calls: Call[] = [];
  const fetchPage = (page: number, pageSize: number, onArrival?: () => void) =>
    new Promise<FetchedPage>((resolve) => {
      const from = (page - 1) * pageSize;
      const items = Array.from(
        { length: Math.max(0, Math.min(pageSize, total - from)) },
        (_, i) => from + i,
      );
      let arrived = false;
      const arrive = () => {
        if (!arrived) onArrival?.();
        arrived = true;
      };
      calls.push({
        page,
        arrive,
        settle: () => {
          arrive();
          resolve({
            body: { items, totalCount: total, hasNextPage: from + items.length < total },
          });
        },
      });
    });
  return { calls, fetchPage };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("the page after next is asked for once the next begins to arrive, while it is read", async () => {
  const { calls, fetchPage } = scripted(PAGE_SIZE * 5);
  const seen: number[] = [];
  const walk = streamAllPages(fetchPage, "GET /x", (items) => {
    seen.push(items.length);
  });
  await turn();
  calls[0].settle();
  await turn();
  assert.deepEqual(calls.map((c) => c.page), [1, 2], "page 1 read: page 2 asked for");
  calls[1].arrive();
  assert.deepEqual(calls.map((c) => c.page), [1, 2, 3], "page 2 arriving: page 3 asked for");
  for (let i = 1; i < 5; i++) {
    calls[i].settle();
    await turn();
  }
  assert.equal(await walk, PAGE_SIZE * 5);
  assert.deepEqual(seen, [100, 100, 100, 100, 100]);
  assert.deepEqual(calls.map((c) => c.page), [1, 2, 3, 4, 5], "no page past the last");
});

Deno.test("a request the last page turns out not to need is cancelled", async () => {
  // The first page says 250 items; the second then says the list ended at 150.
  const calls: number[] = [];
  let abandoned = 0;
  const bodies: Record<number, unknown> = {
    1: { items: Array(100).fill(0), totalCount: 250, hasNextPage: true },
    2: { items: Array(50).fill(0), totalCount: 150, hasNextPage: false },
  };
  const count = await streamAllPages(
    (page, _size, onArrival) => {
      calls.push(page);
      if (!(page in bodies)) return new Promise(() => {});
      onArrival?.();
      return Promise.resolve({ body: bodies[page] });
    },
    "GET /x",
    () => {},
    { abandon: () => abandoned++ },
  );
  assert.equal(count, 150);
  assert.deepEqual(calls, [1, 2, 3], "page 3 was asked for on a guess");
  assert.equal(abandoned, 1, "and cancelled once page 2 said it was the last");
});

Deno.test("a reader that does not keep up holds the walk to two pages past it", async () => {
  const asked: number[] = [];
  let release = () => {};
  const total = PAGE_SIZE * 50;
  const walk = streamAllPages(
    (page, size, onArrival) => {
      asked.push(page);
      onArrival?.();
      return Promise.resolve({
        body: { items: Array(size).fill(page), totalCount: total, hasNextPage: page < 50 },
      });
    },
    "GET /x",
    (items) => {
      if (items[0] === 3) return new Promise<void>((resolve) => release = resolve);
    },
  );
  for (let i = 0; i < 20; i++) await turn();
  assert.equal(Math.max(...asked), 5, `with the reader on page 3, pages ${asked} were asked for`);
  release();
  assert.equal(await walk, total);
  assert.equal(Math.max(...asked), 50);
});
