// Token revocation (RFC 7009) for a public client: disconnect asks the identity provider to
// invalidate the refresh token before jim forgets it. A provider that refuses or does not answer
// in time must never stop the local forget, so every outcome is a value, never a throw. The
// token is sent in the request body only; no outcome ever carries it.

import { withDeadline } from "../deadline.ts";
import { JimError } from "../errors.ts";
import { fetchAuthConfig, type FetchFn } from "./auth_config.ts";
import {
  discoverOidc,
  loadOauth,
  oauthClient,
  type OidcContext,
  type OidcTransport,
  parseOidcContext,
  requestOptions,
} from "./oidc_client.ts";
import { oauthErrorCode } from "./oauth_errors.ts";
import { printable } from "./safe_text.ts";
import { tracedFetch } from "../api/traced_fetch.ts";

/** What became of one refresh token at its provider. */
export type Revocation =
  | { outcome: "revoked" }
  /** Discovery lists no revocation_endpoint (Entra ID, for one). */
  | { outcome: "unsupported" }
  | { outcome: "failed"; reason: string };

/** The whole attempt (auth/config, discovery, revocation) gets this long. */
export const REVOKE_TIMEOUT_MS = 5_000;

/** Revokes `refreshToken` at the provider `ctx` describes. */
export async function revokeRefreshToken(
  ctx: OidcContext,
  refreshToken: string,
  transport: OidcTransport = {},
): Promise<Revocation> {
  if (typeof ctx.as.revocation_endpoint !== "string") return { outcome: "unsupported" };
  return await bounded(async () => {
    const oauth = await loadOauth();
    const options = await requestOptions(ctx, { timeoutMs: REVOKE_TIMEOUT_MS, ...transport });
    const response = await oauth.revocationRequest(
      ctx.as,
      oauthClient(ctx),
      oauth.None(),
      refreshToken,
      { ...options, additionalParameters: { token_type_hint: "refresh_token" } },
    );
    await oauth.processRevocationResponse(response);
    return { outcome: "revoked" };
  });
}

/** The agent's revocation: the context arrives as JSON from connect and is checked first. */
export function revokeSessionToken(
  context: unknown,
  refreshToken: string,
  transport: { httpClient?: Deno.HttpClient },
): Promise<Revocation> {
  let ctx: OidcContext;
  try {
    ctx = parseOidcContext(context);
  } catch {
    return Promise.resolve({
      outcome: "failed",
      reason: "the session has no usable sign-in context",
    });
  }
  return revokeRefreshToken(ctx, refreshToken, {
    fetch: tracedFetch(fetch, { httpClient: transport.httpClient }),
  });
}

/**
 * A stored sign-in with no session behind it: the JIM server at `baseUrl` names its provider
 * (auth/config, then discovery), as at connect. All of it within REVOKE_TIMEOUT_MS.
 */
export function revokeStoredToken(
  baseUrl: string,
  refreshToken: string,
  fetchFn: FetchFn,
): Promise<Revocation> {
  return bounded(async () => {
    const config = await fetchAuthConfig(baseUrl, fetchFn, { timeoutMs: REVOKE_TIMEOUT_MS });
    const ctx = await discoverOidc(config, { fetch: fetchFn, timeoutMs: REVOKE_TIMEOUT_MS });
    return await revokeRefreshToken(ctx, refreshToken, { fetch: fetchFn });
  });
}

/** Runs `work` under the overall bound; any failure becomes a reason in plain words. */
function bounded(work: () => Promise<Revocation>): Promise<Revocation> {
  return withDeadline(
    work().catch((error): Revocation => ({ outcome: "failed", reason: failureReason(error) })),
    REVOKE_TIMEOUT_MS,
    (): Revocation => ({ outcome: "failed", reason: timeoutReason() }),
  );
}

function timeoutReason(): string {
  return `no answer within ${REVOKE_TIMEOUT_MS / 1000} s`;
}

/**
 * Why revocation failed, from fixed texts and the provider's status and error code only: an
 * error object might quote the request, and the request holds the token.
 */
export function failureReason(error: unknown): string {
  if (error instanceof JimError) return error.message;
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
    status?: unknown;
    cause?: unknown;
  };
  if (e.name === "TimeoutError" || e.name === "AbortError") return timeoutReason();
  const code = oauthErrorCode(error);
  const status = typeof e.status === "number"
    ? e.status
    : typeof (e.cause as { status?: unknown } | undefined)?.status === "number"
    ? (e.cause as { status: number }).status
    : undefined;
  if (code !== undefined) {
    return `refused: HTTP ${status ?? "error"} ${printable(code, 60)}`;
  }
  if (status !== undefined) return `refused: HTTP ${status}`;
  if (e.code === "OAUTH_HTTP_REQUEST_FORBIDDEN" || e.code === "OAUTH_REQUEST_PROTOCOL_FORBIDDEN") {
    return "the revocation endpoint does not use https://";
  }
  if (error instanceof TypeError) return "the identity provider could not be reached";
  return "the identity provider's answer was not understood";
}
