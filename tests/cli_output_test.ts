// What jim prints: server text made safe for a terminal (names, values, headers, `jim api`
// bodies) yet untouched in a pipe, usage errors that never echo a key or a file's content,
// wildcards that cannot hang, JSON keys in PascalCase, nested objects as text, `--include` as
// curl prints it, and a bare host meaning https.

import assert from "node:assert/strict";
import { JimEnv } from "./helpers/run_jim.ts";
import { assertClean, assertOneLineError, parseList, TEST_KEY } from "./helpers/cli_fixture.ts";
import { type RawAnswer, startRawServer } from "./helpers/raw_http_server.ts";
import { runOnTerminal, terminalTest } from "./helpers/terminal_jim.ts";

const COLLECTION = "/api/v1/synchronisation/connected-systems";

// Control and bidi characters a terminal acts on or reorders text by (newline and tab excepted).
// deno-lint-ignore no-control-regex -- these characters are what the output must not contain
const UNSAFE = new RegExp(
  "[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]",
);

// A connected system as JIM's ConnectedSystemDetailDto names it (src/JIM.Web/Models/Api/
// ConnectedSystemDto.cs), with terminal escapes planted in names as well as values.
const HOSTILE_SYSTEM = {
  id: 1,
  name: "HR\u001b[2J Feed",
  "desc\u202eription": "rings\u0007bell",
  "\u009b31mStatus": "C1 CSI in a name",
  marked: "a\u061cb",
  connector: { id: 2, name: "JIM File\u001b]0;owned\u0007 Connector" },
};

function hostileAnswers(path: string): RawAnswer | undefined {
  if (path === `${COLLECTION}/1`) return { body: JSON.stringify(HOSTILE_SYSTEM) };
  if (path.startsWith(`${COLLECTION}?`)) {
    return {
      body: JSON.stringify({
        items: [{ id: 1, "na\u202eme": "x", name: "Payroll\u001b[31m red", status: "Active" }],
        totalCount: 1,
        page: 1,
        pageSize: 100,
        hasNextPage: false,
      }),
    };
  }
  if (path === "/raw") {
    return {
      contentType: "text/plain",
      headers: { "x-evil": "v\u009b31mred" },
      body: "clear\u001b[2Jscreen \u202ereversed\n",
    };
  }
  return undefined;
}

/** A stateless jim (JIM_URL + JIM_API_KEY) against a raw server. */
async function withRawJim(
  answer: (path: string) => RawAnswer | undefined,
  fn: (env: JimEnv, url: string) => Promise<void>,
): Promise<void> {
  const server = startRawServer(answer);
  const env = await JimEnv.create({ JIM_URL: server.url, JIM_API_KEY: TEST_KEY });
  try {
    await fn(env, server.url);
  } finally {
    await Deno.remove(env.dir, { recursive: true }).catch(() => {});
    await server.close();
  }
}

Deno.test(terminalTest({
  name: "on a terminal, escapes in property names and values never reach it (get, list)",
  fn: async () => {
    await withRawJim(hostileAnswers, async (env) => {
      const get = await runOnTerminal(["connected-system", "get", "1"], env.vars);
      assert.equal(get.code, 0, get.output);
      assert.doesNotMatch(get.output, UNSAFE, JSON.stringify(get.output));
      assert.match(get.output, /^Name +: HR \[2J Feed$/m);
      assert.match(get.output, /^Connector +: JIM File \]0;owned Connector \(2\)$/m);
      assert.match(get.output, /^Marked +: a b$/m, "U+061C is filtered like the other bidi marks");
      const list = await runOnTerminal(["connected-system", "list"], env.vars);
      assert.equal(list.code, 0, list.output);
      assert.doesNotMatch(list.output, UNSAFE, JSON.stringify(list.output));
    });
  },
}));

Deno.test(terminalTest({
  name: "jim api escapes control characters on a terminal and writes them untouched to a pipe",
  fn: async () => {
    await withRawJim(hostileAnswers, async (env) => {
      const shown = await runOnTerminal(["api", "/raw", "--include"], env.vars);
      assert.equal(shown.code, 0, shown.output);
      assert.doesNotMatch(shown.output, UNSAFE, JSON.stringify(shown.output));
      assert.ok(shown.output.includes("clear\\x1b[2Jscreen \\u202ereversed"), shown.output);
      assert.ok(shown.output.includes("x-evil: v\\x9b31mred"), shown.output);

      const piped = await env.run(["api", "/raw", "--include"]);
      assertClean(piped);
      assert.equal(piped.code, 0, piped.stderr);
      assert.ok(piped.stdout.includes("clear\u001b[2Jscreen \u202ereversed\n"), piped.stdout);
      assert.ok(piped.stdout.includes("x-evil: v\u009b31mred\n"), piped.stdout);
    });
  },
}));

Deno.test("api --include puts one blank line between the headers and the body, as curl does", async () => {
  await withRawJim(hostileAnswers, async (env) => {
    const result = await env.run(["api", "/raw", "-i"]);
    assert.equal(result.code, 0, result.stderr);
    const [head, ...rest] = result.stdout.split("\n\n");
    assert.match(head, /^HTTP 200 OK\n/);
    assert.match(head, /\ncontent-type: text\/plain$/m);
    assert.doesNotMatch(head, /clear/, "the body is not part of the header block");
    assert.equal(rest.join("\n\n"), "clear\u001b[2Jscreen \u202ereversed\n");
  });
});

Deno.test("usage errors never echo a key or token typed in the wrong place", async () => {
  const env = await JimEnv.create();
  try {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const opaque = "Zk3n9QxV0pLr8Tb2Wm5Yc7Hd1Js4Ga6E";
    for (const secret of [TEST_KEY, jwt, opaque]) {
      for (
        const argv of [
          ["whoami", secret],
          ["Test-JIMConnection", secret],
          ["connected-system", "get", "1", secret],
        ]
      ) {
        const result = await env.run(argv);
        assertOneLineError(result, 2, /unexpected argument/);
        assert.ok(!result.stderr.includes(secret), `echoed: ${result.stderr}`);
        assert.ok(!result.stderr.includes(secret.slice(0, 16)), `partly echoed: ${result.stderr}`);
      }
    }
  } finally {
    await env.dispose();
  }
});

Deno.test("--data @file that is not JSON: the error says where, never what the file holds", async () => {
  const env = await JimEnv.create();
  try {
    const file = `${env.dir}/body.txt`;
    await Deno.writeTextFile(file, `{"apiKey": ${TEST_KEY}, "note": "private words"}`);
    const result = await env.run(["api", "/api/v1/test/echo", "--data", `@${file}`]);
    assertOneLineError(result, 2, /is not valid JSON/);
    assert.doesNotMatch(result.stderr, /jim_ak_|private|apiKey/, result.stderr);
    const inline = await env.run(["api", "/x", "--data", "{secretword"]);
    assertOneLineError(inline, 2, /is not valid JSON/);
    assert.doesNotMatch(inline.stderr, /secretword/, inline.stderr);
  } finally {
    await env.dispose();
  }
});

Deno.test("a wildcard that backtracks exponentially as a RegExp finishes at once", async () => {
  const names = ["a".repeat(40), "aaab", "xaxb"];
  const answers = (path: string): RawAnswer | undefined =>
    path.startsWith(`${COLLECTION}?`)
      ? {
        body: JSON.stringify({
          items: names.map((name, i) => ({ id: i + 1, name })),
          totalCount: names.length,
          page: 1,
          pageSize: 100,
          hasNextPage: false,
        }),
      }
      : undefined;
  await withRawJim(answers, async (env) => {
    // Killed after 20 s; the RegExp this replaced took 46 s on one 40-character name.
    const started = Date.now();
    const result = await env.run(
      ["connected-system", "list", "--name", "*a*a*a*a*a*a*a*a*a*a*b", "--json"],
      { killAfterMs: 20_000 },
    );
    const elapsed = Date.now() - started;
    assertClean(result);
    assert.equal(result.code, 0, `exit ${result.code} after ${elapsed} ms: ${result.stderr}`);
    assert.deepEqual(JSON.parse(result.stdout), []);
    const some = await env.run(["Get-JIMConnectedSystem", "-Name", "*A*B", "-Json"]);
    assert.deepEqual(JSON.parse(some.stdout).map((s: { Name: string }) => s.Name), [
      "aaab",
      "xaxb",
    ]);
    const set = await env.run(["connected-system", "list", "--name", "[w-y]a?b", "--json"]);
    assert.deepEqual(JSON.parse(set.stdout).map((s: { Name: string }) => s.Name), ["xaxb"]);
  });
});

Deno.test("connected-system JSON keys are PascalCase at every depth, in the server's order", async () => {
  const system = {
    id: 7,
    name: "HR Feed 01",
    status: "Active",
    connector: { id: 2, name: "JIM File Connector" },
    objectTypes: [{ id: 70, name: "user", selected: true }, { id: 71, name: "group" }],
    configurationDrift: { isDrifted: false, reasons: [] },
  };
  const answers = (path: string): RawAnswer | undefined =>
    path === `${COLLECTION}/7` ? { body: JSON.stringify(system) } : undefined;
  await withRawJim(answers, async (env) => {
    const json = await env.run(["connected-system", "get", "7", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(body), [
      "Id",
      "Name",
      "Status",
      "Connector",
      "ObjectTypes",
      "ConfigurationDrift",
    ]);
    assert.deepEqual(body.Connector, { Id: 2, Name: "JIM File Connector" });
    assert.deepEqual(Object.keys(body.ObjectTypes[0]), ["Id", "Name", "Selected"]);

    const list = await env.run(["connected-system", "get", "7"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(parseList(list.stdout), [
      ["Id", "7"],
      ["Name", "HR Feed 01"],
      ["Status", "Active"],
      ["Connector", "JIM File Connector (2)"],
      ["ObjectTypes", "user (70), group (71)"],
      ["ConfigurationDrift", "IsDrifted=False; Reasons="],
    ]);
  });
});

Deno.test("a bare host name means https", async () => {
  const env = await JimEnv.create();
  try {
    const result = await env.run(["connect", "jim.example.com", "--api-key-stdin"], {
      stdin: TEST_KEY,
      env: { JIM_HTTP_TIMEOUT: "5" },
    });
    assertClean(result);
    assert.equal(result.code, 1, `not a usage error: ${result.stderr}`);
    assert.match(result.stderr, /https:\/\/jim\.example\.com/);
    assert.doesNotMatch(result.stderr, /not a valid URL/);
    const scheme = await env.run(["connect", "mailto:admin", "--api-key-stdin"], {
      stdin: TEST_KEY,
    });
    assertOneLineError(scheme, 2, /unsupported URL scheme 'mailto:'/);
  } finally {
    await env.dispose();
  }
});
