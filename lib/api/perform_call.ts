// One API call as the agent (or stateless mode) makes it: the REST client with the session's
// credentials, paging when asked, and the result in the agent protocol's shape.

import { JimApiClient } from "./http_client.ts";
import type { ApiCall, ApiResult } from "../session/protocol.ts";
import type { Credentials } from "../session/session_holder.ts";
import { VERSION } from "../version.ts";

export interface CallTarget {
  url: string;
  caCertPem?: string;
}

export interface CallOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
  /** The HTTP client carrying a custom CA, when one is configured. */
  httpClient?: Deno.HttpClient;
}

export async function performCall(
  target: CallTarget,
  credentials: Credentials,
  call: ApiCall,
  options: CallOptions,
): Promise<ApiResult> {
  const client = new JimApiClient({
    baseUrl: target.url,
    credentials,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    client: options.httpClient,
    userAgent: `jim/${VERSION}`,
  });
  if (call.paginate) {
    const items = await client.listAll(call.path, call.query);
    return { status: 200, statusText: "OK", headers: {}, body: items };
  }
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

/** JIM_HTTP_TIMEOUT seconds (default 30), validated. */
export function httpTimeoutMs(env: { get(name: string): string | undefined }): number {
  const raw = env.get("JIM_HTTP_TIMEOUT");
  if (raw === undefined || raw === "") return 30_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) return 30_000;
  return Math.round(seconds * 1000);
}
