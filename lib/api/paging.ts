// Collects every item of a JIM list endpoint. JIM pages with `page` (1-based) and `pageSize` (at
// most 100) and answers with an envelope { items, totalCount, page, pageSize, hasNextPage }; some
// endpoints answer with a bare array, which is the whole list.

import { JimError } from "../errors.ts";

export const PAGE_SIZE = 100;
/** A guard against a server that never stops paging; JIM itself refuses to skip 1,000,000 rows. */
export const MAX_PAGES = 20_000;

/** Fetches one page; `page` counts from 1. */
export type PageFetcher = (page: number, pageSize: number) => Promise<unknown>;

export async function collectAllPages<T>(fetchPage: PageFetcher, describe: string): Promise<T[]> {
  const first = await fetchPage(1, PAGE_SIZE);
  if (Array.isArray(first)) return first as T[];
  const items: T[] = [];
  let envelope = pageEnvelope(first, describe);
  for (let page = 1;; page++) {
    items.push(...(envelope.items as T[]));
    const more = items.length < envelope.totalCount && envelope.hasNextPage !== false;
    if (!more || envelope.items.length === 0) return items;
    if (page >= MAX_PAGES) {
      throw new JimError("protocol", `${describe} kept returning pages after ${MAX_PAGES} pages`);
    }
    envelope = pageEnvelope(await fetchPage(page + 1, PAGE_SIZE), describe);
  }
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
