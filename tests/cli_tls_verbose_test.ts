// Corporate networks and tracing: a JIM server behind a private CA (--ca-cert, JIM_CA_CERT), and
// --verbose printing one line per HTTP step with every secret masked.

import assert from "node:assert/strict";
import { startJimServer } from "../fixtures/jim_server.ts";
import { makeTestCa } from "../fixtures/test_ca.ts";
import { JimEnv } from "./helpers/run_jim.ts";
import {
  assertClean,
  assertOneLineError,
  parseList,
  TEST_KEY,
  withCli,
} from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";
import { needsTool } from "./helpers/platform_gate.ts";

Deno.test(needsTool("openssl", {
  name:
    "a JIM server signed by a private CA: refused without it, works with --ca-cert and JIM_CA_CERT",
  fn: async () => {
    const ca = await makeTestCa();
    const server = await startJimServer({
      apiKeys: [{ key: TEST_KEY, name: "tls-key" }],
      tls: { cert: ca.serverCertPem, key: ca.serverKeyPem },
    });
    const env = await JimEnv.create();
    try {
      const url = server.url;
      assert.match(url, /^https:/);
      const refused = await env.run(["connect", url, "--api-key-stdin"], { stdin: TEST_KEY });
      assertOneLineError(
        refused,
        1,
        /TLS certificate for 127\.0\.0\.1:\d+ is not trusted \(use --ca-cert FILE or JIM_CA_CERT\)/,
      );

      const flag = await env.run(["connect", url, "--api-key-stdin", "--ca-cert", ca.caCertPath], {
        stdin: TEST_KEY,
      });
      assertClean(flag);
      assert.equal(flag.code, 0, flag.stderr);
      // The agent keeps the CA with the session: later commands need no flag.
      const who = await env.run(["whoami", "--json"]);
      assertClean(who);
      assert.equal(JSON.parse(who.stdout).Name, "tls-key");
      await env.run(["disconnect"]);

      const viaEnv = await env.run(["connect", url, "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { JIM_CA_CERT: ca.caCertPath },
      });
      assert.equal(viaEnv.code, 0, viaEnv.stderr);

      const stateless = await env.run(["whoami", "--json"], {
        env: { JIM_URL: url, JIM_API_KEY: TEST_KEY, JIM_CA_CERT: ca.caCertPath },
      });
      assert.equal(stateless.code, 0, stateless.stderr);

      assertOneLineError(
        await env.run(["connect", url, "--ca-cert", `${ca.dir}/missing.pem`]),
        2,
        /--ca-cert: cannot read .*no such file/,
      );
      assertOneLineError(
        await env.run(["connect", url, "--ca-cert", `${ca.dir}/server.ext`]),
        2,
        /holds no PEM certificate/,
      );
    } finally {
      await env.dispose();
      await server.close();
      await ca.remove();
    }
  },
}));

Deno.test("--verbose traces each HTTP step of connect and of agent calls, key masked", async () => {
  await withCli(async ({ server, jim }) => {
    const connect = await jim(["connect", server.url, "--api-key-stdin", "--verbose"], {
      stdin: TEST_KEY,
    });
    assertClean(connect);
    assert.equal(connect.code, 0, connect.stderr);
    const lines = connect.stderr.split("\n").filter((line) => line.startsWith("* "));
    assert.ok(
      lines.some((l) =>
        /^\* GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/health\/version -> 200 \(\d+ ms\)$/.test(l)
      ),
    );
    assert.ok(lines.some((l) => /\/api\/v1\/userinfo -> 200/.test(l)));

    const api = await jim(["api", "/api/v1/userinfo", "-v"]);
    assertClean(api);
    assert.match(
      api.stderr,
      /^\* GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/userinfo -> 200 \(\d+ ms\)$/m,
    );
    assert.equal(JSON.parse(api.stdout).name, "ci-key", "stdout keeps only the data");

    server.addFault({ path: "/api/v1/userinfo", kind: "status", status: 500 });
    const failed = await jim(["whoami", "--verbose"]);
    assertClean(failed);
    assert.match(failed.stderr, /^\* GET .*\/api\/v1\/userinfo -> 500/m);
  });
});

Deno.test("--verbose through an SSO sign-in shows no token, code or verifier", async () => {
  await withSso(async ({ server, jim }) => {
    const result = await jim(["connect", server.url, "--no-persist", "--verbose"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^\* POST http:\/\/127\.0\.0\.1:\d+\/token -> 200/m);
    const all = result.stdout + result.stderr;
    assert.doesNotMatch(all, /eyJ[\w-]{10,}\.[\w-]{10,}\./, "no JWT");
    assert.doesNotMatch(all, /[?&](code|code_verifier|refresh_token|access_token)=[^*&\s]/);
    const values = Object.fromEntries(parseList(result.stdout));
    assert.equal(values.AuthMethod, "OAuth");
    const api = await jim(["api", "/api/v1/userinfo", "--verbose"]);
    assert.doesNotMatch(api.stderr, /Bearer [^*\s]/);
  });
});
