// The gate for "this test needs tool X" (tests/helpers/platform_gate.ts): where the tool is
// missing the test is ignored with the tool and the reason in its name, and under
// JIM_TEST_REQUIRE_ALL=1 it fails instead, naming the tool. Checked in process and through a real
// `deno test` run, whose output is what .ci/run and .ci/lane read.

import assert from "node:assert/strict";
import { needs, needsTool, onlyOn } from "./helpers/platform_gate.ts";
import { runGuarded } from "../fixtures/child_process.ts";

const MISSING_TOOL = "jim-test-no-such-tool";
const NAME = "a test that needs a missing tool";
const SKIPPED_NAME = `${NAME} (needs ${MISSING_TOOL}: not found on PATH; skipped)`;

Deno.test("needs: a part that is here leaves the test as it is", () => {
  const test = { name: NAME, fn: () => {} };
  assert.equal(needs("a part", null, test, true), test);
  assert.equal(needs("a part", null, test, false), test);
});

Deno.test("needsTool: a missing tool skips the test, and its name says which tool and why", () => {
  const gated = needsTool(MISSING_TOOL, { name: NAME, fn: () => {} }, false);
  assert.equal(gated.ignore, true);
  assert.equal(gated.name, SKIPPED_NAME);
});

Deno.test("needsTool: under JIM_TEST_REQUIRE_ALL a missing tool fails the test, naming the tool", async () => {
  let ran = false;
  const gated = needsTool(MISSING_TOOL, { name: NAME, fn: () => void (ran = true) }, true);
  assert.notEqual(gated.ignore, true);
  assert.equal(gated.name, NAME);
  await assert.rejects(
    async () => await gated.fn({} as Deno.TestContext),
    new Error(
      `needs ${MISSING_TOOL}: not found on PATH, and JIM_TEST_REQUIRE_ALL=1 forbids skipping it`,
    ),
  );
  assert.equal(ran, false, "the test's own body never runs without its tool");
});

Deno.test("a skip for a missing part is not one CI accepts; another platform's part is", () => {
  // .ci/run and .ci/lane let through only ignored tests whose names end "; skipped here)".
  const accepted = /; skipped here\)$/;
  assert.doesNotMatch(SKIPPED_NAME, accepted);
  const other = Deno.build.os === "windows" ? "linux" : "windows";
  assert.match(onlyOn([other], "a part", NAME).name, accepted);
});

/** `deno test` on one module gating a test on a tool no system has; JIM_TEST_REQUIRE_ALL as given. */
async function gatedRun(requireAll: boolean): Promise<{ code: number; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "jim-gate-" });
  try {
    const gate = new URL("./helpers/platform_gate.ts", import.meta.url).href;
    const probe = `${dir}/probe_test.ts`;
    await Deno.writeTextFile(
      probe,
      `import { needsTool } from ${JSON.stringify(gate)};\n` +
        `Deno.test(needsTool(${JSON.stringify(MISSING_TOOL)}, ` +
        `{ name: ${JSON.stringify(NAME)}, fn() {} }));\n`,
    );
    const env = Deno.env.toObject();
    delete env.JIM_TEST_REQUIRE_ALL;
    if (requireAll) env.JIM_TEST_REQUIRE_ALL = "1";
    env.NO_COLOR = "1";
    const result = await runGuarded(
      [Deno.execPath(), "test", "-q", "--no-check", "--allow-env", "--allow-read", probe],
      { env, clearEnv: true, cwd: dir, killAfterMs: 60_000 },
    );
    return { code: result.code, output: result.stdout + result.stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno test without JIM_TEST_REQUIRE_ALL: the test is ignored, its name saying why", async () => {
  const { code, output } = await gatedRun(false);
  assert.equal(code, 0, output);
  assert.ok(output.includes(`${SKIPPED_NAME} ... ignored`), output);
  assert.match(output, /\| 0 passed \| 0 failed \| 1 ignored/);
});

Deno.test("deno test with JIM_TEST_REQUIRE_ALL=1: the test fails, and the failure names the tool", async () => {
  const { code, output } = await gatedRun(true);
  assert.equal(code, 1, output);
  assert.ok(output.includes(`${NAME} ... FAILED`), output);
  assert.ok(
    output.includes(
      `needs ${MISSING_TOOL}: not found on PATH, and JIM_TEST_REQUIRE_ALL=1 forbids skipping it`,
    ),
    output,
  );
  assert.doesNotMatch(output, / \.\.\. ignored/);
});
