// The agent's refresh: the OIDC context arrives as JSON from connect, so it is checked before use.

import { parseOidcContext } from "./oidc_client.ts";
import { refreshTokens } from "./refresh.ts";

export async function refreshSession(
  context: unknown,
  refreshToken: string,
  instanceUrl: string,
  transport: { httpClient?: Deno.HttpClient; timeoutMs: number },
): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }> {
  const ctx = parseOidcContext(context);
  const { httpClient } = transport;
  const fetchFn = httpClient
    ? (url: string, init: RequestInit) => fetch(url, { ...init, client: httpClient })
    : undefined;
  const tokens = await refreshTokens(ctx, refreshToken, {
    transport: { fetch: fetchFn, timeoutMs: transport.timeoutMs },
    instanceUrl,
  });
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}
