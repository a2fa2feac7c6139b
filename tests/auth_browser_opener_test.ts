// lib/auth/browser_opener.ts: which command opens the browser ($BROWSER, then the platform's
// openers), without a shell, and what the real run reports.

import assert from "node:assert/strict";
import {
  browserCommands,
  openBrowser,
  runDetached,
  type RunOutcome,
} from "../lib/auth/browser_opener.ts";
import { onlyOn, UNIX } from "./helpers/platform_gate.ts";

function fakeRun(outcomes: Record<string, RunOutcome>) {
  const runs: string[][] = [];
  return {
    runs,
    run(cmd: string, args: readonly string[]): Promise<RunOutcome> {
      runs.push([cmd, ...args]);
      return Promise.resolve(outcomes[cmd] ?? { status: "not_found" });
    },
  };
}

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
const URL_TO_OPEN = "https://idp.test/auth?client_id=jim&state=s%20t";

Deno.test("browser opener: $BROWSER list, arguments and %s, without a shell", async () => {
  const fake = fakeRun({
    "first-browser": { status: "exited", code: 1 },
    "second": { status: "running" },
  });
  const result = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "first-browser --new-window:second 'a b' --url=%s --pct=%%" }),
    platform: "linux",
    run: fake.run,
  });
  assert.deepEqual(result, { opened: true });
  assert.deepEqual(fake.runs, [
    ["first-browser", "--new-window", URL_TO_OPEN],
    ["second", "a b", `--url=${URL_TO_OPEN}`, "--pct=%"],
  ]);
});

Deno.test("browser opener: a failing $BROWSER is not replaced by the platform opener", async () => {
  const fake = fakeRun({ "my-browser": { status: "exited", code: 2 } });
  const result = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "my-browser" }),
    platform: "linux",
    run: fake.run,
  });
  assert.equal(result.opened, false);
  assert.equal(result.reason, "my-browser exited with status 2");
  assert.equal(fake.runs.length, 1);
});

Deno.test("browser opener: Linux tries xdg-open and friends in order", async () => {
  const fake = fakeRun({
    "x-www-browser": { status: "exited", code: 3 },
    "sensible-browser": { status: "failed", reason: "permission denied" },
    "gio": { status: "exited", code: 0 },
  });
  const result = await openBrowser(URL_TO_OPEN, { env: env({}), platform: "linux", run: fake.run });
  assert.deepEqual(result, { opened: true });
  assert.deepEqual(fake.runs, [
    ["xdg-open", URL_TO_OPEN],
    ["x-www-browser", URL_TO_OPEN],
    ["sensible-browser", URL_TO_OPEN],
    ["gio", "open", URL_TO_OPEN],
  ]);
  const none = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "" }),
    platform: "linux",
    run: fakeRun({}).run,
  });
  assert.equal(none.opened, false);
  assert.match(none.reason!, /^xdg-open not found; .*; wslview not found$/);
});

Deno.test("browser opener: macOS open, Windows rundll32", () => {
  assert.deepEqual(browserCommands(URL_TO_OPEN, undefined, "darwin"), [
    { cmd: "open", args: [URL_TO_OPEN] },
  ]);
  assert.deepEqual(browserCommands(URL_TO_OPEN, undefined, "windows"), [
    { cmd: "rundll32", args: ["url.dll,FileProtocolHandler", URL_TO_OPEN] },
  ]);
});

Deno.test({
  ...onlyOn(
    UNIX,
    "true, false and sleep",
    "browser opener: the real run reports exit, absence, and a browser left running",
  ),
  // the "running" child is deliberately not awaited: it is reaped after the test
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.deepEqual(await runDetached("true", []), { status: "exited", code: 0 });
    assert.deepEqual(await runDetached("false", []), { status: "exited", code: 1 });
    assert.deepEqual(await runDetached("jim-test-no-such-browser", ["x"]), {
      status: "not_found",
    });
    assert.deepEqual(await runDetached("sleep", ["2"], 20), { status: "running" });
  },
});
