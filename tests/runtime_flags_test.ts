// The `deno task jim` line must start jim as the tests do (tests/helpers/run_jim.ts): with the
// permission set and the V8 flags of lib/runtime_flags.ts, which tools/compile.ts and the agent
// spawn take from the same constant. That the agent really shares the code cache is checked in
// cli_agent_test.ts.

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
