// Browser sign-in from an SSH session on a jump host, through the CLI against the real provider:
// no display, so no opener starts (stand-in openers on PATH record any start); the recipe names
// the real user and host; the address the far browser ends on, pasted on the terminal, signs in;
// Ctrl-C ends the wait with one line and exit 130; a script's piped stdin is left alone.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, parseList } from "./helpers/cli_fixture.ts";
import { eventually, LOGIN, withSso } from "./helpers/sso_fixture.ts";
import { type JimEnv, ROOT_DIR, startJim } from "./helpers/run_jim.ts";
import { startOnTerminal, terminalTest } from "./helpers/terminal_jim.ts";
import { callbackAddress } from "../fixtures/scripted_browser.ts";

const OPENERS = `${ROOT_DIR}/fixtures/standins/openers`;
const HOST = Deno.hostname();

/** An SSH login as alice on this host: no DISPLAY, no $BROWSER, stand-in openers first. */
function sshSession(env: JimEnv, extra: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = {
    ...env.vars,
    PATH: `${OPENERS}:${env.vars.PATH}`,
    SSH_CONNECTION: "192.0.2.10 50022 192.0.2.20 22",
    SSH_TTY: "/dev/pts/7",
    USER: "alice",
    JIM_STANDIN_LOG: `${env.dir}/openers.log`,
  };
  delete vars.BROWSER;
  return { ...vars, ...extra };
}

async function openerStarts(env: JimEnv): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(`${env.dir}/openers.log`);
    return text.split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}

function urlIn(line: string): string {
  return line.slice(line.indexOf("http"));
}

Deno.test(terminalTest({
  name: "jump host: no browser in an SSH session; the recipe; a wrong paste, then the right one",
  fn: async () => {
    await withSso(async ({ server, env, jim, idp }) => {
      const live = await startOnTerminal(["connect", server.url], sshSession(env));
      const url = urlIn(await live.waitForLine(/^To sign in to JIM, visit: /));
      await live.waitForLine(/Ctrl-C to cancel/);

      // The browser on alice's own computer: sign in, end on the callback page that does not load.
      const callback = await callbackAddress(url);
      const code = callback.searchParams.get("code")!;
      const wrong = new URL(callback);
      wrong.searchParams.set("state", "state-of-another-sign-in");
      await live.type(`${wrong.href}\n`);
      await live.waitForLine(/belongs to another sign-in/);
      await live.type("not an address at all\n");
      await live.waitForLine(/is not a sign-in address/);
      await live.type(`${callback.href}\n`);
      const result = await live.done();

      assertClean(result, [code]);
      assert.equal(result.code, 0, result.stderr);
      const values = Object.fromEntries(parseList(result.stdout));
      assert.equal(values.Connected, "True");
      assert.equal(values.AuthMethod, "OAuth");
      assert.deepEqual(await openerStarts(env), [], "no browser opener was started");
      assert.equal((await idp.stats()).authorizationCodeGrants, 1);

      const lines = result.stderr.trimEnd().split("\n");
      assert.deepEqual(lines.slice(0, 7), [
        "SSH session without a local display: no browser is started here; sign in from your own computer.",
        `To sign in to JIM, visit: ${url}`,
        "The browser ends on a http://localhost:8400/callback/?... page that does not load: paste that page's address here to finish signing in.",
        `Or forward port 8400 first, so that page loads and signs you in: ssh -L 8400:localhost:8400 alice@${HOST}`,
        `Or sign in with a code instead: jim connect ${server.url} --device-code`,
        "Waiting up to 5 minutes for the sign-in (or the address pasted here); Ctrl-C to cancel.",
        "That address belongs to another sign-in (its state does not match); the sign-in is still waiting.",
      ]);
      assert.equal(
        lines[7],
        "That is not a sign-in address (http://localhost:8400/callback/?code=...&state=...); the sign-in is still waiting.",
      );

      const who = await jim(["whoami", "--json"]);
      assert.equal(JSON.parse(who.stdout).Sub, LOGIN);
    });
  },
}));

Deno.test(terminalTest({
  name: "jump host: Ctrl-C ends the wait at once: one line, exit 130, the port free",
  fn: async () => {
    await withSso(async ({ server, env }) => {
      const live = await startOnTerminal(["connect", server.url], sshSession(env));
      await live.waitForLine(/visit: http/);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the wait has begun
      const before = live.stderr().trimEnd().split("\n").length;
      await live.type("\x03");
      const result = await live.done(); // the helper kills jim after 2 minutes: no hang passes
      assertClean(result);
      assert.equal(result.code, 130, result.stderr);
      assert.equal(result.stdout, "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.match(lines[before - 1], /^Waiting up to 5 minutes .*; Ctrl-C to cancel\.$/);
      assert.deepEqual(lines.slice(before), ["jim connect: sign-in cancelled"]);
      // The listener is closed: this process can bind its port.
      Deno.listen({ hostname: "127.0.0.1", port: 8400 }).close();
    });
  },
}));

Deno.test(terminalTest({
  name: "jump host: device code shows when the code expires; Ctrl-C ends it too",
  fn: async () => {
    await withSso(async ({ server, env }) => {
      const live = await startOnTerminal(
        ["connect", server.url, "--device-code"],
        sshSession(env),
      );
      const line = await live.waitForLine(/^The code expires in /);
      // The test provider's device codes live 10 minutes (fixtures/idp/provider.mjs).
      assert.match(
        line,
        /^The code expires in 10 minutes \(at \d\d:\d\d UTC\)\. Waiting up to 5 minutes for you to enter it; Ctrl-C to cancel\.$/,
      );
      await live.type("\x03");
      const result = await live.done();
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /\njim connect: sign-in cancelled\n$/);
    });
  },
}));

/** jim with stdin a pipe the test writes to while reading stderr; `shellTail` runs after it. */
function spawnPiped(args: string[], vars: Record<string, string>, shellTail = "") {
  const jim = startJim(args, {
    env: vars,
    stdin: "piped",
    killAfterMs: 120_000,
    within: shellTail ? (argv) => ["sh", "-c", `"$@"; ${shellTail}`, "sh", ...argv] : undefined,
  });
  let stderr = "";
  const stderrDone = (async () => {
    for await (const chunk of jim.child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
    }
  })();
  const stdout = new Response(jim.child.stdout).text();
  const writer = jim.child.stdin.getWriter();
  return {
    stderr: () => stderr,
    write: (text: string) => writer.write(new TextEncoder().encode(text)),
    close: () => writer.close(),
    async done() {
      const code = await jim.ended();
      await stderrDone;
      return { code, stdout: await stdout, stderr };
    },
  };
}

Deno.test("jump host: --paste reads the address from a pipe", async () => {
  await withSso(async ({ server, env }) => {
    const jimRun = spawnPiped(
      ["connect", server.url, "--paste", "--timeout", "60"],
      sshSession(env),
    );
    let line = "";
    await eventually(() => {
      line = jimRun.stderr().split("\n").find((l) => l.startsWith("To sign in to JIM, visit: ")) ??
        "";
      return line !== "";
    });
    const callback = await callbackAddress(urlIn(line));
    // Only the query, as someone copying from the address bar might.
    await jimRun.write(`${callback.search}\n`);
    const result = await jimRun.done();
    assertClean(result, [callback.searchParams.get("code")!]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Object.fromEntries(parseList(result.stdout)).Connected, "True");
  });
});

Deno.test("jump host: $BROWSER is honoured over SSH; a script's piped stdin is not read", async () => {
  await withSso(async ({ server, env }) => {
    const vars = sshSession(env, {
      BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
      JIM_TEST_BROWSER_LOG: `${env.dir}/browser.log`,
    });
    const jimRun = spawnPiped(["connect", server.url, "--timeout", "60"], vars, "cat");
    await jimRun.write("left for the next command\n");
    await jimRun.close();
    const result = await jimRun.done();
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\nleft for the next command\n$/, "cat still got the input");
    assert.match(result.stderr, /^SSH session without a local display: starting \$BROWSER/m);
    assert.doesNotMatch(result.stderr, /paste/, "no paste offered: stdin is not a terminal");
    assert.match(result.stderr, new RegExp(`ssh -L 8400:localhost:8400 alice@${HOST}`));
    assert.deepEqual(await openerStarts(env), []);
    assert.equal((await Deno.readTextFile(`${env.dir}/browser.log`)).trim().split("\n").length, 1);
  });
});

Deno.test("--paste (-Paste) is for the browser sign-in only", async () => {
  await withSso(async ({ server, jim }) => {
    assertOneLineError(
      await jim(["connect", server.url, "--device-code", "--paste"]),
      2,
      /--device-code and --paste cannot be combined/,
    );
    assertOneLineError(
      await jim(["Connect-JIM", "-Url", server.url, "-ApiKeyStdin", "-Paste"], { stdin: "x" }),
      2,
      /-Paste applies to interactive sign-in only/,
    );
  });
});
