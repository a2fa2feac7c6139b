// lib/auth/refresh.ts: the refresh grant against a fake provider: rotation, the sign-in's scopes,
// a refused grant told apart from a transient failure, and no token in any message.

import assert from "node:assert/strict";
import { refreshTokens } from "../lib/auth/refresh.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { fakeCtx, fakeIdp, oauthError } from "./helpers/fake_idp.ts";

Deno.test("refresh: rotated token replaces, unrotated token is kept", async () => {
  const answers = [
    Response.json({
      access_token: "AT2",
      token_type: "bearer",
      expires_in: 30,
      refresh_token: "R2",
    }),
    Response.json({ access_token: "AT3", token_type: "bearer", expires_in: 30 }),
  ];
  const idp = fakeIdp({
    "/token": ({ body }) => {
      assert.equal(body.get("grant_type"), "refresh_token");
      assert.equal(body.get("client_id"), "jim-cli");
      return answers.shift()!;
    },
  });
  const deps = { clock: () => 0, transport: { fetch: idp.fetch } };
  const rotated = await refreshTokens(fakeCtx(), "R1", deps);
  assert.deepEqual(rotated, { accessToken: "AT2", refreshToken: "R2", expiresAt: 30_000 });
  assert.equal(idp.calls[0].body.get("refresh_token"), "R1");
  const kept = await refreshTokens(fakeCtx(), "R2", deps);
  assert.equal(kept.refreshToken, "R2");
});

Deno.test("refresh: the sign-in's scopes go with every refresh grant", async () => {
  const idp = fakeIdp({
    "/token": () => Response.json({ access_token: "AT2", token_type: "bearer", expires_in: 30 }),
  });
  await refreshTokens(fakeCtx(), "R1", { transport: { fetch: idp.fetch } });
  assert.equal(idp.calls[0].body.get("scope"), fakeCtx().scopes.join(" "));
});

Deno.test("refresh: a 400, 401 or 403 without an OAuth body is a refused grant; 429 and 5xx are not", async () => {
  const answers: [() => Response, string, RegExp][] = [
    [() => new Response(null, { status: 400 }), "auth_failed", /sign in again.*HTTP 400\)$/],
    [
      () =>
        new Response("<html>Forbidden</html>", {
          status: 403,
          headers: { "content-type": "text/html" },
        }),
      "auth_failed",
      /sign in again.*HTTP 403\)$/,
    ],
    [() => Response.json({ message: "no" }, { status: 401 }), "auth_failed", /HTTP 401\)$/],
    [
      () => oauthError("invalid_scope", "scope is not allowed"),
      "auth_failed",
      /invalid_scope: scope is not allowed/,
    ],
    [
      () => Response.json({ error: "temporarily_unavailable" }, { status: 429 }),
      "http",
      /answered HTTP 429 \(temporarily_unavailable\)/,
    ],
    [() => new Response("down", { status: 503 }), "http", /answered HTTP 503$/],
  ];
  for (const [answer, code, message] of answers) {
    const idp = fakeIdp({ "/token": answer });
    const error = await rejectsWith(
      refreshTokens(fakeCtx(), "R-SECRET", { transport: { fetch: idp.fetch } }),
      code,
      message,
    );
    assert.ok(!error.message.includes("R-SECRET"));
    assert.doesNotMatch(error.message, /content-type|conform/);
  }
});

Deno.test("refresh: invalid_grant means sign in again; network is network", async () => {
  const idp = fakeIdp({ "/token": () => oauthError("invalid_grant", "grant request is invalid") });
  const error = await rejectsWith(
    refreshTokens(fakeCtx(), "R-SECRET", {
      transport: { fetch: idp.fetch },
      instanceUrl: "https://jim.example.com",
    }),
    "auth_failed",
    "your sign-in has expired or was revoked; sign in again with jim connect https://jim.example.com",
  );
  assert.ok(!error.message.includes("R-SECRET"));
  await rejectsWith(
    refreshTokens(fakeCtx(), "R-SECRET", {
      transport: { fetch: () => Promise.reject(new TypeError("fetch failed")) },
    }),
    "network",
    /^refreshing the sign-in failed: could not reach the identity provider/,
  );
  await rejectsWith(
    refreshTokens(fakeCtx(), "R", {
      transport: { fetch: () => Promise.resolve(new Response("bad gateway", { status: 502 })) },
    }),
    "http",
    "refreshing the sign-in failed: the identity provider answered HTTP 502",
  );
});
