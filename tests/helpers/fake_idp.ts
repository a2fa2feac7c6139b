// A fake identity provider for the unit tests of lib/auth: oauth4webapi's customFetch answered
// by one handler per path, the OpenID context a discovery gives, JIM's auth/config answer, and
// the error fetch throws for a certificate nobody trusts.

import type { OauthFetch, OidcContext } from "../../lib/auth/oidc_client.ts";

export interface Call {
  url: URL;
  method: string;
  body: URLSearchParams;
}

/** A fake identity provider behind oauth4webapi's customFetch: one handler per path. */
export function fakeIdp(routes: Record<string, (call: Call) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fetch: OauthFetch = async (url, init) => {
    const call = {
      url: new URL(url),
      method: init.method ?? "GET",
      body: new URLSearchParams(init.body instanceof URLSearchParams ? init.body : undefined),
    };
    calls.push(call);
    const route = routes[call.url.pathname];
    if (!route) return Response.json({ error: "not_found" }, { status: 404 });
    return await route(call);
  };
  return { fetch, calls };
}

export function oauthError(error: string, description?: string, status = 400): Response {
  return Response.json({ error, error_description: description }, { status });
}

export function fakeCtx(as: Record<string, unknown> = {}, scopes = ["jim.api", "offline_access"]) {
  return {
    as: {
      issuer: "https://idp.test",
      authorization_endpoint: "https://idp.test/authorize",
      token_endpoint: "https://idp.test/token",
      device_authorization_endpoint: "https://idp.test/device",
      ...as,
    },
    clientId: "jim-cli",
    scopes,
    insecure: false,
  } satisfies OidcContext;
}

/** A well-formed auth/config answer from JIM. */
export const GOOD_CONFIG = {
  authority: "https://login.example.com/tenant/v2.0",
  clientId: "2b7c1e0a-jim",
  scopes: ["openid", "profile", "offline_access", "api://jim/access"],
  responseType: "code",
  usePkce: true,
  codeChallengeMethod: "S256",
};

export function untrustedCertificate(): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (https://x/): client error (Connect): invalid peer certificate: UnknownIssuer",
    ),
  });
}
