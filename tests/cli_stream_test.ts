// Long listings stream: `jim api --paginate` and `jim connected-system list` write each page as
// it arrives (still one valid JSON array), and once jim is gone — killed, or its reader closed
// stdout — no more pages are fetched, through the agent and in stateless mode alike.

import assert from "node:assert/strict";
import { assertClean, assertOneLineError, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import type { JimServer } from "../fixtures/jim_server.ts";
import { startJim } from "./helpers/run_jim.ts";
import { rawExchange } from "./helpers/agent_socket.ts";
import { PROTOCOL_VERSION as V } from "../lib/session/protocol.ts";

const SYSTEMS = "/api/v1/synchronisation/connected-systems";

const pageRequests = (server: JimServer) => server.requests.filter((r) => r.path === SYSTEMS);

/** The stateless environment (JIM_URL + JIM_API_KEY) for the simulator. */
const stateless = (server: JimServer) => ({ JIM_URL: server.url, JIM_API_KEY: TEST_KEY });

const MODES = ["agent", "stateless"] as const;

for (const mode of MODES) {
  Deno.test(`${mode}: --paginate and list --json over 24 pages print one JSON array, every item in order`, async () => {
    await withCli(async ({ server, jim, connect }) => {
      const env = mode === "agent" ? (await connect(), undefined) : stateless(server);
      for (const args of [["api", SYSTEMS, "--paginate"], ["connected-system", "list", "--json"]]) {
        const before = pageRequests(server).length;
        const result = await jim(args, { env });
        assertClean(result);
        assert.equal(result.code, 0, result.stderr);
        // connected-system names its fields as the PowerShell module does; api passes them on.
        const items = JSON.parse(result.stdout) as Record<string, number>[];
        const id = args[0] === "api" ? "id" : "Id";
        assert.deepEqual(
          items.map((item) => item[id]),
          Array.from({ length: 2345 }, (_, i) => i + 1),
        );
        // The same bytes the whole list printed at once gives.
        assert.equal(result.stdout, `${JSON.stringify(items, null, 2)}\n`);
        const pages = pageRequests(server).slice(before).map((r) => r.query.page);
        assert.deepEqual(
          pages,
          Array.from({ length: 24 }, (_, i) => String(i + 1)),
          args.join(" "),
        );
      }
    }, { generatedConnectedSystems: 2345 });
  });
}

Deno.test("an empty list is [] and a table of nothing prints nothing", async () => {
  await withCli(async ({ server, jim }) => {
    const env = stateless(server);
    const json = await jim(["connected-system", "list", "--json"], { env });
    assertClean(json);
    assert.equal(json.stdout, "[]\n");
    const paged = await jim(["api", SYSTEMS, "--paginate"], { env });
    assert.equal(paged.stdout, "[]\n");
    const table = await jim(["connected-system", "list"], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, "");
  }, { generatedConnectedSystems: 0 });
});

Deno.test("a table of 2345 rows: every row once, in order, the first 1000 aligned under the header", async () => {
  await withCli(async ({ server, jim }) => {
    const result = await jim(["connected-system", "list"], { env: stateless(server) });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^Id\s+Name\s+ConnectorName\s+Status\s+ObjectCount$/);
    assert.match(lines[1], /^--\s+----\s+/);
    const rows = lines.slice(2);
    assert.deepEqual(
      rows.map((line) => Number(line.split(" ", 1)[0])),
      Array.from({ length: 2345 }, (_, i) => i + 1),
    );
    const nameColumn = lines[0].indexOf("Name");
    for (const line of rows.slice(0, 1000)) {
      assert.notEqual(line[nameColumn - 1], undefined);
      assert.equal(line[nameColumn - 1], " ", line);
      assert.notEqual(line[nameColumn], " ", line);
    }
  }, { generatedConnectedSystems: 2345 });
});

/** A jim run whose stdout the test reads as it comes, and can close or kill. */
function spawnExport(args: string[], env: Record<string, string>) {
  const jim = startJim(args, { env, killAfterMs: 120_000 });
  const reader = jim.child.stdout.getReader();
  const stderr = new Response(jim.child.stderr).text();
  return {
    /** The first bytes jim writes, or null if it writes none within `ms`. */
    async firstOutput(ms: number): Promise<string | null> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
      const read = reader.read().then((chunk) => new TextDecoder().decode(chunk.value));
      const first = await Promise.race([read, timeout]);
      clearTimeout(timer);
      return first;
    },
    /** What a reader that stops (`| head`) does: closes its end of the pipe. */
    async closeStdout(): Promise<void> {
      await reader.cancel();
    },
    kill: jim.kill,
    /**
     * Waits for the exit (killing jim after `ms`); `rest` is what came on stdout after the first
     * bytes, unless the test closed it.
     */
    async done(ms = 60_000): Promise<{ code: number; rest: string; stderr: string }> {
      let rest = "";
      const decoder = new TextDecoder();
      const ended = jim.ended(ms);
      try {
        for (let chunk; !(chunk = await reader.read()).done;) {
          rest += decoder.decode(chunk.value, { stream: true });
        }
      } catch { /* closed by the test */ }
      return { code: await ended, rest, stderr: await stderr };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// 1000 pages of 100 at 40 ms each: the whole walk takes 40 s or more, so a first item that comes
// within 20 s came before the last page, and the count of pages after the client has gone shows
// whether the agent stopped.
const LONG_LIST = { generatedConnectedSystems: 100_000 };
const TOTAL_PAGES = 1000;

function slowPages(server: JimServer): void {
  server.addFault({ path: SYSTEMS, kind: "slow", delayMs: 40, times: Infinity });
}

for (const mode of MODES) {
  for (const ending of ["killed", "stdout closed"] as const) {
    Deno.test(`${mode}: jim ${ending} mid-export, and no more pages are fetched`, async () => {
      await withCli(async ({ server, env, connect }) => {
        const vars = mode === "agent"
          ? (await connect(), env.vars)
          : { ...env.vars, ...stateless(server) };
        slowPages(server);
        const args = ending === "killed"
          ? ["api", SYSTEMS, "--paginate"]
          : ["connected-system", "list", "--json"];
        const run = spawnExport(args, vars);
        const first = await run.firstOutput(10_000);
        const atFirst = pageRequests(server).length;
        // Gone, with or without output: what counts first is whether the fetching stops.
        if (ending === "killed") run.kill();
        else await run.closeStdout();
        const ended = await run.done(15_000);
        const atEnd = pageRequests(server).length;
        await sleep(3_000);
        const later = pageRequests(server).length;
        assert.ok(
          later - atEnd <= 2,
          `${later - atEnd} more pages were fetched in the 3 s after jim was gone ` +
            `(${atFirst} when jim was ${ending}, ${atEnd} when it had ended)`,
        );
        assert.ok(
          first !== null,
          `no output within 10 s, while ${atFirst} of ${TOTAL_PAGES} pages reached the server`,
        );
        const id = args[0] === "api" ? "id" : "Id";
        assert.ok(first.startsWith(`[\n  {\n    "${id}": 1,`), first.slice(0, 200));
        assert.ok(atEnd < TOTAL_PAGES / 2, `${atEnd} pages were fetched for a client that left`);
        if (ending === "stdout closed") {
          // A reader that stops early is not a failure: it had all it wanted.
          assert.equal(ended.code, 0, ended.stderr);
          assert.equal(ended.stderr, "");
        }
        if (mode === "agent") {
          // The agent is still there for the next command.
          const status = await env.run(["test-connection", "--quiet"]);
          assert.equal(status.stdout, "true\n", status.stderr);
        }
      }, LONG_LIST);
    });
  }
}

Deno.test("agent: a failure after some pages exits 1 with the error, and leaves the array unclosed", async () => {
  await withCli(async ({ server, env, connect }) => {
    await connect();
    slowPages(server);
    const run = spawnExport(["connected-system", "list", "--json"], env.vars);
    const first = await run.firstOutput(20_000);
    assert.ok(first !== null, "no output within 20 s");
    server.addFault({ path: SYSTEMS, kind: "status", status: 500, times: Infinity });
    const ended = await run.done();
    assert.equal(ended.code, 1, ended.stderr);
    const stdout = first + ended.rest;
    assert.throws(() => JSON.parse(stdout), SyntaxError, "a cut-off list must not parse as whole");
    assert.ok(stdout.endsWith("},\n") || stdout.endsWith("}\n"), stdout.slice(-200));
    const lines = ended.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, ended.stderr);
    assert.match(lines[0], /^jim connected-system list: .*500/);
  }, LONG_LIST);
});

Deno.test("a failure on the first page: nothing on stdout, one line on stderr", async () => {
  await withCli(async ({ server, jim, connect }) => {
    await connect();
    server.addFault({ path: SYSTEMS, kind: "status", status: 500, times: Infinity });
    assertOneLineError(await jim(["connected-system", "list", "--json"]), 1, /500/);
    assertOneLineError(await jim(["api", SYSTEMS, "--paginate"]), 1, /500/);
    assertOneLineError(
      await jim(["connected-system", "list"], { env: stateless(server) }),
      1,
      /500/,
    );
  });
});

Deno.test("the agent's stream over the socket: a frame per page, then the end; bad streams and whole-list calls refused", async () => {
  await withCli(async ({ env, connect }) => {
    const socket = { path: env.socketPath };
    await connect();
    const frames = (await rawExchange(
      socket,
      `{"v":${V},"op":"stream","call":{"method":"GET","path":"${SYSTEMS}"}}\n`,
    )).trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(frames.length, 4, "three pages of 100, then the end");
    // Each page frame carries the server's page as it came: the envelope, items and all.
    assert.deepEqual(frames.slice(0, 3).map((f) => f.body.items.length), [100, 100, 50]);
    assert.deepEqual(frames.slice(0, 3).map((f) => [f.body.page, f.body.totalCount]), [
      [1, 250],
      [2, 250],
      [3, 250],
    ]);
    assert.deepEqual(frames[3], { v: V, ok: true, end: { items: 250 } });
    assert.deepEqual(
      frames.slice(0, 3).flatMap((f) => f.body.items.map((item: { id: number }) => item.id)),
      Array.from({ length: 250 }, (_, i) => i + 1),
    );
    for (
      const [message, pattern] of [
        [
          `{"v":${V},"op":"stream","call":{"method":"POST","path":"${SYSTEMS}"}}`,
          /^bad agent request: stream pages through a GET list endpoint only$/,
        ],
        [`{"v":${V},"op":"stream"}`, /^bad agent request: request needs a call object$/],
        [
          `{"v":${V},"op":"request","call":{"method":"GET","path":"${SYSTEMS}","paginate":true}}`,
          /^bad agent request: paging is the stream operation's, not a call's$/,
        ],
        [
          `{"v":${V},"op":"stream","call":{"method":"GET","path":"no-slash"}}`,
          /^bad agent request: call path must start with \/$/,
        ],
      ] as const
    ) {
      const answer = JSON.parse(await rawExchange(socket, `${message}\n`));
      assert.equal(answer.ok, false, message);
      assert.match(answer.error.message, pattern);
    }
    // A list endpoint that is not one: the error ends the stream, as a frame of its own.
    const wrong = JSON.parse(
      await rawExchange(
        socket,
        `{"v":${V},"op":"stream","call":{"method":"GET","path":"/api/v1/userinfo"}}\n`,
      ),
    );
    assert.equal(wrong.ok, false);
    assert.match(wrong.error.message, /did not return a list/);
  }, { generatedConnectedSystems: 250 });
});

for (const mode of MODES) {
  Deno.test(`${mode}: --verbose traces every page request, with no key in it`, async () => {
    await withCli(async ({ server, jim, connect }) => {
      const env = mode === "agent" ? (await connect(), undefined) : stateless(server);
      const result = await jim(["connected-system", "list", "--json", "--verbose"], { env });
      assertClean(result);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).length, 250);
      const traced = result.stderr.split("\n").filter((line) => line.includes(SYSTEMS));
      assert.equal(traced.length, 3, result.stderr);
      traced.forEach((line, i) =>
        assert.match(line, new RegExp(`page=${i + 1}&pageSize=100 -> 200`))
      );
    }, { generatedConnectedSystems: 250 });
  });
}
