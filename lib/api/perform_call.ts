// One API call as the agent (or stateless mode) makes it: the REST client with the session's
// credentials, paging when asked, and the result in the agent protocol's shape.

import { JimApiClient } from "./http_client.ts";
import type { ApiCall, ApiResult } from "../session/protocol.ts";
import type { Credentials } from "../session/session_holder.ts";
import { VERSION } from "../version.ts";

export interface CallTarget {
  url: string;
}

export interface CallOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
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
