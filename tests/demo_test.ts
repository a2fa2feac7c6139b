// `deno task demo` shows each command's stderr where jim wrote it among the stdout lines.

import assert from "node:assert/strict";
import { ROOT_DIR } from "./helpers/run_jim.ts";
import { runGuarded } from "../fixtures/child_process.ts";

Deno.test("the demo interleaves each command's stderr with its stdout in the order written", async () => {
  const out = await runGuarded(
    [Deno.execPath(), "run", "-q", "--allow-all", `${ROOT_DIR}/fixtures/demo.ts`],
    { cwd: ROOT_DIR, killAfterMs: 120_000 },
  );
  const text = out.stdout;
  assert.equal(out.code, 0, `${text}\n${out.stderr}`);
  assert.match(text, /every step behaved as expected/);
  // The SSO connect writes its sign-in notice before the session object.
  const sso = text.slice(text.lastIndexOf("$ jim connect"));
  const notice = sso.indexOf("  stderr: Opening your browser");
  const data = sso.indexOf("\nUrl ");
  assert.ok(notice >= 0 && data > notice, `stderr notice before stdout:\n${sso.slice(0, 800)}`);
});
