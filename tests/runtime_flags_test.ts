// One set of V8 flags for every jim process: the `deno task jim` line, the tests (run_jim.ts),
// the compile task and the agent jim starts (checked in cli_agent_test.ts). Processes that load
// the same modules with other flags reject each other's code cache entries and recompile.

import assert from "node:assert/strict";
import { JIM_V8_FLAGS } from "../lib/runtime_flags.ts";
import { CONFIG, jimCommand } from "./helpers/run_jim.ts";

Deno.test("deno task jim and the test runner start jim with the same permission set and V8 flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(CONFIG));
  const task = String(config.tasks.jim).split(/\s+/);
  const tests = Deno.env.get("JIM_BIN") ? null : jimCommand();
  for (const argv of [task, tests]) {
    if (!argv) continue;
    assert.ok(argv.includes("-P=jim"), argv.join(" "));
    assert.ok(argv.includes(`--v8-flags=${JIM_V8_FLAGS}`), argv.join(" "));
  }
});
