// jim connect with an API key, end to end through the CLI subprocess against the simulator:
// every way to supply the key, the output object, URL and parameter-set rules.

import assert from "node:assert/strict";
import {
  assertClean,
  assertOneLineError,
  OTHER_KEY,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";

const CONNECT_PROPERTIES = [
  "Url",
  "AuthMethod",
  "Connected",
  "ServerVersion",
  "ExpiresAt",
  "Authorised",
  "Status",
  "ApiKey",
];

Deno.test("connect --api-key-stdin prints the Connect-JIM object in order and keeps the session", async () => {
  await withCli(async ({ server, jim, connect }) => {
    const result = await connect();
    const pairs = parseList(result.stdout);
    assert.deepEqual(pairs.map(([name]) => name), CONNECT_PROPERTIES);
    const values = Object.fromEntries(pairs);
    assert.equal(values.Url, server.url);
    assert.equal(values.AuthMethod, "ApiKey");
    assert.equal(values.Connected, "True");
    assert.equal(values.ServerVersion, "1.4.2");
    assert.equal(values.ExpiresAt, "");
    assert.equal(values.Authorised, "True");
    assert.equal(values.ApiKey, `${TEST_KEY.slice(0, 8)}...${TEST_KEY.slice(-4)}`);
    assert.doesNotMatch(result.stderr, /Warning/);
    // The key was verified on an authenticated endpoint, not just health.
    const userinfo = server.requests.filter((r) => r.path === "/api/v1/userinfo");
    assert.equal(userinfo.length, 1);
    assert.equal(userinfo[0].headers["x-api-key"], TEST_KEY);
    const later = await jim(["whoami", "--json"]);
    assertClean(later);
    assert.equal(later.code, 0);
    assert.equal(JSON.parse(later.stdout).name, "ci-key");
  });
});

Deno.test("connect --json prints JSON with the same properties", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connect", server.url, "--api-key-stdin", "--json"], {
      stdin: `${TEST_KEY}\n`,
    });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(body), CONNECT_PROPERTIES);
    assert.equal(body.Connected, true);
    assert.equal(body.ExpiresAt, null);
    assert.equal(body.Authorised, true);
  });
});

Deno.test("connect --api-key warns that the key lands in shell history", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connect", server.url, "--api-key", TEST_KEY]);
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^Warning: an API key on the command line .*shell history/m);
  });
});

Deno.test("Connect-JIM takes Url at position 0 and ApiKey at position 1, case-insensitively", async () => {
  await withCli(async ({ server, jim }) => {
    const byName = await jim(["Connect-JIM", "-Url", server.url, "-ApiKey", TEST_KEY]);
    assertClean(byName);
    assert.equal(byName.code, 0, byName.stderr);
    const byPosition = await jim(["connect-jim", server.url, OTHER_KEY]);
    assertClean(byPosition);
    assert.equal(byPosition.code, 0, byPosition.stderr);
    const who = await jim(["whoami", "--json"]);
    assert.equal(
      JSON.parse(who.stdout).name,
      "other-key",
      "the second connect replaced the session",
    );
  });
});

Deno.test("connect takes the key from JIM_API_KEY without a warning", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connect", server.url], { env: { JIM_API_KEY: TEST_KEY } });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /shell history/);
    assert.equal(Object.fromEntries(parseList(result.stdout)).AuthMethod, "ApiKey");
  });
});

Deno.test("a wrong key fails connect naming the 401, and no session is kept", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connect", server.url, "--api-key-stdin"], {
      stdin: "jim_ak_wrongwrongwrongwrongwrongwrong",
    });
    assertOneLineError(result, 1, /^jim connect: .*rejected the API key.*401/);
    const status = await jim(["test-connection", "--quiet"]);
    assert.equal(status.stdout.trim(), "false");
  });
});

// Host-name case is covered with disconnect --url in cli_persist_test.ts: the simulator listens
// on an address, which has no case.
Deno.test("URLs are normalised: trailing slash and scheme case", async () => {
  await withCli(async ({ server, jim }) => {
    const typed = `${server.url}/`.replace("http://", "HTTP://");
    const result = await jim(["connect", typed, "--api-key-stdin"], { stdin: TEST_KEY });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Object.fromEntries(parseList(result.stdout)).Url, server.url);
  });
});

Deno.test("bad URLs are usage errors with one clear line", async () => {
  await withCli(async ({ jim }) => {
    const cases: [string, RegExp][] = [
      ["ftp://jim.example.com", /unsupported URL scheme 'ftp:'/],
      ["javascript:alert(1)", /unsupported URL scheme 'javascript:'/],
      ["https://admin:secret@jim.example.com", /must not contain a user name or password/],
      ["not a url", /not a valid URL|whitespace/],
      ["", /URL is empty/],
    ];
    for (const [url, pattern] of cases) {
      const result = await jim(["connect", url, "--api-key-stdin"], { stdin: TEST_KEY });
      assertOneLineError(result, 2, pattern);
      assert.ok(!result.stderr.includes("secret@"), "the password is not echoed");
    }
  });
});

Deno.test("bad keys and parameter sets are usage errors", async () => {
  await withCli(async ({ server, jim }) => {
    const cases: [string[], string | undefined, RegExp][] = [
      [["connect", server.url, "--api-key-stdin"], "", /API key on standard input is empty/],
      [["connect", server.url, "--api-key", ""], undefined, /API key given is empty/],
      [["connect", server.url, "--api-key-stdin"], "jim_ak_abc\ndef", /contains a line break/],
      [
        ["connect", server.url, "--api-key", TEST_KEY, "--force"],
        undefined,
        /--force applies to interactive sign-in only/,
      ],
      [
        ["Connect-JIM", "-Url", server.url, "-ApiKey", TEST_KEY, "-NoPersist"],
        undefined,
        /-NoPersist applies to interactive sign-in only/,
      ],
      [["connect", server.url, "--timeout", "5"], undefined, /between 30 and 600 seconds, not 5/],
      [["connect", server.url, "--timeout", "abc"], undefined, /whole number of seconds/],
      [["connect", server.url, "--bogus"], undefined, /unknown option '--bogus'/],
      [["Connect-JIM", "-Bogus"], undefined, /unknown parameter -Bogus/],
      [["connect"], undefined, /a JIM URL is required/],
      [["frobnicate"], undefined, /unknown command 'frobnicate'/],
    ];
    for (const [args, stdin, pattern] of cases) {
      const result = await jim(args, stdin === undefined ? {} : { stdin });
      assertOneLineError(result, 2, pattern);
    }
    assert.equal(server.requests.length, 0, "no usage error reached the server");
  });
});

Deno.test("plain http to a non-loopback host with a key gets a warning", async () => {
  await withCli(async ({ jim }) => {
    // Port 9 on a reserved .invalid name never resolves: the warning comes before the attempt.
    const result = await jim(["connect", "http://jim.invalid:9", "--api-key-stdin"], {
      stdin: TEST_KEY,
      env: { JIM_HTTP_TIMEOUT: "5" },
    });
    assertClean(result);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Warning: http:\/\/jim\.invalid:9 uses plain http:\/\//m);
  });
});

Deno.test("the server down at connect is a clear failure", async () => {
  await withCli(async ({ server, jim }) => {
    const url = server.url;
    await server.close();
    const result = await jim(["connect", url, "--api-key-stdin"], { stdin: TEST_KEY });
    assertOneLineError(result, 1, /^jim connect: cannot reach .*127\.0\.0\.1/);
  });
});

Deno.test("connect to something that is not JIM says so", async () => {
  await withCli(async ({ server, jim }) => {
    server.addFault({ path: "/api/v1/health", kind: "status", status: 404 });
    const result = await jim(["connect", server.url, "--api-key-stdin"], { stdin: TEST_KEY });
    assertOneLineError(result, 1, /does not look like a JIM server/);
  });
});
