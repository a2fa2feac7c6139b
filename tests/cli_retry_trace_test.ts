// The client's retries under --verbose: a 429 waited out as Retry-After asks and an access token
// refused with 401, refreshed and retried each say so in one trace line between the HTTP steps,
// with no secret in it; without --verbose nothing of it is printed.

import assert from "node:assert/strict";
import { assertClean, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";
import type { JimResult } from "./helpers/run_jim.ts";

const USERINFO = "/api/v1/userinfo";
const SYSTEMS = "/api/v1/synchronisation/connected-systems";

/** The --verbose lines of a run, without their "* " mark. */
const traced = (result: JimResult) =>
  result.stderr.split("\n").filter((line) => line.startsWith("* ")).map((line) => line.slice(2));

/** Asserts the lines `patterns` match appear in `lines` in that order (others may come between). */
function assertInOrder(lines: string[], patterns: RegExp[], stderr: string): void {
  let from = 0;
  for (const pattern of patterns) {
    const at = lines.findIndex((line, i) => i >= from && pattern.test(line));
    assert.ok(at >= 0, `no line matching ${pattern} after line ${from}:\n${stderr}`);
    from = at + 1;
  }
}

/** The three lines of one 429 waited out: the answer, the wait, the retry's answer. */
function rateLimited(origin: string, path: string): RegExp[] {
  const step = `GET ${RegExp.escape(`${origin}${path}`)}`;
  return [
    new RegExp(`^${step} -> 429 \\(\\d+ ms\\)$`),
    new RegExp(`^${step} -> 429: waiting 1 s \\(Retry-After\\), then retry 1 of 5$`),
    new RegExp(`^${step} -> 200 \\(\\d+ ms\\)$`),
  ];
}

for (const mode of ["agent", "stateless"] as const) {
  Deno.test(`${mode}: --verbose says a 429 was waited out as Retry-After asked and retried; without it nothing is said`, async () => {
    await withCli(async ({ server, jim, connect }) => {
      const env = mode === "agent"
        ? (await connect(), undefined)
        : { JIM_URL: server.url, JIM_API_KEY: TEST_KEY };
      const tooMany = (path: string) =>
        server.addFault({ path, kind: "retry-after-seconds", retryAfterSeconds: 1 });

      tooMany(USERINFO);
      const verbose = await jim(["api", USERINFO, "--verbose"], { env });
      assertClean(verbose);
      assert.equal(verbose.code, 0, verbose.stderr);
      assert.equal(JSON.parse(verbose.stdout).name, "ci-key");
      assertInOrder(traced(verbose), rateLimited(server.url, USERINFO), verbose.stderr);

      // A streamed list traces its pages' retries too.
      tooMany(SYSTEMS);
      const list = await jim(["connected-system", "list", "--json", "--verbose"], { env });
      assertClean(list);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(JSON.parse(list.stdout).length, 3);
      assertInOrder(
        traced(list),
        rateLimited(server.url, `${SYSTEMS}?page=1&pageSize=100`),
        list.stderr,
      );

      tooMany(USERINFO);
      const before = server.requests.length;
      const quiet = await jim(["api", USERINFO], { env });
      assertClean(quiet);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(server.requests.length - before, 2, "the 429 was retried");
      assert.equal(quiet.stderr, "");
    }, { generatedConnectedSystems: 3 });
  });
}

Deno.test("connect --verbose says a 429 from the server it checks was waited out and retried", async () => {
  await withCli(async ({ server, jim }) => {
    server.addFault({ path: USERINFO, kind: "retry-after-seconds", retryAfterSeconds: 1 });
    const result = await jim(["connect", server.url, "--api-key-stdin", "--verbose"], {
      stdin: TEST_KEY,
    });
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assertInOrder(traced(result), rateLimited(server.url, USERINFO), result.stderr);
  });
});

Deno.test("--verbose says a refused access token was refreshed and the call retried, with no token in it; without it nothing is said", async () => {
  await withSso(async ({ server, jim, signIn, idp }) => {
    await signIn();
    const grants = async () => (await idp.stats()).refreshGrants;
    const before = await grants();

    server.revokeBearerTokens();
    const verbose = await jim(["whoami", "--verbose"]);
    assertClean(verbose);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.equal(await grants(), before + 1);
    const step = `GET ${RegExp.escape(`${server.url}${USERINFO}`)}`;
    assertInOrder(traced(verbose), [
      new RegExp(`^${step} -> 401 \\(\\d+ ms\\)$`),
      new RegExp(`^POST ${RegExp.escape(idp.issuer)}/token -> 200 \\(\\d+ ms\\)$`),
      new RegExp(`^${step} -> 401: retrying once with a refreshed access token$`),
      new RegExp(`^${step} -> 200 \\(\\d+ ms\\)$`),
    ], verbose.stderr);
    assert.doesNotMatch(verbose.stderr, /eyJ[\w-]+\./, "no token in the trace");
    assert.doesNotMatch(verbose.stderr, /Bearer [^*\s]/);

    server.revokeBearerTokens();
    const quiet = await jim(["whoami"]);
    assertClean(quiet);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(await grants(), before + 2, "the 401 was refreshed and retried");
    assert.equal(quiet.stderr, "");
  });
});
