// `deno task install` gives a checkout a real `jim` command: the launcher it writes runs main.ts
// with the binary's permission set and V8 flags, so an agent call works through it.

import assert from "node:assert/strict";
import { assertClean, TEST_KEY } from "./helpers/cli_fixture.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv, ROOT_DIR, runJim } from "./helpers/run_jim.ts";
import { runGuarded } from "../fixtures/child_process.ts";
import { JIM_V8_FLAGS } from "../lib/runtime_flags.ts";

Deno.test("deno task install writes a jim command that runs --version and calls through the agent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jim-install-" });
  const server = await startJimServer({ apiKeys: [{ key: TEST_KEY, name: "ci-key" }] });
  const runtime = `${dir}/run`;
  await Deno.mkdir(runtime, { mode: 0o700 });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${dir}`,
    XDG_RUNTIME_DIR: runtime,
    TMPDIR: dir,
    JIM_KEYRING: "none",
    NO_COLOR: "1",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`,
  };
  const jim = `${dir}/root/bin/jim`;
  try {
    const installed = await runGuarded(
      [Deno.execPath(), "task", "-q", "--cwd", ROOT_DIR, "install", "--root", `${dir}/root`],
      { env, clearEnv: true, cwd: env.HOME, killAfterMs: 60_000 },
    );
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /install: wrote .*\/root\/bin\/jim/);
    assert.match(installed.stdout, /add .*\/root\/bin to your PATH/);

    const launcher = await Deno.readTextFile(jim);
    assert.match(launcher, /'-P=jim'/);
    assert.ok(launcher.includes(`'--v8-flags=${JIM_V8_FLAGS}'`), launcher);

    // Run from another directory, as a user would: nothing may depend on the working directory.
    const installedJim = { env, cwd: env.HOME, command: [jim] };
    const version = await runJim(["--version"], installedJim);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^jim \d+\.\d+\.\d+/);

    const connect = await runJim(["connect", server.url, "--api-key-stdin"], {
      ...installedJim,
      stdin: TEST_KEY,
    });
    assertClean(connect);
    assert.equal(connect.code, 0, connect.stderr);
    const health = await runJim(["api", "/api/v1/health"], installedJim);
    assertClean(health);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(JSON.parse(health.stdout).status, "healthy");
  } finally {
    await runJim(["disconnect"], { env, cwd: env.HOME, command: [jim] }).catch(() => {});
    await server.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("the sandbox's SSO hint for a machine without a browser signs in as printed", async () => {
  const { startSandbox } = await import("../fixtures/sandbox.ts");
  const sandbox = await startSandbox({ port: 0, sso: true }, () => {});
  const env = await JimEnv.create();
  try {
    const hint = sandbox.summary.find((line) => line.includes("BROWSER="));
    assert.ok(hint, sandbox.summary.join("\n"));
    const [, browser, url] = hint.match(/BROWSER=(\S+) deno task jim connect (\S+) --force/)!;
    assert.equal(url, sandbox.url);
    // With $BROWSER set jim starts nothing else, so no desktop browser takes part.
    const result = await env.run(["connect", url, "--force", "--json"], {
      env: { BROWSER: browser },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).AuthMethod, "OAuth");
  } finally {
    await env.dispose();
    await sandbox.close();
  }
});
