// The data values of Connect-JIM and Test-JIMConnection, as the PowerShell module returns them
// (src/JIM.PowerShell/Public/Connection/Connect-JIM.ps1, Test-JIMConnection.ps1), so a script
// ported from PowerShell compares the same strings; and the optional version endpoint.

import assert from "node:assert/strict";
import {
  assertClean,
  assertOneLineError,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";

Deno.test("version endpoint 404 (older server, proxy): connect and test-connection succeed", async () => {
  await withCli(async ({ server, jim }) => {
    server.addFault({
      path: "/api/v1/health/version",
      kind: "status",
      status: 404,
      times: Infinity,
    });
    const connect = await jim(["connect", server.url, "--api-key-stdin"], { stdin: TEST_KEY });
    assertClean(connect);
    assert.equal(connect.code, 0, connect.stderr);
    const values = Object.fromEntries(parseList(connect.stdout));
    assert.equal(values.ServerVersion, "");
    assert.equal(values.Connected, "True");
    assert.equal(values.Status, "healthy");

    const status = await jim(["test-connection", "--json"]);
    assertClean(status);
    assert.equal(status.code, 0, status.stderr);
    const body = JSON.parse(status.stdout);
    assert.equal(body.Connected, true);
    assert.equal(body.ServerVersion, null);
    assert.equal(body.Status, "healthy");
    assert.equal(body.Message, "Connection successful");
  });
});

Deno.test("version endpoint failing with 500: connect still succeeds without a version", async () => {
  await withCli(async ({ server, jim }) => {
    server.addFault({ path: "/api/v1/health/version", kind: "status", status: 500, times: 9 });
    const connect = await jim(["connect", server.url, "--api-key-stdin", "--json"], {
      stdin: TEST_KEY,
    });
    assertClean(connect);
    assert.equal(connect.code, 0, connect.stderr);
    assert.equal(JSON.parse(connect.stdout).ServerVersion, null);
  });
});

Deno.test("only a /api/v1/health that is not JIM's means 'does not look like a JIM server'", async () => {
  await withCli(async ({ server, jim }) => {
    server.addFault({ path: "/api/v1/health", kind: "status", status: 404 });
    const missing = await jim(["connect", server.url, "--api-key-stdin"], { stdin: TEST_KEY });
    assertOneLineError(missing, 1, /does not look like a JIM server/);
    server.addFault({ path: "/api/v1/health", kind: "status", status: 200, body: { up: true } });
    const other = await jim(["connect", server.url, "--api-key-stdin"], { stdin: TEST_KEY });
    assertOneLineError(other, 1, /does not look like a JIM server/);
  });
});

Deno.test("connect with an API key: Status is the server's health status, keys in the module's order", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["Connect-JIM", "-Url", server.url, "-ApiKeyStdin", "-Json"], {
      stdin: TEST_KEY,
    });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(body), [
      "Url",
      "AuthMethod",
      "Connected",
      "ServerVersion",
      "ExpiresAt",
      "Authorised",
      "Status",
      "ApiKey",
    ]);
    assert.equal(body.Status, "healthy");
    assert.equal(body.ExpiresAt, null);
  });
});

Deno.test("test-connection not connected and failing: the module's Status and Message", async () => {
  await withCli(async ({ server, jim, connect }) => {
    const none = await jim(["test-connection"]);
    assertClean(none);
    assert.equal(none.code, 1);
    const idle = Object.fromEntries(parseList(none.stdout));
    assert.equal(idle.Status, "Not connected");
    assert.equal(idle.Message, "Use Connect-JIM to establish a connection.");
    assert.match(none.stderr, /jim connect/, "jim's own advice goes to stderr");

    await connect();
    server.revokeApiKey(TEST_KEY);
    const revoked = await jim(["test-connection", "--json"]);
    assertClean(revoked);
    assert.equal(revoked.code, 1);
    const body = JSON.parse(revoked.stdout);
    assert.equal(body.Connected, false);
    assert.equal(body.Status, "Error");
    assert.match(body.Message, /401/);
    assert.equal(body.TokenExpiresAt, null);
    assert.match(revoked.stderr, /Run jim connect/);
  });
});

Deno.test("OAuth: a new sign-in's Status is 'healthy', a live session with > 5 minutes is reused as 'Connected (cached)'", async () => {
  await withSso(async ({ signIn, browserLaunches, jim }) => {
    const first = await signIn(["--no-persist"]);
    assert.equal(first.Status, "healthy");
    const again = await jim(["connect", first.Url, "--no-persist"]);
    assertClean(again);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(Object.fromEntries(parseList(again.stdout)).Status, "Connected (cached)");
    assert.match(again.stderr, /Already connected/);
    assert.equal(await browserLaunches(), 1, "the live session was reused");
    const status = Object.fromEntries(parseList((await jim(["test-connection"])).stdout));
    assert.equal(status.Status, "healthy");
    assert.equal(status.Message, "Connection successful");
  }, { idp: { accessTokenTtlSeconds: 3600 } });
});

Deno.test("OAuth: a live session with under 5 minutes left is refreshed in place: 'Connected (refreshed)', no browser", async () => {
  await withSso(async ({ signIn, browserLaunches, jim, idp }) => {
    const first = await signIn(["--no-persist"]);
    const status = Object.fromEntries(parseList((await jim(["test-connection"])).stdout));
    assert.equal(status.Message, "Connection successful (token expires soon)");
    const grantsBefore = (await idp.stats()).refreshGrants;
    const again = await signIn(["--no-persist"]);
    assert.equal(again.Status, "Connected (refreshed)");
    assert.equal(await browserLaunches(), 1, "no second browser sign-in");
    assert.equal(again.Url, first.Url);
    assert.ok(Date.parse(again.ExpiresAt) > Date.parse(first.ExpiresAt), "a new access token");
    assert.equal((await idp.stats()).refreshGrants, grantsBefore + 1, "one refresh grant");
  }, { idp: { accessTokenTtlSeconds: 240 } });
});

Deno.test("OAuth: a live session with under 5 minutes left whose refresh is refused signs in again", async () => {
  await withSso(async ({ signIn, browserLaunches, idp }) => {
    await signIn(["--no-persist"]);
    await idp.configure({ refreshRefusal: "bare-400" });
    const again = await signIn(["--no-persist"]);
    assert.equal(again.Status, "healthy", "a fresh sign-in");
    assert.equal(await browserLaunches(), 2, "the browser opened again");
  }, { idp: { accessTokenTtlSeconds: 240 } });
});

Deno.test("OAuth: a live session with time left whose credentials fail is neither reused nor 'refreshed': connect signs in again", async () => {
  await withSso(async ({ server, signIn, browserLaunches }) => {
    await signIn(["--no-persist"]);
    // userinfo refuses the session's token (as for a token revoked at the server) every time.
    server.addFault({ path: "/api/v1/userinfo", kind: "status", status: 401, times: 2 });
    const again = await signIn(["--no-persist"]);
    assert.equal(again.Status, "healthy", "a fresh sign-in");
    assert.equal(await browserLaunches(), 2, "the browser opened again");
  });
});
