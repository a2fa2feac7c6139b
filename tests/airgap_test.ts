// Air-gapped `deno run`: with node_modules/ filled once by `deno install`, jim runs from the
// checkout with --cached-only, an empty Deno cache and no reachable registry — through an SSO
// sign-in, which loads every lazily imported npm module the command needs.

import assert from "node:assert/strict";
import { MAIN, runJim } from "./helpers/run_jim.ts";
import { denoRunArgs, JIM_V8_FLAGS } from "../lib/runtime_flags.ts";
import { assertClean, parseList } from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";

Deno.test("deno run --cached-only with an empty DENO_DIR and no registry: SSO sign-in works", async () => {
  await withSso(async ({ server, env }) => {
    const denoDir = `${env.dir}/empty-deno-dir`;
    await Deno.mkdir(denoDir);
    const run = (args: string[]) =>
      runJim(args, {
        env: {
          ...env.vars,
          DENO_DIR: denoDir,
          // Nothing answers here: any download attempt fails instead of quietly succeeding.
          NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
          HTTPS_PROXY: "http://127.0.0.1:9",
        },
        command: [Deno.execPath(), ...denoRunArgs(JIM_V8_FLAGS, ["--cached-only"]), MAIN],
        killAfterMs: 120_000,
      });
    const version = await run(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    const connect = await run(["connect", server.url, "--no-persist"]);
    assertClean(connect);
    assert.equal(connect.code, 0, connect.stderr);
    assert.equal(Object.fromEntries(parseList(connect.stdout)).AuthMethod, "OAuth");
    const who = await run(["whoami", "--json"]);
    assert.equal(who.code, 0, who.stderr);
  });
});
