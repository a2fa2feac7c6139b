// Interactive SSO through the CLI subprocess against a real OpenID provider: the loopback flow
// with the scripted browser and with headless Chromium, device code, the failure paths, session
// reuse, and the agent keeping the token fresh.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, parseList } from "./helpers/cli_fixture.ts";
import { eventually, LOGIN, withSso } from "./helpers/sso_fixture.ts";
import { spawnJim } from "./helpers/run_jim.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { ALL_REDIRECT_PORTS } from "../fixtures/idp.ts";
import { driveDeviceCode } from "../fixtures/scripted_browser.ts";
import { chromiumMissing } from "../fixtures/chromium_browser.ts";
import { needs } from "./helpers/platform_gate.ts";

Deno.test("SSO sign-in through the browser: OAuth session with expiry, kept by the agent", async () => {
  await withSso(async ({ server, jim, signIn, browserLaunches, idp }) => {
    const values = await signIn([], {});
    assert.equal(values.AuthMethod, "OAuth");
    assert.equal(values.Connected, "True");
    assert.equal(values.Authorised, "True");
    assert.equal(values.ServerVersion, "1.4.2");
    assert.equal(values.ApiKey, "");
    assert.ok(Date.parse(values.ExpiresAt) > Date.now(), values.ExpiresAt);
    assert.equal(values.Status, "healthy");
    assert.equal(await browserLaunches(), 1);
    assert.equal((await idp.stats()).authorizationCodeGrants, 1);

    const who = await jim(["whoami", "--json"]);
    assertClean(who);
    assert.equal(JSON.parse(who.stdout).Sub, LOGIN);
    const bearer = server.requests.filter((r) => r.headers.authorization?.startsWith("Bearer "));
    assert.ok(bearer.length >= 2, "connect's check and whoami both sent the bearer token");

    const status = await jim(["test-connection", "--json"]);
    const body = JSON.parse(status.stdout);
    assert.equal(body.Connected, true);
    assert.equal(body.AuthMethod, "OAuth");
    assert.ok(body.TokenExpiresAt);
  });
});

Deno.test("the sign-in URL is printed to stderr, and --no-browser prints it without a browser", async () => {
  await withSso(async ({ server, env, browserLaunches }) => {
    const live = spawnJim(["connect", server.url, "--no-browser"], env.vars);
    const line = await live.waitForLine(/https?:\/\/127\.0\.0\.1:\d+\/auth\?/);
    const url = line.slice(line.indexOf("http"));
    assert.match(url, /code_challenge_method=S256/);
    assert.match(url, /redirect_uri=http%3A%2F%2Flocalhost%3A840\d%2Fcallback%2F/);
    assert.doesNotMatch(url, /prompt=/);
    const { driveSignIn } = await import("../fixtures/scripted_browser.ts");
    await driveSignIn(url);
    const result = await live.done();
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await browserLaunches(), 0, "no browser was launched");
  });
});

Deno.test(needs("Chromium", chromiumMissing(), {
  name: "SSO sign-in with real headless Chromium",
  fn: async () => {
    await withSso(async ({ signIn }) => {
      const values = await signIn();
      assert.equal(values.AuthMethod, "OAuth");
      assert.equal(values.Authorised, "True");
    }, { browser: "chromium" });
  },
}));

Deno.test("device code sign-in end to end", async () => {
  await withSso(async ({ server, env, jim, browserLaunches, idp }) => {
    const live = spawnJim(["connect", server.url, "--device-code"], env.vars);
    const line = await live.waitForLine(/enter code/i);
    const code = /enter code (\S+)/i.exec(line)![1];
    const uri = /open (\S+)/.exec(line)![1];
    await driveDeviceCode(uri, { userCode: code });
    const result = await live.done();
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Object.fromEntries(parseList(result.stdout)).AuthMethod, "OAuth");
    assert.equal(await browserLaunches(), 0);
    assert.equal((await idp.stats()).deviceCodeGrants, 1);
    assert.equal((await jim(["whoami"])).code, 0);
  });
});

Deno.test("device code when the provider does not offer it is a clear failure", async () => {
  await withSso(async ({ server, jim }) => {
    assertOneLineError(
      await jim(["connect", server.url, "--device-code"]),
      1,
      /does not offer device code sign-in/,
    );
  }, { idp: { deviceFlow: false } });
});

Deno.test("consent denied ends the flow with the provider's error", async () => {
  await withSso(async ({ server, jim }) => {
    const result = await jim(["connect", server.url], { env: { JIM_TEST_BROWSER_MODE: "deny" } });
    assertClean(result);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^jim connect: sign-in was refused by the identity provider: access_denied/m,
    );
  });
});

Deno.test("a wrong-state callback, then the real one: sign-in still succeeds", async () => {
  await withSso(async ({ signIn }) => {
    const values = await signIn([], { env: { JIM_TEST_BROWSER_MODE: "wrong-state-first" } });
    assert.equal(values.Connected, "True");
  });
});

Deno.test("a request to another path during the wait gets 404 and the wait goes on", async () => {
  await withSso(async ({ signIn }) => {
    const values = await signIn([], { env: { JIM_TEST_BROWSER_MODE: "other-path-first" } });
    assert.equal(values.Connected, "True");
  });
});

Deno.test("port 8400 already taken: the redirect uses 8401", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 8400 });
  try {
    await withSso(async ({ server, env }) => {
      const live = spawnJim(["connect", server.url], env.vars);
      const result = await live.done();
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /redirect_uri=http%3A%2F%2Flocalhost%3A8401%2Fcallback%2F/);
    }, { idp: { redirectPorts: ALL_REDIRECT_PORTS } });
  } finally {
    blocker.close();
  }
});

Deno.test("the identity provider down is a clear failure", async () => {
  await withSso(async ({ server, jim, idp }) => {
    await idp.close();
    assertOneLineError(
      await jim(["connect", server.url]),
      1,
      /^jim connect: .*(could not reach|cannot reach|failed)/,
    );
  });
});

Deno.test("auth/config 503 sso_not_configured points at API keys", async () => {
  await withSso(async ({ server, jim }) => {
    server.setAuthConfig(null);
    assertOneLineError(
      await jim(["connect", server.url]),
      1,
      /SSO is not configured on this JIM server.*--api-key/,
    );
  });
});

Deno.test("connect to the URL of a live session (more than 5 minutes left) reuses it; --force signs in again", async () => {
  await withSso(async ({ signIn, browserLaunches }) => {
    await signIn();
    const again = await signIn();
    assert.equal(again.Status, "Connected (cached)");
    assert.equal(await browserLaunches(), 1, "no browser for a live session");
    const forced = await signIn(["--force"]);
    assert.equal(forced.Status, "healthy");
    assert.equal(await browserLaunches(), 2);
  }, { idp: { accessTokenTtlSeconds: 3600 } });
});

Deno.test("JIM_KEYRING=none, in any case, turns the store off without a notice about it", async () => {
  await withSso(async ({ jim, server }) => {
    for (const value of ["none", "NONE", " None "]) {
      const result = await jim(["connect", server.url, "--force"], { env: { JIM_KEYRING: value } });
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /credential store/, `JIM_KEYRING='${value}'`);
    }
  });
});

Deno.test("connect to another instance does not first check the live session's credentials", async () => {
  await withSso(async ({ server, jim, signIn }) => {
    await signIn();
    const other = await startJimServer({});
    try {
      const userinfo = () => server.requests.filter((r) => r.path === "/api/v1/userinfo").length;
      const before = userinfo();
      // The other instance has no SSO, so connect ends there; the live session is not its own.
      assertOneLineError(await jim(["connect", other.url]), 1, /SSO is not configured/);
      assert.equal(userinfo(), before, "no request to the first instance");
    } finally {
      await other.close();
    }
  });
});

Deno.test("an identity not provisioned in JIM: Authorised False and a warning", async () => {
  await withSso(async ({ server, jim }) => {
    const result = await jim(["connect", server.url], {
      env: { JIM_TEST_LOGIN: "stranger@example.test" },
    });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Object.fromEntries(parseList(result.stdout)).Authorised, "False");
    assert.match(result.stderr, /^Warning: .*not provisioned in JIM/m);
  });
});

Deno.test("the agent refreshes proactively near expiry, and reactively after a 401", async () => {
  await withSso(async ({ server, jim, signIn, idp }) => {
    const first = await signIn();
    // 8 s tokens refresh once less than half their life remains.
    await eventually(() => Date.parse(first.ExpiresAt) - Date.now() < 3_500);
    const who = await jim(["whoami", "--json"]);
    assertClean(who);
    assert.equal(who.code, 0, who.stderr);
    assert.equal((await idp.stats()).refreshGrants, 1, "one proactive refresh");

    server.revokeBearerTokens();
    const after = await jim(["whoami", "--json"]);
    assertClean(after);
    assert.equal(after.code, 0, after.stderr);
    assert.equal((await idp.stats()).refreshGrants, 2, "one reactive refresh after the 401");
  }, { idp: { accessTokenTtlSeconds: 8 } });
});

Deno.test("20 concurrent jim api commands while the token expires: all succeed, one refresh", async () => {
  await withSso(async ({ jim, signIn, idp }) => {
    const first = await signIn();
    await eventually(() => Date.parse(first.ExpiresAt) - Date.now() < 3_500);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => jim(["api", "/api/v1/userinfo"])),
    );
    for (const result of results) {
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).sub, LOGIN);
    }
    const stats = await idp.stats();
    assert.equal(stats.refreshGrants, 1, `refreshes at the provider: ${JSON.stringify(stats)}`);
    assert.equal(stats.refreshFailures, 0);
  }, { idp: { accessTokenTtlSeconds: 8 } });
});

Deno.test("refresh failing: a clear 'sign in again', exit 1; test-connection reports it", async () => {
  await withSso(async ({ server, jim, signIn, idp }) => {
    const first = await signIn();
    await idp.revokeAll();
    await eventually(() => Date.parse(first.ExpiresAt) - Date.now() < 3_500);
    assertOneLineError(await jim(["whoami"]), 1, /sign in again with jim connect/);
    const status = await jim(["test-connection"]);
    assertClean(status);
    assert.equal(status.code, 1);
    const values = Object.fromEntries(parseList(status.stdout));
    assert.equal(values.Status, "Error");
    assert.match(status.stderr, new RegExp(`Run jim connect ${server.url.replace(/\./g, "\\.")}`));
  }, { idp: { accessTokenTtlSeconds: 8 } });
});
