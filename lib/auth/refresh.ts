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
      await requestOptions(ctx, deps.transport),
    );
    const tokens = await oauth.processRefreshTokenResponse(ctx.as, client, response);
    return tokenSetFromResponse(tokens, now, refreshToken);
  } catch (error) {
    // Every invalid_grant means the same to the user (oidc-provider gives one text for expired,
    // revoked and reused tokens alike).
    if (oauthErrorCode(error) === "invalid_grant") {
      throw new JimError("auth_failed", expiredMessage(deps.instanceUrl), { cause: error });
    }
    throw toJimError(error, "refreshing the sign-in", new URL(ctx.as.issuer));
  }
}

function expiredMessage(instanceUrl: string | undefined): string {
  return `your sign-in has expired or was revoked; sign in again with jim connect ${
    instanceUrl ?? "<your JIM URL>"
  }`;
}
