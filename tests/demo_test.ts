// `deno task demo` shows each command's stderr where jim wrote it among the stdout lines.

import assert from "node:assert/strict";
import { ROOT_DIR } from "./helpers/run_jim.ts";

Deno.test("the demo interleaves each command's stderr with its stdout in the order written", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-all", `${ROOT_DIR}/fixtures/demo.ts`],
    cwd: ROOT_DIR,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const out = await child.output().finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${text}\n${new TextDecoder().decode(out.stderr)}`);
  assert.match(text, /every step behaved as expected/);
  // The SSO connect writes its sign-in notice before the session object.
  const sso = text.slice(text.lastIndexOf("$ jim connect"));
  const notice = sso.indexOf("  stderr: Opening your browser");
  const data = sso.indexOf("\nUrl ");
  assert.ok(notice >= 0 && data > notice, `stderr notice before stdout:\n${sso.slice(0, 800)}`);
});
