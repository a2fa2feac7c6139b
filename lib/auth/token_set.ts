// The tokens a sign-in or refresh yields, in the shape the session agent keeps in memory, made
// from oauth4webapi's parsed token endpoint response with the clock handed in.

import type { TokenEndpointResponse } from "oauth4webapi";
import { JimError } from "../errors.ts";

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  idToken?: string;
  scope?: string;
}

/**
 * Used when the provider sends no expires_in (RFC 6749 only recommends it) and the access token
 * carries no readable exp: short enough that the agent refreshes early rather than late.
 */
export const DEFAULT_LIFETIME_SECONDS = 300;

/**
 * The longest lifetime believed: a provider's `expires_in` of 1e15 would put the expiry past the
 * largest Date (status could no longer print it, and disconnect read the status first).
 */
export const MAX_LIFETIME_SECONDS = 365 * 24 * 60 * 60;

// RFC 6749 appendix A.12 and A.17: access-token and refresh-token = 1*VSCHAR (%x20-7E). A CR,
// LF or NUL would otherwise first show up inside a header-value error that quotes the token.
const TOKEN_CHARS = /^[\x20-\x7e]+$/;

/**
 * Converts a validated token endpoint response. `now` is epoch ms at the time of the request;
 * `previousRefreshToken` is kept when a refresh response does not rotate the refresh token.
 */
export function tokenSetFromResponse(
  response: TokenEndpointResponse,
  now: number,
  previousRefreshToken?: string,
): TokenSet {
  checkTokenText(response.access_token, "access token");
  if (response.refresh_token !== undefined) checkTokenText(response.refresh_token, "refresh token");
  const given = typeof response.expires_in === "number" && Number.isFinite(response.expires_in)
    ? Math.max(0, response.expires_in)
    : jwtLifetime(response.access_token, now) ?? DEFAULT_LIFETIME_SECONDS;
  const lifetime = Math.min(given, MAX_LIFETIME_SECONDS);
  const set: TokenSet = {
    accessToken: response.access_token,
    expiresAt: now + Math.round(lifetime * 1000),
  };
  const refreshToken = response.refresh_token ?? previousRefreshToken;
  if (refreshToken !== undefined && refreshToken !== "") set.refreshToken = refreshToken;
  if (typeof response.id_token === "string") set.idToken = response.id_token;
  if (typeof response.scope === "string") set.scope = response.scope;
  return set;
}

/** Refuses a token with characters RFC 6749 does not allow; the message never quotes the token. */
function checkTokenText(token: unknown, what: string): void {
  if (typeof token !== "string" || !TOKEN_CHARS.test(token)) {
    throw new JimError(
      "protocol",
      `the ${what} the identity provider issued contains characters a token may not have ` +
        "(control or non-ASCII characters); jim refuses it",
    );
  }
}

/**
 * Seconds left according to a JWT access token's exp claim, read without verification: it only
 * schedules the next refresh, the API server is what verifies the token.
 */
function jwtLifetime(accessToken: string, now: number): number | undefined {
  const parts = accessToken.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    if (typeof exp !== "number" || !Number.isFinite(exp)) return undefined;
    return Math.max(0, exp - now / 1000);
  } catch {
    return undefined;
  }
}
