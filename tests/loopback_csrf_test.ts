// Login CSRF through the browser opener's command line. Every local user can read every
// process's argv; what jim puts there must not let another user finish jim's sign-in with their
// own account. A stand-in xdg-open on PATH records its argv; "mallory" reads it and, as another
// uid (setpriv), tries to follow it first.

import assert from "node:assert/strict";
import { assertClean, parseList } from "./helpers/cli_fixture.ts";
import { eventually, LOGIN, withSso } from "./helpers/sso_fixture.ts";
import { ROOT_DIR, spawnJim } from "./helpers/run_jim.ts";
import { driveSignIn } from "../fixtures/scripted_browser.ts";
import { startLoopbackListener } from "../lib/auth/loopback_server.ts";
import { forwardingPage, writeHandoffPage } from "../lib/auth/browser_handoff.ts";

const OPENERS = `${ROOT_DIR}/fixtures/standins/openers`;
const MALLORY = "mallory@example.test";
const NOBODY = 65534;

/** What another user gets when opening `url` as uid 65534: the text, or null if refused. */
async function readAsAnotherUser(path: string): Promise<string | null> {
  const out = await new Deno.Command("setpriv", {
    args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", "cat", path],
    stdout: "piped",
    stderr: "null",
  }).output();
  return out.success ? new TextDecoder().decode(out.stdout) : null;
}

/**
 * Mallory's attack: follow the argv URL first, signed in at the provider as herself, and let
 * her browser deliver the code to the victim's listener. A file only she cannot read stops her.
 */
async function malloryFollows(url: string): Promise<"signed in as mallory" | "refused"> {
  let target = url;
  if (url.startsWith("file:")) {
    const path = decodeURIComponent(new URL(url).pathname);
    const text = Deno.uid() === 0
      ? await readAsAnotherUser(path)
      : ((Deno.statSync(path).mode! & 0o077) === 0 ? null : Deno.readTextFileSync(path));
    if (text === null) return "refused";
    const copy = await Deno.makeTempFile({ suffix: ".html" });
    await Deno.writeTextFile(copy, text);
    target = `file://${copy}`;
  }
  await driveSignIn(target, { login: MALLORY });
  return "signed in as mallory";
}

Deno.test("login CSRF: the opener's argv has no state, and another user following it first does not sign the victim in as themselves", async () => {
  await withSso(async ({ server, env, jim }) => {
    const log = `${env.dir}/openers.log`;
    const vars: Record<string, string> = {
      ...env.vars,
      PATH: `${OPENERS}:${env.vars.PATH}`,
      DISPLAY: ":0",
      JIM_STANDIN_LOG: log,
    };
    delete vars.BROWSER;
    const live = spawnJim(["connect", server.url, "--timeout", "60"], vars, 90_000);
    const printed = await live.waitForLine(/^If it does not open, visit: /);
    const state = new URL(printed.slice(printed.indexOf("http"))).searchParams.get("state")!;

    let argv: string[] = [];
    await eventually(async () => {
      const line = (await Deno.readTextFile(log).catch(() => "")).split("\n")[0];
      argv = line ? line.split("\t") : [];
      return argv.length > 0;
    });
    assert.equal(argv[0], "xdg-open");
    const opened = argv[1];

    const attack = await malloryFollows(opened).catch((error) => `failed: ${error.message}`);
    // The victim's browser opens the same URL (as the victim); after a successful attack the
    // listener is gone, which is the victim's only sign.
    await driveSignIn(opened).catch(() => {});
    const result = await live.done();
    assertClean(result);
    const who = await jim(["whoami", "--json"]);
    assert.equal(
      JSON.parse(who.stdout || "{}").Sub,
      LOGIN,
      `the sign-in belongs to the victim (attack: ${attack}; connect: ${result.stderr})`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Object.fromEntries(parseList(result.stdout)).Connected, "True");
    assert.equal(attack, "refused");
    assert.ok(!argv.join(" ").includes(state), `state on the opener's argv: ${argv.join(" ")}`);
    assert.match(opened, /^file:\/\//);
    // The page is gone once used, and the directory holds nothing of the sign-in.
    const dir = decodeURIComponent(new URL(opened).pathname).replace(/\/[^/]+$/, "");
    assert.equal(
      await Deno.stat(decodeURIComponent(new URL(opened).pathname)).catch(() => null),
      null,
    );
    const left = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("sign-in-"));
    assert.deepEqual(left, []);
  });
});

Deno.test("login CSRF: the forwarding page is private and one-time, and holds no state", async () => {
  const listener = await startLoopbackListener({ expectedState: "STATE-123" });
  const dir = await Deno.makeTempDir();
  try {
    let visits = 0;
    const start = listener.startUrl(
      "https://idp.test/authorize?state=STATE-123",
      () => visits++,
    );
    const page = writeHandoffPage(dir, start);
    const path = decodeURIComponent(new URL(page.url).pathname);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    const html = Deno.readTextFileSync(path);
    assert.equal(html, forwardingPage(start));
    assert.ok(!html.includes("STATE-123"));

    const first = await fetch(start.replace("localhost", "127.0.0.1"), { redirect: "manual" });
    await first.body?.cancel();
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("location"), "https://idp.test/authorize?state=STATE-123");
    assert.equal(first.headers.get("cache-control"), "no-store");
    const second = await fetch(start.replace("localhost", "127.0.0.1"), { redirect: "manual" });
    assert.equal(second.status, 410);
    assert.ok(!(await second.text()).includes("STATE-123"));
    assert.equal(visits, 1);
    page.remove();
    assert.equal(await Deno.stat(path).catch(() => null), null);
  } finally {
    await listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
