// lib/auth/token_set.ts: what is kept of a token endpoint's answer (expiry from expires_in or the
// JWT, rotation), clamped lifetimes, and tokens with characters no token may have.

import assert from "node:assert/strict";
import { DEFAULT_LIFETIME_SECONDS, tokenSetFromResponse } from "../lib/auth/token_set.ts";
import { JimError } from "../lib/errors.ts";

Deno.test("token set: expiry from expires_in and the injected clock; rotation kept", () => {
  const response = {
    access_token: "at",
    token_type: "bearer",
    expires_in: 60,
    refresh_token: "rt2",
    scope: "openid offline_access",
  } as const;
  assert.deepEqual(tokenSetFromResponse(response, 1_000_000), {
    accessToken: "at",
    refreshToken: "rt2",
    expiresAt: 1_060_000,
    scope: "openid offline_access",
  });
  const notRotated = tokenSetFromResponse({ access_token: "at", token_type: "bearer" }, 0, "rt1");
  assert.equal(notRotated.refreshToken, "rt1");
  assert.equal(notRotated.expiresAt, DEFAULT_LIFETIME_SECONDS * 1000);
  const payload = btoa(JSON.stringify({ exp: 1_000 })).replace(/=+$/, "");
  const jwt = tokenSetFromResponse({ access_token: `h.${payload}.s`, token_type: "bearer" }, 0);
  assert.equal(jwt.expiresAt, 1_000_000);
});

Deno.test("token set: a lifetime of 1e15 seconds is clamped to a year", () => {
  const set = tokenSetFromResponse(
    { access_token: "AT", token_type: "bearer", expires_in: 1e15 },
    1_000,
  );
  assert.equal(set.expiresAt, 1_000 + 365 * 24 * 3600 * 1000);
  assert.ok(Number.isFinite(new Date(set.expiresAt).getTime()));
});

Deno.test("token set: CR, LF, NUL or non-ASCII in a token is refused without quoting it", () => {
  for (const bad of ["AT\r\nX-Injected: 1", "AT\u0000", "AT\u00e9", "AT\u202e"]) {
    for (const field of ["access_token", "refresh_token"] as const) {
      const response = { access_token: "AT", token_type: "bearer" as const, [field]: bad };
      assert.throws(
        () => tokenSetFromResponse(response, 0),
        (error: unknown) =>
          error instanceof JimError && error.code === "protocol" &&
          /contains characters a token may not have/.test(error.message) &&
          !error.message.includes("AT") && !error.message.includes("Injected"),
      );
    }
  }
});
