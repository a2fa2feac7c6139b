// The agent's refresh: the OIDC context arrives as JSON from connect, so it is checked before use.

import { parseOidcContext } from "./oidc_client.ts";
import { refreshTokens } from "./refresh.ts";

export async function refreshSession(
  context: unknown,
  refreshToken: string,
  instanceUrl: string,
  httpClient?: Deno.HttpClient,
): Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }> {
  const ctx = parseOidcContext(context);
  const transport = httpClient
    ? { fetch: (url: string, init: RequestInit) => fetch(url, { ...init, client: httpClient }) }
    : {};
  const tokens = await refreshTokens(ctx, refreshToken, { transport, instanceUrl });
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
}
