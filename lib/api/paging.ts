// Walks every page of a JIM list endpoint. JIM pages with `page` (1-based) and `pageSize` (at most
// 100) and answers with an envelope { items, totalCount, page, pageSize, hasNextPage }; some
// endpoints answer with a bare array, which is the whole list.

import { JimError } from "../errors.ts";

export const PAGE_SIZE = 100;
/** A guard against a server that never stops paging; JIM itself refuses to skip 1,000,000 rows. */
export const MAX_PAGES = 20_000;

/** Fetches one page; `page` counts from 1. */
export type PageFetcher = (page: number, pageSize: number) => Promise<unknown>;

/**
 * Takes one page's items. Returning false ends the walk: the reader wants no more (its output
 * was closed), so no further page is fetched.
 */
export type PageSink = (items: unknown[]) => boolean | void | Promise<boolean | void>;

/**
 * Hands each page's items to `onPage` as it arrives, and fetches the next page only once
 * `onPage` has settled, so a slow reader slows the walk instead of piling pages up in memory.
 * Returns how many items were handed over.
 */
export async function streamAllPages(
  fetchPage: PageFetcher,
  describe: string,
  onPage: PageSink,
): Promise<number> {
  const first = await fetchPage(1, PAGE_SIZE);
  if (Array.isArray(first)) {
    await onPage(first);
    return first.length;
  }
  let count = 0;
  let envelope = pageEnvelope(first, describe);
  for (let page = 1;; page++) {
    count += envelope.items.length;
    if (await onPage(envelope.items) === false) return count;
    const more = count < envelope.totalCount && envelope.hasNextPage !== false;
    if (!more || envelope.items.length === 0) return count;
    if (page >= MAX_PAGES) {
      throw new JimError("protocol", `${describe} kept returning pages after ${MAX_PAGES} pages`);
    }
    envelope = pageEnvelope(await fetchPage(page + 1, PAGE_SIZE), describe);
  }
}

/** Every item in one array, for callers that need the whole list at once. */
export async function collectAllPages<T>(fetchPage: PageFetcher, describe: string): Promise<T[]> {
  const items: T[] = [];
  await streamAllPages(fetchPage, describe, (page) => {
    items.push(...(page as T[]));
  });
  return items;
}

interface PageEnvelope {
  readonly items: unknown[];
  readonly totalCount: number;
  readonly hasNextPage?: boolean;
}

function pageEnvelope(value: unknown, describe: string): PageEnvelope {
  const record = value !== null && typeof value === "object"
    ? value as Record<string, unknown>
    : {};
  const { items, totalCount, hasNextPage } = record;
  if (
    !Array.isArray(items) || typeof totalCount !== "number" || !Number.isFinite(totalCount) ||
    totalCount < 0
  ) {
    throw new JimError(
      "protocol",
      `${describe} did not return a list: expected an array or a paged object with items and totalCount`,
    );
  }
  return {
    items,
    totalCount,
    hasNextPage: typeof hasNextPage === "boolean" ? hasNextPage : undefined,
  };
}
