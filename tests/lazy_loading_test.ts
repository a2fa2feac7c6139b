// A command reads only the modules it uses: every lazy import() is a string literal, which Deno
// would otherwise read, with all it imports, before the first line runs. Deno's debug log names
// each module it reads and each it runs, so these tests see what a run really loaded.

import assert from "node:assert/strict";
import { withCli } from "./helpers/cli_fixture.ts";
import { denoRunArgs, JIM_V8_FLAGS } from "../lib/runtime_flags.ts";
import { JimEnv, MAIN, ROOT_DIR, runJim } from "./helpers/run_jim.ts";
import { onlyWhere } from "./helpers/platform_gate.ts";

const MODULE_LINE =
  /(?:fetch_no_follow - specifier: |V8 code cache (?:hit )?for ES module: )(\S+?),?$/;

/** jim under Deno's debug log; the modules it read or ran, as paths in the checkout. */
async function modulesLoaded(args: string[], env: Record<string, string>): Promise<string[]> {
  const out = await runJim(args, {
    env,
    command: [Deno.execPath(), ...denoRunArgs(JIM_V8_FLAGS, ["--log-level=debug"]), MAIN],
  });
  assert.equal(out.code, 0, out.stderr.slice(-2000));
  const root = new URL(`file://${ROOT_DIR}/`).href;
  const loaded = new Set<string>();
  for (const line of out.stderr.split("\n")) {
    const match = MODULE_LINE.exec(line);
    if (match) loaded.add(match[1].startsWith(root) ? match[1].slice(root.length) : match[1]);
  }
  return [...loaded].sort();
}

const DENO_RUN = Deno.env.get("JIM_BIN") === undefined;

Deno.test({
  ...onlyWhere(
    DENO_RUN,
    "deno run",
    "Deno's debug log",
    "jim --version reads main.ts and version.ts and no other module",
  ),
  fn: async () => {
    const env = await JimEnv.create();
    try {
      assert.deepEqual(await modulesLoaded(["--version"], env.vars), ["lib/version.ts", "main.ts"]);
    } finally {
      await env.dispose();
    }
  },
});

Deno.test({
  ...onlyWhere(
    DENO_RUN,
    "deno run",
    "Deno's debug log",
    "a call through the agent loads no sign-in code: nothing of lib/auth, lib/keyring or oauth4webapi",
  ),
  fn: async () => {
    await withCli(async ({ env, connect }) => {
      await connect();
      const loaded = await modulesLoaded(["api", "/api/v1/health/version"], env.vars);
      assert.ok(loaded.includes("lib/cli/commands/api.ts"), loaded.join("\n"));
      const signIn = loaded.filter((m) =>
        /lib\/auth\/|lib\/keyring\/|oauth4webapi|@napi-rs/.test(m)
      );
      assert.deepEqual(signIn, []);
    });
  },
});
