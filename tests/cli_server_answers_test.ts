// What a user sees when the JIM server answers as the real one does (the simulator copies those
// answers, fixtures/jim_server.ts): userinfo for an API key, the Administrator role on
// connected systems, clamped page sizes and ASP.NET's ValidationProblemDetails.

import assert from "node:assert/strict";
import {
  assertClean,
  assertOneLineError,
  OTHER_KEY,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";

const SYSTEMS = "/api/v1/synchronisation/connected-systems";
const READER_KEY = "jim_ak_reader0123456789abcdefghijklmnopqrst";
const KEYS = {
  apiKeys: [
    { key: TEST_KEY, name: "ci-key" },
    { key: OTHER_KEY, name: "other-key" },
    { key: READER_KEY, name: "reader-key", roles: ["Reader"] },
  ],
};

Deno.test("connect with an API key: Authorised True and no warning, though userinfo finds no JIM identity", async () => {
  await withCli(async ({ server, connect }) => {
    const result = await connect();
    const values = Object.fromEntries(parseList(result.stdout));
    assert.equal(values.AuthMethod, "ApiKey");
    assert.equal(values.Authorised, "True");
    assert.doesNotMatch(result.stderr, /Warning|not provisioned|JIM identity/);
    assert.ok(server.requests.some((r) => r.path === "/api/v1/userinfo"), "the key was verified");
  });
});

Deno.test("whoami with an API key says it is an API-key session, not a problem to report", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const result = await jim(["whoami"]);
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const values = Object.fromEntries(parseList(result.stdout));
    assert.equal(values.Name, "ci-key");
    assert.equal(values.AuthMethod, "api_key");
    assert.match(values.Message, /^This is an API-key session\. API keys have no JIM identity/);
    assert.doesNotMatch(result.stdout, /Contact your JIM administrator/);
  });
});

Deno.test("whoami --json: PascalCase names in the real server's order, then the rest", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const result = await jim(["whoami", "--json"]);
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(body), [
      "Authorised",
      "IsAdministrator",
      "Name",
      "AuthMethod",
      "MetaverseObjectId",
      "Roles",
      "Message",
      "Authenticated",
    ]);
    assert.equal(body.Authorised, false);
    assert.deepEqual(body.Roles, []);
    assert.match(body.Message, /API-key session/);
  });
});

Deno.test("a key without the Administrator role: connected-system list is a 403 naming the endpoint", async () => {
  await withCli(async ({ server, jim }) => {
    const connected = await jim(["connect", server.url, "--api-key-stdin"], { stdin: READER_KEY });
    assertClean(connected, [READER_KEY]);
    assert.equal(connected.code, 0, connected.stderr);
    const result = await jim(["connected-system", "list"]);
    assertClean(result, [READER_KEY]);
    assertOneLineError(
      result,
      1,
      /^jim connected-system list: forbidden \(403\): authenticated but not authorised for GET \/api\/v1\/synchronisation\/connected-systems/,
    );
    assertOneLineError(await jim(["connected-system", "get", "1"]), 1, /forbidden \(403\)/);
  }, KEYS);
});

Deno.test("a bad query value: jim api shows ASP.NET's validation title and the field's message", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    assertOneLineError(
      await jim(["api", `${SYSTEMS}?page=abc`]),
      1,
      /^jim api: 400 Bad Request: One or more validation errors occurred\. Page: The value 'abc' is not valid for Page\.$/,
    );
    assertOneLineError(
      await jim(["api", `${SYSTEMS}?page=10002&pageSize=100`]),
      1,
      /^jim api: 400 Bad Request: One or more validation errors occurred\. Page: Page 10,002 is beyond the maximum retrieval depth of 1,000,000 rows/,
    );
  });
});

Deno.test("pageSize over 100 is clamped to 100, and paging 1,000,000 rows deep is allowed", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const big = await jim(["api", `${SYSTEMS}?pageSize=500`]);
    assertClean(big);
    assert.equal(big.code, 0, big.stderr);
    const body = JSON.parse(big.stdout);
    assert.equal(body.pageSize, 100);
    assert.equal(body.items.length, 100);
    const deep = await jim(["api", `${SYSTEMS}?page=10001&pageSize=100`]);
    assert.equal(deep.code, 0, deep.stderr);
    assert.deepEqual(JSON.parse(deep.stdout).items, []);
  });
});
