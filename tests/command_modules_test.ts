// The runner's dispatch table against the command table: every command a user can type reaches
// a module (that each module has the parse/run pair is the type checker's to say).

import assert from "node:assert/strict";
import { COMMANDS } from "../lib/cli/command_defs.ts";
import { COMMAND_MODULES } from "../lib/cli/command_modules.ts";

// Answered before dispatch: help by the parser, completion before the dependencies are built.
const RUN_APART = ["help", "completion"];

Deno.test("every command of command_defs.ts but help and completion has exactly one entry in the dispatch table", () => {
  const dispatched = COMMANDS.map((def) => def.name).filter((name) => !RUN_APART.includes(name));
  assert.deepEqual(Object.keys(COMMAND_MODULES).sort(), dispatched.sort());
});
