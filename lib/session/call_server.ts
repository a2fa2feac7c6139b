// One API call as the agent (or stateless mode) makes it: the REST client with the session's
// credentials and the result in the agent protocol's shape; or a list endpoint's pages, one by one.

import { type Credentials, JimApiClient, redactSecrets } from "../api/http_client.ts";
import { type FetchedPageSink, streamAllPages } from "../api/paging.ts";
import type { ApiCall, ApiResult } from "./protocol.ts";
import { VERSION } from "../version.ts";

export interface CallTarget {
  url: string;
}

export interface CallOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
  /** --verbose: the client's retries (the fetch traces each HTTP step). */
  trace?: (line: string) => void;
}

export interface StreamOptions extends CallOptions {
  /** Takes each page's items (and the page); the page after next waits until it settles. */
  onPage: FetchedPageSink;
  /** Aborted when the reader has gone: the page in flight is abandoned, and no other fetched. */
  signal?: AbortSignal;
}

export async function performCall(
  target: CallTarget,
  credentials: Credentials,
  call: ApiCall,
  options: CallOptions,
): Promise<ApiResult> {
  const client = apiClient(target, credentials, options);
  const response = await client.request(
    { method: call.method, path: call.path, query: call.query, body: call.body },
    { allowErrorStatus: call.allowErrorStatus === true },
  );
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: response.body,
  };
}

/** Every page of a GET list endpoint, handed to `onPage` one at a time; returns the item count. */
export function performStream(
  target: CallTarget,
  credentials: Credentials,
  call: ApiCall,
  options: StreamOptions,
): Promise<number> {
  const { signal } = options;
  // Also ends a page fetched ahead that the walk no longer wants.
  const done = new AbortController();
  const stop = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
  const client = apiClient(target, credentials, options);
  return streamAllPages(
    client.pager(call.path, call.query, stop),
    `GET ${redactSecrets(call.path.split("?", 1)[0])}`,
    (items, page) => signal?.aborted ? false : options.onPage(items, page),
    { abandon: () => done.abort() },
  );
}

function apiClient(
  target: CallTarget,
  credentials: Credentials,
  options: CallOptions,
): JimApiClient {
  return new JimApiClient({
    baseUrl: target.url,
    credentials,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    trace: options.trace,
    userAgent: `jim/${VERSION}`,
  });
}
