// Section "sso": one full interactive sign-in (`jim connect` with the scripted browser against
// oidc-provider under Node), and the cost of one silent refresh, seen by `jim api` and by a bare
// socket request. Refreshes are made due by a short access-token lifetime (the agent refreshes
// once under half the lifetime remains) and confirmed with the provider's grant counter.

import { startIdp } from "../fixtures/idp.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv, ROOT_DIR } from "../tests/helpers/run_jim.ts";
import { AgentTracker, trackEnv } from "./agent.ts";
import { onCleanup, sleep } from "./cleanup.ts";
import { type HyperfineSettings, median, summarise } from "./hyperfine.ts";
import { ms, newSection, type Section } from "./report.ts";

const SAMPLES = 5;
const TOKEN_TTL_SECONDS = 4;
/** Past half the lifetime from the last refresh, with a margin: the next request refreshes. */
const REFRESH_DUE_MS = (TOKEN_TTL_SECONDS * 1000) / 2 + 150;
const LOGIN = "bench-admin@example.test";
const CALL = { method: "GET", path: "/api/v1/health/version" };

export async function runSso(settings: HyperfineSettings): Promise<Section> {
  const section = newSection(
    `SSO sign-in and silent refresh (oidc-provider under Node, access tokens live ${TOKEN_TTL_SECONDS} s)`,
  );
  const samples = Math.min(SAMPLES, settings.runs);
  const stops: (() => Promise<void>)[] = [];
  try {
    await measureSso(section, samples, stops);
  } finally {
    // Stop this section's servers and agent now, so they idle through no later section.
    while (stops.length > 0) await stops.pop()!();
  }
  return section;
}

async function measureSso(
  section: Section,
  samples: number,
  stops: (() => Promise<void>)[],
): Promise<void> {
  const idp = await startIdp({ accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  stops.push(onCleanup("OpenID provider", () => idp.close()));
  const server = await startJimServer({
    authConfig: { authority: idp.issuer, clientId: idp.clientId },
    oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
    users: [{ sub: LOGIN, name: "Bench Admin", email: LOGIN, authorised: true }],
  });
  stops.push(onCleanup("JIM simulator (SSO)", () => server.close()));
  const env = await JimEnv.create({
    BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
    JIM_TEST_DENO: Deno.execPath(),
    JIM_TEST_LOGIN: LOGIN,
  });
  const agents = new AgentTracker(env);
  stops.push(trackEnv(env, agents));

  // Sign-ins: one warm-up, then `samples` timed, each from no session to a connected agent.
  const signIns: number[] = [];
  for (let i = 0; i <= samples; i++) {
    if (i > 0) {
      await env.run(["disconnect"]);
      await agents.waitGone();
    }
    const start = performance.now();
    const result = await env.run(["connect", server.url, "--no-persist"], { killAfterMs: 60_000 });
    const elapsed = performance.now() - start;
    if (result.code !== 0 || !/^AuthMethod\s*:\s*OAuth$/m.test(result.stdout)) {
      throw new Error(`SSO connect failed (exit ${result.code}): ${lastLine(result.stderr)}`);
    }
    await agents.pid();
    if (i > 0) signIns.push(elapsed);
  }
  section.rows.push({
    name: "jim connect: full SSO sign-in (scripted browser)",
    timing: summarise("sso", signIns),
  });

  // Refreshes. Each timed call is checked against the provider's refresh-grant counter.
  const grants = async () => (await idp.stats()).refreshGrants;
  let mismatches = 0;
  const timed = async (expectGrants: number, fn: () => Promise<void>, into: number[]) => {
    const before = await grants();
    const start = performance.now();
    await fn();
    const elapsed = performance.now() - start;
    if ((await grants()) - before === expectGrants) into.push(elapsed);
    else mismatches++;
  };
  const viaCli = async () => {
    const result = await env.run(["api", CALL.path]);
    if (result.code !== 0) throw new Error(`jim api failed: ${lastLine(result.stderr)}`);
  };
  const viaSocket = async () => {
    const reply = await agents.client.send({ op: "request", call: CALL }) as { status?: number };
    if (reply?.status !== 200) throw new Error(`socket request answered ${reply?.status}`);
  };

  // Warm-up: the agent's first refresh also loads oauth4webapi.
  await sleep(REFRESH_DUE_MS);
  await viaSocket();
  const cliRefresh: number[] = [];
  const cliFresh: number[] = [];
  const socketRefresh: number[] = [];
  const socketFresh: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(REFRESH_DUE_MS);
    await timed(1, viaCli, cliRefresh);
    await timed(0, viaCli, cliFresh);
  }
  for (let i = 0; i < samples; i++) {
    await sleep(REFRESH_DUE_MS);
    await timed(1, viaSocket, socketRefresh);
    await timed(0, viaSocket, socketFresh);
  }
  const rows: [string, number[]][] = [
    ["jim api (agent), refresh due", cliRefresh],
    ["jim api (agent), token fresh", cliFresh],
    ["agent socket request, refresh due", socketRefresh],
    ["agent socket request, token fresh", socketFresh],
  ];
  for (const [name, values] of rows) {
    section.rows.push(
      values.length > 0
        ? { name, timing: summarise(name, values) }
        : { name, missing: "no sample had the expected refresh count" },
    );
  }

  const cost = (a: number[], b: number[]) =>
    a.length && b.length ? `${ms(median(a) - median(b))} ms` : "n/a";
  section.notes.push(
    `silent refresh (one refresh_token grant, done inside the agent): ` +
      `${cost(socketRefresh, socketFresh)} by socket medians, ` +
      `${cost(cliRefresh, cliFresh)} by jim api medians (noisier: process start-up dominates)`,
    `sign-in = jim start, auth/config + discovery, loopback listener, $BROWSER (a \`deno run\` ` +
      `of fixtures/scripted_browser.ts: login + consent forms), code exchange, userinfo, agent ` +
      `start and adopt; ${samples} samples after 1 warm-up`,
  );
  if (mismatches > 0) {
    section.notes.push(
      `${mismatches} refresh sample(s) dropped: the provider counted an unexpected number of ` +
        `refresh grants (timing drift on a loaded host)`,
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
