// The agent's refresh: the OIDC context arrives as JSON from connect, so it is checked before use.

import { parseOidcContext } from "./oidc_client.ts";
import { refreshTokens } from "./refresh.ts";
import { tracedFetch } from "../api/traced_fetch.ts";

export async function refreshSession(
  context: unknown,
  refreshToken: string,
  instanceUrl: string,
  transport: {
    httpClient?: Deno.HttpClient;
    timeoutMs: number;
    /** --verbose of the request that caused the refresh: the grant's HTTP step, masked. */
    trace?: (line: string) => void;
  },
): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }> {
  const ctx = parseOidcContext(context);
  const tokens = await refreshTokens(ctx, refreshToken, {
    transport: {
      fetch: tracedFetch(fetch, { httpClient: transport.httpClient, trace: transport.trace }),
      timeoutMs: transport.timeoutMs,
    },
    instanceUrl,
  });
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}
