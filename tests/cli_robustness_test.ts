// Bad settings and awkward inputs found in review: each is one clear line and the right exit
// code, never a silent default, a misleading "not connected", a leaked key or a crash.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { startJim } from "./helpers/run_jim.ts";

Deno.test("bad JIM_HTTP_TIMEOUT and JIM_AGENT_IDLE_TIMEOUT are usage errors naming the variable", async () => {
  await withCli(async ({ server, jim }) => {
    for (
      const [name, value] of [
        ["JIM_HTTP_TIMEOUT", "abc"],
        ["JIM_HTTP_TIMEOUT", "0.0001"],
        ["JIM_AGENT_IDLE_TIMEOUT", "-1"],
        ["JIM_AGENT_IDLE_TIMEOUT", "3000000"],
      ]
    ) {
      const result = await jim(["connect", server.url, "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { [name]: value },
      });
      assertOneLineError(result, 2, new RegExp(`${name} must be a number of seconds from`));
    }
  });
});

Deno.test("a request body over the agent's limit is a usage error, not 'not connected'", async () => {
  await withCli(async ({ env, jim, connect }) => {
    await connect();
    const big = `${env.dir}/big.json`;
    await Deno.writeTextFile(big, JSON.stringify({ blob: "x".repeat(5 * 1024 * 1024) }));
    assertOneLineError(
      await jim(["api", "/api/v1/test/echo", "--data", `@${big}`]),
      2,
      /larger than/,
    );
    const viaStdin = await jim(["api", "/api/v1/test/echo", "--data", "-"], {
      stdin: JSON.stringify({ blob: "y".repeat(5 * 1024 * 1024) }),
    });
    assertOneLineError(viaStdin, 2, /request body on standard input is larger than/);
    assert.equal((await jim(["whoami"])).code, 0, "the session is untouched");
  });
});

Deno.test("--data @/dev/zero stops at the limit instead of eating memory", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    assertOneLineError(
      await jim(["api", "/api/v1/test/echo", "--data", "@/dev/zero"]),
      2,
      /larger than/,
    );
  });
});

Deno.test("stateless mode checks JIM_API_KEY like connect does, and warns about plain http", async () => {
  await withCli(async ({ server, jim }) => {
    assertOneLineError(
      await jim(["whoami"], { env: { JIM_URL: server.url, JIM_API_KEY: "jim_ak_with space" } }),
      2,
      /API key in JIM_API_KEY contains whitespace/,
    );
    const remote = await jim(["whoami"], {
      env: { JIM_URL: "http://jim.invalid:9", JIM_API_KEY: TEST_KEY, JIM_HTTP_TIMEOUT: "5" },
    });
    assertClean(remote);
    assert.match(remote.stderr, /^Warning: http:\/\/jim\.invalid:9 uses plain http:\/\//m);
  });
});

Deno.test("arguments swapped: the key is never echoed as a URL", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["Connect-JIM", TEST_KEY, server.url]);
    assertOneLineError(result, 2, /looks like an API key; check the order of the arguments/);
  });
});

Deno.test("an empty JIM_API_KEY counts as unset: connect goes interactive", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connect", server.url, "--no-persist"], { env: { JIM_API_KEY: "" } });
    assertOneLineError(result, 1, /SSO is not configured/);
  });
});

Deno.test("completion works whatever the session settings say", async () => {
  await withCli(async ({ jim }) => {
    const result = await jim(["completion", "bash"], {
      env: { JIM_CA_CERT: "/nonexistent.pem", JIM_AGENT_TRANSPORT: "bogus" },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /complete/);
  });
});

Deno.test("commands through the agent never read JIM_CA_CERT: the agent has the CA from connect", async () => {
  await withCli(async ({ jim, connect }) => {
    await connect();
    const result = await jim(["whoami", "--json"], { env: { JIM_CA_CERT: "/nonexistent.pem" } });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    // connect does make requests itself, so there the unreadable file is the user's error.
    assertOneLineError(
      await jim(["connect", "https://127.0.0.1:9", "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { JIM_CA_CERT: "/nonexistent.pem" },
      }),
      2,
      /JIM_CA_CERT: cannot read '\/nonexistent\.pem'/,
    );
  });
});

Deno.test("a reader that closes the pipe early ends jim quietly", async () => {
  await withCli(async ({ env, connect }) => {
    await connect();
    const jim = startJim(["connected-system", "list"], { env: env.vars });
    // Close the read end before jim has started, as `jim ... | head -0` would: its first write
    // meets a closed pipe.
    await jim.child.stdout.cancel();
    const [code, stderr] = await Promise.all([jim.ended(), new Response(jim.child.stderr).text()]);
    assert.doesNotMatch(stderr, /Broken pipe|unexpected error/);
    assert.equal(stderr, "");
    assert.equal(code, 0);
  });
});
