// The refresh token grant, used by the session agent (proactive and on 401) and by a silent
// reconnect. Callers make it single-flight: with rotation, two concurrent refreshes with the same
// token can revoke the whole token family.

import { JimError } from "../errors.ts";
import { oauthErrorCode, toJimError } from "./oauth_errors.ts";
import {
  loadOauth,
  oauthClient,
  type OidcContext,
  type OidcTransport,
  requestOptions,
} from "./oidc_client.ts";
import { type TokenSet, tokenSetFromResponse } from "./token_set.ts";

export interface RefreshDeps {
  /** Epoch ms; default Date.now. */
  readonly clock?: () => number;
  readonly transport?: OidcTransport;
  /** The JIM URL, for the "sign in again" advice. */
  readonly instanceUrl?: string;
}

export async function refreshTokens(
  ctx: OidcContext,
  refreshToken: string,
  deps: RefreshDeps = {},
): Promise<TokenSet> {
  if (refreshToken === "") throw new JimError("auth_failed", expiredMessage(deps.instanceUrl));
  const clock = deps.clock ?? Date.now;
  const oauth = await loadOauth();
  const client = oauthClient(ctx);
  const now = clock();
  try {
    const response = await oauth.refreshTokenGrantRequest(
      ctx.as,
      client,
      oauth.None(),
      refreshToken,
      {
        ...await requestOptions(ctx, deps.transport),
        // The sign-in's scopes on every refresh, as the JIM PowerShell module sends them
        // (Private/Invoke-OAuthBrowserFlow.ps1, Invoke-OAuthTokenRefresh): Entra ID v2 refuses a
        // refresh without scope for a registration that is both client and API (AADSTS90009),
        // and oauth4webapi adds none by itself.
        additionalParameters: { scope: ctx.scopes.join(" ") },
      },
    );
    const tokens = await oauth.processRefreshTokenResponse(ctx.as, client, response);
    return tokenSetFromResponse(tokens, now, refreshToken);
  } catch (error) {
    // Every invalid_grant means the same to the user (oidc-provider gives one text for expired,
    // revoked and reused tokens alike).
    if (oauthErrorCode(error) === "invalid_grant") {
      throw new JimError("auth_failed", expiredMessage(deps.instanceUrl), { cause: error });
    }
    const refused = refusalStatus(error);
    if (refused !== undefined) {
      throw new JimError(
        "auth_failed",
        `${expiredMessage(deps.instanceUrl)} (the identity provider refused the refresh with ` +
          `HTTP ${refused})`,
        { cause: error, status: refused },
      );
    }
    // An OAuth error in JSON (invalid_scope, invalid_client, ...) is reported in the provider's
    // words; 429 and 5xx stay transient (code "http").
    throw toJimError(error, "refreshing the sign-in", new URL(ctx.as.issuer));
  }
}

/**
 * The status of a 400, 401 or 403 that carried no OAuth error body. The grant is refused all
 * the same: Glewlwyd answers a revoked or expired refresh token with a bare 400, and proxies in
 * front of AD FS or Keycloak answer with HTML error pages, where oauth4webapi can only say
 * "content-type must be application/json" or "not a conform response".
 */
function refusalStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (
    !e || (e.code !== "OAUTH_RESPONSE_IS_NOT_JSON" && e.code !== "OAUTH_RESPONSE_IS_NOT_CONFORM")
  ) {
    return undefined;
  }
  const status = e.cause instanceof Response ? e.cause.status : undefined;
  return status === 400 || status === 401 || status === 403 ? status : undefined;
}

function expiredMessage(instanceUrl: string | undefined): string {
  return `your sign-in has expired or was revoked; sign in again with jim connect ${
    instanceUrl ?? "<your JIM URL>"
  }`;
}
