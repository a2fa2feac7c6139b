// lib/auth/auth_config.ts: JIM's anonymous GET {base}/api/v1/auth/config and the checks of its
// answer (a 503 sso_not_configured, other statuses, malformed answers, redirects, TLS).

import assert from "node:assert/strict";
import {
  checkAuthConfigResponse,
  fetchAuthConfig,
  validateAuthConfig,
} from "../lib/auth/auth_config.ts";
import { JimError } from "../lib/errors.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { GOOD_CONFIG, untrustedCertificate } from "./helpers/fake_idp.ts";

Deno.test("auth config: a well-formed answer is accepted as is", async () => {
  const config = await checkAuthConfigResponse(Response.json(GOOD_CONFIG));
  assert.deepEqual(config, GOOD_CONFIG);
});

Deno.test("auth config: 503 sso_not_configured tells the user to use an API key", async () => {
  const response = Response.json({ error: "sso_not_configured", message: "x" }, { status: 503 });
  await rejectsWith(
    checkAuthConfigResponse(response),
    "sso_not_configured",
    "SSO is not configured on this JIM server; connect with an API key instead: " +
      "jim connect <url> --api-key-stdin",
  );
});

Deno.test("auth config: other error statuses are http errors with the status", async () => {
  const error = await rejectsWith(
    checkAuthConfigResponse(new Response("<html>busy</html>", { status: 503 })),
    "http",
    "the JIM server answered HTTP 503 for /api/v1/auth/config",
  );
  assert.equal(error.status, 503);
  await rejectsWith(
    checkAuthConfigResponse(Response.json({ message: "No such\nroute" }, { status: 404 })),
    "http",
    "the JIM server answered HTTP 404 for /api/v1/auth/config: No such route",
  );
});

Deno.test("auth config: malformed answers are one-line protocol errors", async () => {
  const cases: [unknown, string][] = [
    [[], "expected a JSON object"],
    [{ ...GOOD_CONFIG, authority: "not a url" }, "authority must be an http(s) URL"],
    [{ ...GOOD_CONFIG, authority: "ftp://idp" }, "authority must be an http(s) URL"],
    [{ ...GOOD_CONFIG, clientId: "" }, "clientId must be a non-empty string"],
    [{ ...GOOD_CONFIG, scopes: [] }, "scopes must be a non-empty list of scope names"],
    [{ ...GOOD_CONFIG, scopes: ["openid", "two words"] }, "scopes must be a non-empty list"],
    [{ ...GOOD_CONFIG, responseType: "token" }, 'responseType must be "code"'],
    [{ ...GOOD_CONFIG, usePkce: "true" }, "usePkce must be true"],
    [{ ...GOOD_CONFIG, codeChallengeMethod: "plain" }, 'codeChallengeMethod must be "S256"'],
  ];
  for (const [body, detail] of cases) {
    assert.throws(() => validateAuthConfig(body), (error: unknown) => {
      assert.ok(error instanceof JimError);
      assert.equal(error.code, "protocol");
      assert.ok(error.message.startsWith("the JIM server's SSO settings are malformed: "));
      assert.ok(error.message.includes(detail), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  await rejectsWith(
    checkAuthConfigResponse(new Response("{not json", { status: 200 })),
    "protocol",
    "the JIM server's SSO settings are malformed: the body is not JSON",
  );
});

Deno.test("auth config: fetched anonymously from {base}/api/v1/auth/config", async () => {
  const seen: { url: string; headers: Headers }[] = [];
  const config = await fetchAuthConfig("https://jim.example.com/jim", (url, init) => {
    seen.push({ url, headers: new Headers(init?.headers) });
    return Promise.resolve(Response.json(GOOD_CONFIG));
  });
  assert.equal(config.clientId, GOOD_CONFIG.clientId);
  assert.equal(seen[0].url, "https://jim.example.com/jim/api/v1/auth/config");
  assert.equal(seen[0].headers.get("authorization"), null);
  assert.equal(seen[0].headers.get("x-api-key"), null);
  await rejectsWith(
    fetchAuthConfig("https://jim.example.com", () => Promise.reject(new TypeError("fetch failed"))),
    "network",
    "cannot reach https://jim.example.com: fetch failed",
  );
  // Described as every other request is: a server behind a private CA gets the --ca-cert hint.
  await rejectsWith(
    fetchAuthConfig("https://jim.example.com", () => Promise.reject(untrustedCertificate())),
    "network",
    "TLS certificate for jim.example.com is not trusted (use --ca-cert FILE or JIM_CA_CERT)",
  );
  // A redirect is refused, as the REST client refuses it, rather than followed.
  const redirecting = await fetchAuthConfig("https://jim.example.com", (_url, init) => {
    assert.equal(init?.redirect, "manual");
    return Promise.resolve(
      new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
    );
  }).catch((error) => error);
  assert.ok(redirecting instanceof JimError);
  assert.match(
    redirecting.message,
    /redirected to https:\/\/elsewhere\.example\/; jim does not follow/,
  );
});
