// The refresh grant and the identity provider's answers through the CLI, against the real test
// provider switched into the ways real providers misbehave: a refresh without scope refused
// (Entra ID v2), refusals without a JSON body (Glewlwyd, proxies), 429, an issuer spelled
// differently from the authority, endless answers, a huge expires_in, a token with CR/LF.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, parseList } from "./helpers/cli_fixture.ts";
import { eventually, LOGIN, withSso } from "./helpers/sso_fixture.ts";
import { startJimServer } from "../fixtures/jim_server.ts";

const SHORT = { idp: { accessTokenTtlSeconds: 8 } };

/** Waits until the agent's 8 s token is in its proactive-refresh window (but still valid). */
const nearExpiry = (values: Record<string, string>) =>
  eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);

Deno.test("a provider that refuses a refresh without scope: the agent refreshes proactively and after a 401", async () => {
  await withSso(async ({ server, jim, signIn, idp }) => {
    await idp.configure({ refreshRequiresScope: true });
    const first = await signIn();
    await nearExpiry(first);
    const who = await jim(["whoami", "--json"]);
    assertClean(who);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).Sub, LOGIN);
    let stats = await idp.stats();
    assert.equal(stats.refreshGrants, 1, JSON.stringify(stats));
    assert.equal(stats.refreshFailures, 0, JSON.stringify(stats));

    server.revokeBearerTokens();
    const after = await jim(["whoami", "--json"]);
    assertClean(after);
    assert.equal(after.code, 0, after.stderr);
    stats = await idp.stats();
    assert.equal(stats.refreshGrants, 2, "the reactive refresh after the 401 carried scope");
    assert.equal(stats.refreshFailures, 0, JSON.stringify(stats));
  }, SHORT);
});

Deno.test("--verbose shows the agent's own refresh grant, masked, before the API call", async () => {
  await withSso(async ({ jim, signIn, idp }) => {
    const first = await signIn();
    await nearExpiry(first);
    const who = await jim(["whoami", "--verbose"]);
    assertClean(who);
    assert.equal(who.code, 0, who.stderr);
    assert.equal((await idp.stats()).refreshGrants, 1);
    const lines = who.stderr.split("\n").filter((line) => line.startsWith("* "));
    const token = lines.findIndex((line) => line.startsWith(`* POST ${idp.issuer}/token -> 200 (`));
    const userinfo = lines.findIndex((line) => /\/api\/v1\/userinfo -> 200 /.test(line));
    assert.ok(token >= 0, `the refresh step is traced:\n${who.stderr}`);
    assert.ok(userinfo > token, `then the API call:\n${who.stderr}`);
    assert.doesNotMatch(who.stderr, /eyJ[A-Za-z0-9_-]+\./, "no token in the trace");
  }, SHORT);
});

Deno.test("refresh refused with a bare 400 or an HTML 403: the agent says sign in again", async () => {
  for (const refusal of ["bare-400", "html-403"] as const) {
    await withSso(async ({ server, jim, signIn, idp }) => {
      const first = await signIn();
      await idp.configure({ refreshRefusal: refusal });
      await nearExpiry(first);
      const who = await jim(["whoami"]);
      assertOneLineError(who, 1, /sign in again with jim connect/);
      assert.match(who.stderr, /refused the refresh with HTTP (400|403)/);
      assert.doesNotMatch(who.stderr, /content-type|conform/);
      const status = await jim(["test-connection"]);
      assertClean(status);
      assert.equal(status.code, 1);
      const values = Object.fromEntries(parseList(status.stdout));
      // Test-JIMConnection's Status for a failed check.
      assert.equal(values.Status, "Error", refusal);
      assert.match(
        values.Message,
        new RegExp(`sign in again with jim connect ${server.url.replace(/\./g, "\\.")}`),
      );
      assert.match(status.stderr, /Run jim connect .* to sign in again/);
    }, SHORT);
  }
});

Deno.test("a 429 from the token endpoint is transient: the session survives it", async () => {
  await withSso(async ({ jim, signIn, idp }) => {
    const first = await signIn();
    await idp.configure({ refreshRefusal: "json-429" });
    await nearExpiry(first);
    // Still valid: the failed proactive refresh does not fail the command.
    const early = await jim(["whoami"]);
    assert.equal(early.code, 0, early.stderr);
    await eventually(() => Date.parse(first.ExpiresAt) < Date.now());
    const expired = await jim(["whoami"]);
    assertOneLineError(expired, 1, /HTTP 429/);
    assert.doesNotMatch(expired.stderr, /sign in again|refused/);
    await idp.configure({ refreshRefusal: null });
    const after = await jim(["whoami"]);
    assertClean(after);
    assert.equal(after.code, 0, after.stderr);
    assert.ok((await idp.stats()).refreshGrants >= 1);
  }, SHORT);
});

Deno.test("an issuer spelled differently from the authority signs in; --verbose notes it", async () => {
  await withSso(async ({ env, idp, browserLaunches }) => {
    // The JIM server names the provider by another loopback name than the issuer it declares.
    const authority = idp.issuer.replace("127.0.0.1", "localhost");
    const other = await startJimServer({
      authConfig: { authority, clientId: idp.clientId },
      oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
      users: [{ sub: LOGIN, authorised: true }],
    });
    try {
      const result = await env.run(["connect", other.url, "--verbose"]);
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(Object.fromEntries(parseList(result.stdout)).AuthMethod, "OAuth");
      assert.match(
        result.stderr,
        new RegExp(
          `^\\* The identity provider's issuer ${idp.issuer} differs from the authority ` +
            `${authority} the JIM server names; using the issuer\\.$`,
          "m",
        ),
      );
      assert.equal(await browserLaunches(), 1);
      // Without --verbose the difference is not mentioned.
      const quiet = await env.run(["connect", other.url, "--force"]);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.doesNotMatch(quiet.stderr, /differs from the authority/);
    } finally {
      await other.close();
    }
  });
});

Deno.test("a declared issuer over plain http on another host is still refused", async () => {
  await withSso(async ({ server, jim, idp, browserLaunches }) => {
    await idp.configure({ discoveryIssuer: "http://idp.example.test" });
    const result = await jim(["connect", server.url]);
    assertOneLineError(
      result,
      1,
      /declared issuer http:\/\/idp\.example\.test does not use https:\/\/; only a provider on this machine/,
    );
    assert.equal(await browserLaunches(), 0);
  });
});

Deno.test("an endless discovery document or token response: a one-line error, read no further than 1 MiB", async () => {
  await withSso(async ({ server, jim, idp, browserLaunches }) => {
    await idp.configure({ endless: "discovery" });
    const discovery = await jim(["connect", server.url], { killAfterMs: 60_000 });
    assertOneLineError(
      discovery,
      1,
      /^jim connect: the response to GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration \(identity provider\) is larger than 1 MiB; jim refuses it$/,
    );
    assert.equal(await browserLaunches(), 0);

    await idp.configure({ endless: "token" });
    const token = await jim(["connect", server.url], { killAfterMs: 60_000 });
    assertClean(token);
    assert.equal(token.code, 1, token.stderr);
    assert.match(
      token.stderr.trimEnd().split("\n").at(-1)!,
      /the response to POST http:\/\/127\.0\.0\.1:\d+\/token \(identity provider\) is larger than 1 MiB; jim refuses it$/,
    );
  }, { env: { JIM_HTTP_TIMEOUT: "20" } });
});

Deno.test("a huge expires_in: connect, test-connection and disconnect work, the lifetime is at most a year", async () => {
  await withSso(async ({ jim, signIn, idp }) => {
    await idp.configure({ tokenExpiresIn: 1e15 });
    const values = await signIn();
    const left = Date.parse(values.ExpiresAt) - Date.now();
    assert.ok(left > 300 * 24 * 3600_000 && left <= 366 * 24 * 3600_000, values.ExpiresAt);
    const status = await jim(["test-connection"]);
    assertClean(status);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(Object.fromEntries(parseList(status.stdout)).Status, "healthy");
    const out = await jim(["disconnect"]);
    assertClean(out);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /^Disconnected from /m);
    assert.equal((await jim(["whoami"])).code, 3, "the session ended");
  });
});

Deno.test("an access token with CR/LF/NUL: a clear error that quotes no token", async () => {
  await withSso(async ({ server, jim, idp }) => {
    await idp.configure({ accessTokenSuffix: "\r\nX-Injected: yes\u0000" });
    const result = await jim(["connect", server.url]);
    assertClean(result);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr.trimEnd().split("\n").at(-1)!,
      /^jim connect: the access token the identity provider issued contains characters a token may not have \(control or non-ASCII characters\); jim refuses it$/,
    );
    assert.doesNotMatch(result.stderr, /X-Injected|eyJ|Bearer/);
    assert.equal((await jim(["whoami"])).code, 3, "no session was kept");
  });
});
