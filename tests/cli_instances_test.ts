// Several instances at once (test and prod side by side): a connect to a second instance keeps
// the first and says which one later commands use; --url / -Url, or JIM_URL alone, chooses; a
// command that named none says which it used while several are open; disconnect ends the
// current one, --url's, or --all.

import assert from "node:assert/strict";
import { type JimServer, startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv, type JimResult, type RunOptions } from "./helpers/run_jim.ts";
import { assertClean, connectWithKey, parseList, TEST_KEY } from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";

interface Two {
  a: JimServer;
  b: JimServer;
  jim(args: string[], options?: RunOptions): Promise<JimResult>;
  connect(server: JimServer): Promise<JimResult>;
}

async function withTwo(fn: (ctx: Two) => Promise<void>): Promise<void> {
  const apiKeys = [{ key: TEST_KEY, name: "ci-key" }];
  const a = await startJimServer({ apiKeys });
  const b = await startJimServer({ apiKeys });
  const env = await JimEnv.create();
  const jim = (args: string[], options?: RunOptions) => env.run(args, options);
  try {
    await fn({
      a,
      b,
      jim,
      connect: (server) => connectWithKey(jim, server.url),
    });
  } finally {
    await env.dispose();
    await a.close();
    await b.close();
  }
}

/** How many userinfo calls reached the server since `from` requests. */
function userinfoCalls(server: JimServer, from = 0): number {
  return server.requests.slice(from).filter((r) => r.path === "/api/v1/userinfo").length;
}

/** Runs `args` and asserts it succeeded; the userinfo calls each server saw. */
async function served(ctx: Two, args: string[], options?: RunOptions) {
  const [fromA, fromB] = [ctx.a.requests.length, ctx.b.requests.length];
  const result = await ctx.jim(args, options);
  assertClean(result);
  return { result, a: userinfoCalls(ctx.a, fromA), b: userinfoCalls(ctx.b, fromB) };
}

/** A URL as a literal inside a RegExp. */
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const USING = (url: string) =>
  new RegExp(`^Using ${esc(url)} \\(2 sessions open; choose with --url\\)\\.$`, "m");

Deno.test("connect to a second instance keeps the first and says later commands use the second", async () => {
  await withTwo(async (ctx) => {
    const first = await ctx.connect(ctx.a);
    assert.doesNotMatch(first.stderr, /Later commands use/, "one session: nothing to choose");
    const second = await ctx.connect(ctx.b);
    assert.match(
      second.stderr,
      new RegExp(
        `^Later commands use ${esc(ctx.b.url)}; also open: ${
          esc(ctx.a.url)
        } \\(choose with --url\\)\\.$`,
        "m",
      ),
    );
    // Both live: each answers a command that names it.
    const onA = await served(ctx, ["whoami", "--url", ctx.a.url]);
    assert.equal(onA.result.code, 0, onA.result.stderr);
    assert.deepEqual([onA.a, onA.b], [1, 0]);
    const onB = await served(ctx, ["whoami", "--url", ctx.b.url]);
    assert.equal(onB.result.code, 0, onB.result.stderr);
    assert.deepEqual([onB.a, onB.b], [0, 1]);
    // Naming one says nothing about the choice.
    assert.doesNotMatch(onA.result.stderr + onB.result.stderr, /Using /);
    // A command that fails still says which session it used.
    ctx.b.revokeApiKey(TEST_KEY);
    const failed = await ctx.jim(["whoami"]);
    assertClean(failed);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, USING(ctx.b.url));
  });
});

Deno.test("a command that names no instance uses the latest connect and says so while two are open", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    const alone = await served(ctx, ["whoami"]);
    assert.equal(alone.result.code, 0, alone.result.stderr);
    assert.equal(alone.result.stderr, "", "one session open: nothing to say");
    await ctx.connect(ctx.b);
    const unnamed = await served(ctx, ["whoami"]);
    assert.equal(unnamed.result.code, 0, unnamed.result.stderr);
    assert.deepEqual([unnamed.a, unnamed.b], [0, 1]);
    assert.match(unnamed.result.stderr, USING(ctx.b.url));
    // Connecting to A again (the key, once more) makes A the current one.
    await ctx.connect(ctx.a);
    const after = await served(ctx, ["whoami"]);
    assert.deepEqual([after.a, after.b], [1, 0]);
    assert.match(after.result.stderr, USING(ctx.a.url));
  });
});

Deno.test("JIM_URL alone chooses the instance; --url wins over it; an unopened --url is not connected", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    await ctx.connect(ctx.b);
    const byEnv = await served(ctx, ["whoami"], { env: { JIM_URL: ctx.a.url } });
    assert.equal(byEnv.result.code, 0, byEnv.result.stderr);
    assert.deepEqual([byEnv.a, byEnv.b], [1, 0]);
    assert.doesNotMatch(byEnv.result.stderr, /Using /);
    const byFlag = await served(ctx, ["whoami", "--url", ctx.b.url], {
      env: { JIM_URL: ctx.a.url },
    });
    assert.deepEqual([byFlag.a, byFlag.b], [0, 1]);
    // Stateless mode (both variables) uses JIM_URL: a --url naming another instance is refused.
    const stateless = { JIM_URL: ctx.a.url, JIM_API_KEY: TEST_KEY };
    const clash = await ctx.jim(["whoami", "--url", ctx.b.url], { env: stateless });
    assertClean(clash);
    assert.equal(clash.code, 2, clash.stderr);
    assert.match(clash.stderr, /^jim whoami: --url names another instance than JIM_URL/);
    const same = await served(ctx, ["whoami", "--url", ctx.a.url], { env: stateless });
    assert.equal(same.result.code, 0, same.result.stderr);
    assert.deepEqual([same.a, same.b], [1, 0]);
    const bad = await ctx.jim(["whoami", "--url", "ftp://x"]);
    assertClean(bad);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /unsupported URL scheme/);
    const elsewhere = await ctx.jim(["whoami", "--url", "http://127.0.0.1:1"]);
    assertClean(elsewhere);
    assert.equal(elsewhere.code, 3, elsewhere.stderr);
    assert.match(elsewhere.stderr, /You are not connected to JIM/);
  });
});

Deno.test("test-connection reports the current instance; -Url on the cmdlet chooses another", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    await ctx.connect(ctx.b);
    const current = await ctx.jim(["test-connection", "--json"]);
    assertClean(current);
    assert.equal(current.code, 0, current.stderr);
    assert.equal(JSON.parse(current.stdout).Url, ctx.b.url);
    assert.match(current.stderr, USING(ctx.b.url));
    // doctor checks the current session and names the others.
    const doctor = await ctx.jim(["doctor"]);
    assertClean(doctor);
    const line = doctor.stdout.split("\n").find((l) => /^. session: /.test(l)) ?? doctor.stdout;
    assert.ok(line.startsWith(`✓ session: ${ctx.b.url} (`), line);
    assert.ok(line.includes(`also open: ${ctx.a.url}`), line);
    const cmdlet = await ctx.jim(["Test-JIMConnection", "-Url", ctx.a.url, "-Json"]);
    assertClean(cmdlet);
    assert.equal(cmdlet.code, 0, cmdlet.stderr);
    assert.equal(JSON.parse(cmdlet.stdout).Url, ctx.a.url);
    const listed = await served(ctx, ["Get-JIMConnectedSystem", "-Url", ctx.a.url, "-Json"]);
    assert.equal(listed.result.code, 0, listed.result.stderr);
    assert.ok(ctx.a.requests.some((r) => r.path.includes("connected-systems")));
    assert.ok(!ctx.b.requests.some((r) => r.path.includes("connected-systems")));
    assert.doesNotMatch(listed.result.stderr, /Using /);
    // A paged list (streamed by the agent) says so too, and pages the current session's server.
    const streamed = await ctx.jim(["connected-system", "list", "--json"]);
    assertClean(streamed);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.match(streamed.stderr, USING(ctx.b.url));
    assert.ok(ctx.b.requests.some((r) => r.path.includes("connected-systems")));
    const api = await served(ctx, ["api", "/api/v1/userinfo", "--url", ctx.a.url]);
    assert.equal(api.result.code, 0, api.result.stderr);
    assert.deepEqual([api.a, api.b], [1, 0]);
  });
});

Deno.test("bare disconnect ends the current session only; the latest left becomes current", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    await ctx.connect(ctx.b);
    const bare = await ctx.jim(["disconnect"]);
    assertClean(bare);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stderr, new RegExp(`^Disconnected from ${esc(ctx.b.url)}\\.$`, "m"));
    assert.match(
      bare.stderr,
      new RegExp(`^Later commands use ${esc(ctx.a.url)} \\(1 session open\\)\\.$`, "m"),
    );
    assert.doesNotMatch(bare.stderr, new RegExp(`Disconnected from ${esc(ctx.a.url)}`));
    const onB = await ctx.jim(["whoami", "--url", ctx.b.url]);
    assert.equal(onB.code, 3, onB.stderr);
    const left = await served(ctx, ["whoami"]);
    assert.equal(left.result.code, 0, left.result.stderr);
    assert.deepEqual([left.a, left.b], [1, 0]);
    assert.equal(left.result.stderr, "", "one session left: nothing to say");
  });
});

Deno.test("disconnect --url ends that session and keeps the current one", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    await ctx.connect(ctx.b);
    const named = await ctx.jim(["disconnect", "--url", ctx.a.url]);
    assertClean(named);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stderr, new RegExp(`^Disconnected from ${esc(ctx.a.url)}\\.$`, "m"));
    assert.doesNotMatch(named.stderr, new RegExp(`Disconnected from ${esc(ctx.b.url)}`));
    const onA = await ctx.jim(["whoami", "--url", ctx.a.url]);
    assert.equal(onA.code, 3, onA.stderr);
    const current = await served(ctx, ["whoami"]);
    assert.equal(current.result.code, 0, current.result.stderr);
    assert.deepEqual([current.a, current.b], [0, 1]);
  });
});

Deno.test("disconnect --all (and Disconnect-JIM -All) ends every session", async () => {
  for (const args of [["disconnect", "--all"], ["Disconnect-JIM", "-All"]]) {
    await withTwo(async (ctx) => {
      await ctx.connect(ctx.a);
      await ctx.connect(ctx.b);
      const all = await ctx.jim(args);
      assertClean(all);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stderr, new RegExp(`^Disconnected from ${esc(ctx.a.url)}\\.$`, "m"));
      assert.match(all.stderr, new RegExp(`^Disconnected from ${esc(ctx.b.url)}\\.$`, "m"));
      for (const server of [ctx.a, ctx.b]) {
        const after = await ctx.jim(["whoami", "--url", server.url]);
        assert.equal(after.code, 3, after.stderr);
      }
      const status = await ctx.jim(["test-connection", "-q"]);
      assert.equal(status.stdout, "false\n");
    });
  }
});

Deno.test("disconnect --all --json names every session it ended", async () => {
  await withTwo(async (ctx) => {
    await ctx.connect(ctx.a);
    await ctx.connect(ctx.b);
    const all = await ctx.jim(["disconnect", "--all", "--json"]);
    assertClean(all);
    assert.equal(all.code, 0, all.stderr);
    const answer = JSON.parse(all.stdout);
    assert.equal(answer.Disconnected, true);
    assert.deepEqual([...answer.Sessions].sort(), [ctx.a.url, ctx.b.url].sort());
  });
});

for (
  const [ttl, status] of [[3600, "Connected (cached)"], [
    undefined,
    "Connected (refreshed)",
  ]] as const
) {
  Deno.test(`an SSO session and an API-key session side by side: connecting again to the SSO one makes it current (${status})`, async () => {
    await withSso(async ({ server, jim, signIn, browserLaunches }) => {
      const other = await startJimServer({ apiKeys: [{ key: TEST_KEY, name: "ci-key" }] });
      try {
        await signIn();
        assert.equal(await browserLaunches(), 1);
        const byKey = await jim(["connect", other.url, "--api-key-stdin"], { stdin: TEST_KEY });
        assertClean(byKey);
        assert.equal(byKey.code, 0, byKey.stderr);
        assert.match(
          byKey.stderr,
          new RegExp(`^Later commands use ${esc(other.url)}; also open: ${esc(server.url)} `, "m"),
        );
        const again = await jim(["connect", server.url]);
        assertClean(again);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(Object.fromEntries(parseList(again.stdout)).Status, status);
        assert.equal(
          await browserLaunches(),
          1,
          "the live session was reused, not signed in again",
        );
        assert.match(
          again.stderr,
          new RegExp(`^Later commands use ${esc(server.url)}; also open: ${esc(other.url)} `, "m"),
        );
        const who = await jim(["whoami", "--json"]);
        assertClean(who);
        assert.equal(who.code, 0, who.stderr);
        assert.equal(JSON.parse(who.stdout).Name, "Ada Admin");
        assert.match(who.stderr, new RegExp(`^Using ${esc(server.url)} \\(2 sessions open`, "m"));
        const keyWho = await jim(["whoami", "--json", "--url", other.url]);
        assert.equal(JSON.parse(keyWho.stdout).Name, "ci-key");
      } finally {
        await other.close();
      }
    }, { idp: ttl ? { accessTokenTtlSeconds: ttl } : {} });
  });
}
