// Redirect port 8400 busy: JIM's SSO guides register only http://localhost:8400/callback/, so a
// sign-in on 8401 works only where the provider lists that port. jim says so at once, in one
// line naming who holds 8400, and a provider that refuses the port ends in a bounded, clear way.

import assert from "node:assert/strict";
import { assertClean, parseList } from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";
import { spawnJim } from "./helpers/run_jim.ts";
import { startOnTerminal, type TerminalJim, terminalTest } from "./helpers/terminal_jim.ts";
import { ALL_REDIRECT_PORTS } from "../fixtures/idp.ts";

const BUSY_LINE =
  /^Redirect port 8400 is busy \(8400 held by another jim sign-in \(pid (\d+)\)\), so jim listens on 8401: the identity provider must list http:\/\/localhost:8401\/callback\/ as a redirect URI, or it refuses the sign-in\.$/m;

/** A first sign-in left waiting on 8400 (its browser does nothing), ended with Ctrl-C. */
async function holdPort8400(vars: Record<string, string>, url: string): Promise<TerminalJim> {
  const first = await startOnTerminal(["connect", url], {
    ...vars,
    JIM_TEST_BROWSER_MODE: "never",
  });
  await first.waitForLine(/visit: http/);
  return first;
}

Deno.test(terminalTest({
  name:
    "redirect port: 8400 held by another sign-in, provider registers only 8400: one line naming it, then a clear timeout",
  fn: async () => {
    await withSso(async ({ server, env }) => {
      const first = await holdPort8400(env.vars, server.url);
      try {
        const second = spawnJim(["connect", server.url, "--timeout", "30"], env.vars, 90_000);
        const result = await second.done();
        assertClean(result);
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stdout, "");
        const busy = BUSY_LINE.exec(result.stderr);
        assert.ok(busy, result.stderr);
        const holder = Deno.readTextFileSync(`/proc/${busy[1]}/cmdline`).split("\0");
        assert.ok(holder.includes("connect"), `pid ${busy[1]} is the first sign-in`);
        assert.match(
          result.stderr.trimEnd().split("\n").at(-1)!,
          /^jim connect: no sign-in completed within 30 seconds \(the identity provider may not accept redirect port 8401; see above\)$/,
        );
      } finally {
        await first.type("\x03").catch(() => {}); // already ended: done() tells
      }
      assert.equal((await first.done()).code, 130, "the first sign-in was still waiting");
    });
  },
}));

Deno.test(terminalTest({
  name:
    "redirect port: with 8400-8409 registered, the sign-in on 8401 succeeds after the same line",
  fn: async () => {
    await withSso(async ({ server, env }) => {
      const first = await holdPort8400(env.vars, server.url);
      try {
        const second = spawnJim(["connect", server.url, "--timeout", "60"], env.vars, 90_000);
        const result = await second.done();
        assertClean(result);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, BUSY_LINE);
        assert.equal(Object.fromEntries(parseList(result.stdout)).Connected, "True");
      } finally {
        await first.type("\x03").catch(() => {});
        await first.done();
      }
    }, { idp: { redirectPorts: ALL_REDIRECT_PORTS } });
  },
}));

Deno.test("redirect port: a program of this user on 8400 is named by its program", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 8400 });
  try {
    await withSso(async ({ server, env }) => {
      const result = await spawnJim(["connect", server.url], env.vars).done();
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^Redirect port 8400 is busy \\(8400 held by deno \\(pid ${Deno.pid}\\)\\)`,
          "m",
        ),
      );
    }, { idp: { redirectPorts: ALL_REDIRECT_PORTS } });
  } finally {
    blocker.close();
  }
});
