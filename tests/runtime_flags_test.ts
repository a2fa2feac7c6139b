// The `deno task jim` line in deno.json is the one place that cannot import lib/runtime_flags.ts:
// it must still start jim with the permission set, the V8 flags and the lazy dynamic imports that
// the tests, the launcher and the agent spawn take from there. That the agent really shares the
// code cache with the commands is checked in cli_agent_test.ts; what a command loads, in
// lazy_loading_test.ts.

import assert from "node:assert/strict";
import { denoRunArgs, LAZY_IMPORTS_FLAG } from "../lib/runtime_flags.ts";
import { CONFIG } from "./helpers/run_jim.ts";

Deno.test("deno task jim starts main.ts with the permission set, V8 flags and lazy imports every other start uses", async () => {
  const config = JSON.parse(await Deno.readTextFile(CONFIG));
  const task = String(config.tasks.jim).split(/\s+/);
  const expected = denoRunArgs().filter((arg) =>
    arg === "-P=jim" || arg.startsWith("--v8-flags=") || arg === LAZY_IMPORTS_FLAG
  );
  assert.equal(expected.length, 3);
  for (const arg of expected) assert.ok(task.includes(arg), `${task.join(" ")} lacks ${arg}`);
  assert.equal(task.at(-1), "main.ts");
});
