// Walks every page of a JIM list endpoint. JIM pages with `page` (1-based) and `pageSize` (at most
// 100) and answers with an envelope { items, totalCount, page, pageSize, hasNextPage }; some
// endpoints answer with a bare array, which is the whole list.

import { JimError } from "../errors.ts";

export const PAGE_SIZE = 100;
/** A guard against a server that never stops paging; JIM itself refuses to skip 1,000,000 rows. */
export const MAX_PAGES = 20_000;

/** One page as fetched: its parsed JSON, and the bytes it came as when the fetcher keeps them. */
export interface FetchedPage {
  readonly body: unknown;
  readonly bytes?: Uint8Array;
}

/**
 * Fetches one page; `page` counts from 1. `onArrival`, when given, is called as a successful
 * answer begins to arrive, before its body is read and parsed.
 */
export type PageFetcher = (
  page: number,
  pageSize: number,
  onArrival?: () => void,
) => Promise<FetchedPage>;

/**
 * Takes one page's items. Returning false ends the walk: the reader wants no more (its output
 * was closed), so no further page is fetched.
 */
export type PageSink = (items: unknown[]) => boolean | void | Promise<boolean | void>;

/** A sink that also takes the page the items came in (the agent forwards its bytes). */
export type FetchedPageSink = (
  items: unknown[],
  page: FetchedPage,
) => boolean | void | Promise<boolean | void>;

export interface WalkOptions {
  /** Cancels a page fetched ahead that is not wanted (the reader stopped, or failed). */
  abandon?: () => void;
  /**
   * The sink starts I/O before any long work of its own (the agent writes each page to its
   * socket), so the event loop turns there and the page fetched ahead goes out without help.
   */
  sinkAwaitsIo?: boolean;
}

/**
 * Hands each page's items to `onPage` as it arrives. The next page is fetched while `onPage`
 * works on this one (the server's time and the reader's then overlap: measured, a long export
 * takes a third less). The one after is asked for as soon as the next begins to arrive, when the
 * pages read so far say the list goes on, so the server works while that page is read and
 * parsed; if it turns out to be the last, the extra request is cancelled. No more than two pages
 * are ever fetched past the one with the reader: a slow reader slows the walk. Returns how many
 * items were handed over.
 */
export async function streamAllPages(
  fetchPage: PageFetcher,
  describe: string,
  onPage: FetchedPageSink,
  options: WalkOptions = {},
): Promise<number> {
  const { abandon = () => {}, sinkAwaitsIo = false } = options;
  const first = await fetchPage(1, PAGE_SIZE);
  if (Array.isArray(first.body)) {
    await onPage(first.body, first);
    return first.body.length;
  }
  let count = 0;
  let fetched = first;
  let envelope = pageEnvelope(first.body, describe);
  /** The page with the reader, or about to be. */
  let reading = 1;
  const requested = new Map<number, Promise<FetchedPage>>();
  // What the pages read so far say: whether the list goes on past `page`.
  const goesPast = (page: number) =>
    envelope.hasNextPage !== false && envelope.items.length > 0 &&
    count + envelope.items.length * (page - reading) < envelope.totalCount;
  const request = (page: number) => {
    if (requested.has(page) || page > MAX_PAGES || page > reading + 2) return;
    const pending = fetchPage(page, PAGE_SIZE, () => {
      if (goesPast(page)) request(page + 1);
    });
    // Its failure is taken up once the page is wanted; until then it must not go unhandled.
    pending.catch(() => {});
    requested.set(page, pending);
  };
  let turn: EventLoopTurn | undefined;
  try {
    for (let page = 1;; page++) {
      reading = page;
      count += envelope.items.length;
      const more = count < envelope.totalCount && envelope.hasNextPage !== false &&
        envelope.items.length > 0;
      if (more) request(page + 1);
      const ahead = requested.get(page + 1);
      if (ahead && !sinkAwaitsIo) await (turn ??= new EventLoopTurn()).next();
      if (await onPage(envelope.items, fetched) === false || !more) return count;
      if (ahead === undefined) {
        throw new JimError("protocol", `${describe} kept returning pages after ${MAX_PAGES} pages`);
      }
      fetched = await ahead;
      requested.delete(page + 1);
      envelope = pageEnvelope(fetched.body, describe);
    }
  } finally {
    turn?.close();
    if (requested.size > 0) abandon();
  }
}

/** Every item in one array, for callers that need the whole list at once. */
export async function collectAllPages<T>(
  fetchPage: (page: number, pageSize: number) => Promise<unknown>,
  describe: string,
): Promise<T[]> {
  const items: T[] = [];
  const fetchBody: PageFetcher = async (page, pageSize) => ({
    body: await fetchPage(page, pageSize),
  });
  await streamAllPages(fetchBody, describe, (page) => {
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

/**
 * Lets the event loop turn once, and only once. Deno sends a request only when the event loop
 * runs, not while a page is being worked on synchronously, so a page fetched ahead would
 * otherwise go out only after it; a timer would wait a millisecond or more per page.
 */
class EventLoopTurn {
  readonly #channel = new MessageChannel();
  #resolve: () => void = () => {};

  constructor() {
    this.#channel.port1.onmessage = () => this.#resolve();
  }

  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#channel.port2.postMessage(null);
    });
  }

  close(): void {
    this.#channel.port1.close();
    this.#channel.port2.close();
  }
}
