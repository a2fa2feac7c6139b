// The commands that use a session — test-connection, whoami, connected-system, api, disconnect —
// and the not-connected contract, through the CLI subprocess against the simulator.

import assert from "node:assert/strict";
import {
  assertClean,
  assertOneLineError,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";

const NOT_CONNECTED_GNU =
  /^jim whoami: You are not connected to JIM\. Run jim connect <your JIM URL> to authenticate, then try again\.$/;
const NOT_CONNECTED_CMDLET =
  /^Get-JIMConnectedSystem: You are not connected to JIM\. Run Connect-JIM -Url <your JIM URL> to authenticate, then try again\.$/;

Deno.test("commands before connect: stdout empty, exit 3, the message in both styles", async () => {
  await withCli(async ({ jim }) => {
    assertOneLineError(await jim(["whoami"]), 3, NOT_CONNECTED_GNU);
    assertOneLineError(await jim(["Get-JIMConnectedSystem"]), 3, NOT_CONNECTED_CMDLET);
    assertOneLineError(
      await jim(["connected-system", "list"]),
      3,
      /^jim connected-system list: You are not connected to JIM\./,
    );
    assertOneLineError(await jim(["api", "/api/v1/health"]), 3, /^jim api: You are not connected/);
  });
});

Deno.test("test-connection when not connected: Connected False, the advice, exit 1", async () => {
  await withCli(async ({ jim }) => {
    const result = await jim(["test-connection"]);
    assertClean(result);
    assert.equal(result.code, 1);
    assert.deepEqual(parseList(result.stdout), [
      ["Connected", "False"],
      ["Url", ""],
      ["AuthMethod", ""],
      ["ServerVersion", ""],
      ["Status", "Not connected"],
      ["Message", "Use Connect-JIM to establish a connection."],
      ["TokenExpiresAt", ""],
    ]);
    const quiet = await jim(["Test-JIMConnection", "-Quiet"]);
    assert.equal(quiet.stdout, "false\n");
    assert.equal(quiet.code, 1);
  });
});

Deno.test("test-connection after connect checks health and the key; status is an alias", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    const before = server.requests.length;
    const result = await jim(["test-connection", "--json"]);
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(body), [
      "Connected",
      "Url",
      "AuthMethod",
      "ServerVersion",
      "Status",
      "Message",
      "TokenExpiresAt",
    ]);
    assert.equal(body.Connected, true);
    assert.equal(body.Url, server.url);
    assert.equal(body.AuthMethod, "ApiKey");
    assert.equal(body.ServerVersion, "1.4.2");
    assert.equal(body.TokenExpiresAt, null);
    const paths = server.requests.slice(before).map((r) => r.path);
    assert.ok(paths.includes("/api/v1/health"), "health was checked");
    assert.ok(paths.includes("/api/v1/userinfo"), "the credentials were checked");
    const alias = await jim(["status", "-q"]);
    assert.equal(alias.stdout, "true\n");
    assert.equal(alias.code, 0);
  });
});

Deno.test("a key revoked after connect: test-connection reports it, commands fail with the 401", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    server.revokeApiKey(TEST_KEY);
    const status = await jim(["test-connection"]);
    assertClean(status);
    assert.equal(status.code, 1);
    const values = Object.fromEntries(parseList(status.stdout));
    assert.equal(values.Connected, "False");
    assert.equal(values.Status, "Error");
    assert.match(values.Message, /401/);
    assertOneLineError(await jim(["whoami"]), 1, /^jim whoami: authentication failed \(401\)/);
  });
});

Deno.test("the server down after connect: test-connection says unreachable, commands fail clearly", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    await server.close();
    const status = await jim(["test-connection"]);
    assertClean(status);
    assert.equal(status.code, 1);
    const values = Object.fromEntries(parseList(status.stdout));
    assert.equal(values.Status, "Error");
    assert.match(values.Message, /connection refused/);
    assertOneLineError(await jim(["whoami"]), 1, /^jim whoami: cannot reach .*connection refused/);
  });
});

Deno.test("whoami prints the identity as a list", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const result = await jim(["whoami"]);
    assertClean(result);
    assert.equal(result.code, 0);
    const values = Object.fromEntries(parseList(result.stdout));
    assert.equal(values.Name, "ci-key");
    assert.equal(values.AuthMethod, "api_key");
  });
});

Deno.test("connected-system list pages through everything; --name and -Name filter with wildcards", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    const all = await jim(["connected-system", "list", "--json"]);
    assertClean(all);
    assert.equal(all.code, 0, all.stderr);
    const items = JSON.parse(all.stdout);
    assert.equal(items.length, 137);
    assert.deepEqual(
      items.map((i: { Id: number }) => i.Id),
      Array.from({ length: 137 }, (_, i) => i + 1),
    );
    const pages = server.requests.filter((r) =>
      r.path === "/api/v1/synchronisation/connected-systems"
    );
    assert.deepEqual(pages.map((r) => r.query.page), ["1", "2"]);
    assert.ok(pages.every((r) => r.query.pageSize === "100"));

    const table = await jim(["connected-system", "list", "--name", "hr feed 0?"]);
    assertClean(table);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^Id\s+Name\s+/);
    assert.match(lines[1], /^--\s+----\s+/);
    const names = lines.slice(2).map((line) => line.split(/\s{2,}|\s(?=JIM)/)[0]);
    assert.ok(lines.length > 3, table.stdout);
    for (const line of lines.slice(2)) assert.match(line, /HR Feed 0\d/);
    assert.ok(names.length > 0);

    const cmdlet = await jim(["Get-JIMConnectedSystem", "-Name", "*directory*", "-Json"]);
    assertClean(cmdlet);
    const matched = JSON.parse(cmdlet.stdout) as { Name: string }[];
    assert.ok(matched.length > 0);
    assert.ok(matched.every((i) => /directory/i.test(i.Name)));
  });
});

Deno.test("connected-system get and Get-JIMConnectedSystem -Id; unknown id is a 404", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const one = await jim(["connected-system", "get", "2", "--json"]);
    assertClean(one);
    assert.equal(JSON.parse(one.stdout).Id, 2);
    const cmdlet = await jim(["Get-JIMConnectedSystem", "-Id", "3"]);
    assertClean(cmdlet);
    assert.equal(Object.fromEntries(parseList(cmdlet.stdout)).Id, "3");
    assertOneLineError(await jim(["connected-system", "get", "9999"]), 1, /not found \(404\)/);
    assertOneLineError(await jim(["connected-system", "get", "abc"]), 2, /positive whole number/);
  });
});

Deno.test("api: GET, --include, --paginate, --data JSON, @file and stdin", async () => {
  await withCli(async ({ server, env, jim, connect }) => {
    await connect();
    const version = await jim(["api", "/api/v1/health/version"]);
    assertClean(version);
    assert.deepEqual(JSON.parse(version.stdout), { product: "JIM", version: "1.4.2" });

    const included = await jim(["api", "api/v1/health/version", "--include"]);
    assert.match(included.stdout, /^HTTP 200 OK\n/);
    assert.match(included.stdout, /^content-type: application\/json/m);

    const paged = await jim(["api", "/api/v1/synchronisation/connected-systems", "--paginate"]);
    assertClean(paged);
    assert.equal(JSON.parse(paged.stdout).length, 137);

    const inline = await jim(["api", "/api/v1/test/echo", "--data", '{"a":1}']);
    assertClean(inline);
    assert.deepEqual(pick(JSON.parse(inline.stdout)), { method: "POST", body: { a: 1 } });

    const file = `${env.dir}/body.json`;
    await Deno.writeTextFile(file, '{"from":"file"}');
    const fromFile = await jim(["api", "/api/v1/test/echo", "-X", "put", "--data", `@${file}`]);
    assertClean(fromFile);
    assert.deepEqual(pick(JSON.parse(fromFile.stdout)), { method: "PUT", body: { from: "file" } });

    const fromStdin = await jim(["api", "/api/v1/test/echo", "--data", "-"], { stdin: '["x"]' });
    assertClean(fromStdin);
    assert.deepEqual(JSON.parse(fromStdin.stdout).body, ["x"]);
    const echoed = server.requests.filter((r) => r.path === "/api/v1/test/echo");
    assert.equal(echoed.length, 3);
    assert.ok(echoed.every((r) => r.headers["content-type"]?.startsWith("application/json")));

    assertOneLineError(
      await jim(["api", "/api/v1/test/echo", "--data", "{bad"]),
      2,
      /not valid JSON/,
    );
    assertOneLineError(await jim(["api", "/x", "--data", "@/nonexistent/file"]), 2, /no such file/);
    assertOneLineError(await jim(["api", "https://evil.example/x"]), 2, /give a path/);
    assertOneLineError(await jim(["api", "/x", "-X", "BREW"]), 2, /unknown HTTP method/);
  });
});

Deno.test("a 500 is one clear line; a 429 with Retry-After is waited out, then succeeds", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    server.addFault({ path: "/api/v1/userinfo", kind: "status", status: 500 });
    assertOneLineError(await jim(["whoami"]), 1, /^jim whoami: 500 Internal Server Error/);

    server.addFault({
      path: "/api/v1/userinfo",
      kind: "retry-after-seconds",
      retryAfterSeconds: 1,
    });
    const seconds = await jim(["whoami", "--json"]);
    assertClean(seconds);
    assert.equal(seconds.code, 0, seconds.stderr);
    server.addFault({ path: "/api/v1/userinfo", kind: "retry-after-date", retryAfterSeconds: 1 });
    const date = await jim(["whoami", "--json"]);
    assertClean(date);
    assert.equal(date.code, 0, date.stderr);
    const hits = server.requests.filter((r) => r.path === "/api/v1/userinfo");
    // connect's check, the 500, then a 429 and its retry, twice.
    assert.equal(hits.length, 6);
  });
});

Deno.test("a redirect to another origin is refused and the credentials never reach it", async () => {
  await withCli(async ({ server, jim, connect }) => {
    const other = await (await import("../fixtures/jim_server.ts")).startJimServer();
    try {
      await connect();
      server.addFault({
        path: "/api/v1/userinfo",
        kind: "redirect",
        location: `${other.url}/api/v1/userinfo`,
      });
      assertOneLineError(await jim(["whoami"]), 1, /redirected to .*does not follow redirects/);
      assert.equal(other.requests.length, 0);
    } finally {
      await other.close();
    }
  });
});

Deno.test("disconnect ends the session; a bare disconnect while not connected does nothing", async () => {
  await withCli(async ({ server, jim, connect }) => {
    const idle = await jim(["disconnect"]);
    assertClean(idle);
    assert.equal(idle.code, 0);
    assert.equal(idle.stdout, "");
    assert.equal(idle.stderr, "");

    await connect();
    const result = await jim(["Disconnect-JIM"]);
    assertClean(result);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^Disconnected from ${server.url}\\.`));
    assertOneLineError(await jim(["whoami"]), 3, /You are not connected/);
    assertOneLineError(
      await jim(["disconnect", "--url", server.url, "--all"]),
      2,
      /cannot be combined/,
    );
  });
});

Deno.test("disconnect --url or --all with the credential store disabled says nothing was removed, and why", async () => {
  await withCli(async ({ server, jim }) => {
    const unavailable =
      "No stored sign-in was removed: the credential store is unavailable (disabled by JIM_KEYRING=none).\n";
    for (const args of [["disconnect", "--url", server.url], ["Disconnect-JIM", "-All"]]) {
      const result = await jim(args);
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, unavailable, args.join(" "));
    }
    const json = await jim(["disconnect", "--all", "--json"]);
    assert.equal(json.stderr, unavailable);
    assert.equal(JSON.parse(json.stdout).StoredSignInsRemoved, 0);
  });
});

Deno.test("--version and help", async () => {
  await withCli(async ({ jim }) => {
    const version = await jim(["--version"]);
    assert.match(version.stdout, /^jim \d+\.\d+\.\d+\n$/);
    assert.equal(version.code, 0);
    const help = await jim(["help"]);
    assert.equal(help.code, 0);
    for (
      const command of [
        "connect",
        "disconnect",
        "test-connection",
        "whoami",
        "connected-system list",
        "api",
      ]
    ) {
      assert.match(help.stdout, new RegExp(`^  ${command}`, "m"));
    }
    const connectHelp = await jim(["connect", "--help"]);
    assert.match(connectHelp.stdout, /--api-key-stdin/);
    assert.match(connectHelp.stdout, /Cmdlet style:\n {2}jim Connect-JIM/);
    const cmdletHelp = await jim(["help", "Test-JIMConnection"]);
    assert.match(cmdletHelp.stdout, /--quiet/);
    assertOneLineError(await jim(["help", "nonsense"]), 2, /unknown command/);
  });
});

function pick(echo: { method: string; body: unknown }) {
  return { method: echo.method, body: echo.body };
}
