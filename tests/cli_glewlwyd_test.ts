// jim against a second real identity provider: Glewlwyd 2.7 (Debian's package), configured as an
// administrator would configure JIM's public client (fixtures/glewlwyd.ts), behind the JIM
// simulator. One Glewlwyd is shared by every test in this file (started by the first, stopped by
// the last, killed at exit if a filter skipped that); each test has its own simulator, gnome-keyring
// and jim environment. Sign-in goes through a scripted browser making the login page's calls.

import assert from "node:assert/strict";
import { type Glewlwyd, glewlwydUnavailable, startGlewlwyd } from "../fixtures/glewlwyd.ts";
import { driveGlewlwydDevice } from "../fixtures/glewlwyd_browser.ts";
import { type JimServer, startJimServer } from "../fixtures/jim_server.ts";
import { assertClean, parseList } from "./helpers/cli_fixture.ts";
import {
  type KeyringSession,
  keyringTest,
  secretTool,
  startKeyringSession,
} from "./helpers/keyring_session.ts";
import { JimEnv, type JimResult, ROOT_DIR, type RunOptions, spawnJim } from "./helpers/run_jim.ts";
import { eventually } from "./helpers/sso_fixture.ts";
import { needs } from "./helpers/platform_gate.ts";

const USER = {
  username: "ada",
  password: `pw-${crypto.randomUUID()}`,
  name: "Ada Admin",
  email: "ada@example.test",
};
// Short enough to wait past expiry; the agent refreshes once less than half the life remains.
const ACCESS_TOKEN_SECONDS = 8;

interface Shared {
  gw: Glewlwyd;
  sub: string;
}

let shared: Promise<Shared> | undefined;

function start(): Promise<Shared> {
  return shared ??= (async () => {
    const gw = await startGlewlwyd({ accessTokenSeconds: ACCESS_TOKEN_SECONDS });
    return { gw, sub: await gw.addUser(USER) };
  })();
}

interface Stage extends Shared {
  keyring: KeyringSession;
  server: JimServer;
  env: JimEnv;
  jim(args: string[], options?: RunOptions): Promise<JimResult>;
  /** connect to the simulator; asserts success and returns the list output's values. */
  connect(args?: string[]): Promise<{ values: Record<string, string>; result: JimResult }>;
  browserLaunches(): Promise<number>;
  stopAgent(): Promise<void>;
  storedToken(): Promise<string | null>;
}

async function withGlewlwyd(
  fn: (stage: Stage) => Promise<void>,
  options: { authority?: (issuer: string) => string } = {},
): Promise<void> {
  const base = await start();
  const { gw } = base;
  const server = await startJimServer({
    authConfig: {
      authority: options.authority?.(gw.issuer) ?? gw.issuer,
      clientId: gw.clientId,
      scopes: [gw.apiScope],
    },
    // Measured: without a `resource` parameter Glewlwyd's access token carries the granted
    // scopes, space-separated, as its `aud`.
    oidc: {
      issuer: gw.issuer,
      audience: `openid profile offline_access ${gw.apiScope}`,
      jwksUri: gw.jwksUri,
    },
    users: [{ sub: base.sub, name: USER.name, email: USER.email, authorised: true }],
  });
  const keyring = await startKeyringSession();
  const env = await JimEnv.create({
    ...keyring.env,
    JIM_KEYRING: "auto",
    BROWSER: `${ROOT_DIR}/fixtures/glewlwyd-browser`,
    JIM_TEST_DENO: Deno.execPath(),
    JIM_TEST_LOGIN: USER.username,
  });
  env.vars.JIM_TEST_BROWSER_LOG = `${env.dir}/browser.log`;
  env.vars.JIM_TEST_PASSWORD_FILE = `${env.dir}/password`;
  await Deno.writeTextFile(env.vars.JIM_TEST_PASSWORD_FILE, USER.password, { mode: 0o600 });
  // The keyring session's runtime dir holds its bus; the agent's socket goes in the env's own.
  env.vars.XDG_RUNTIME_DIR = `${env.dir}/run`;
  const jim = (args: string[], options?: RunOptions) => env.run(args, options);
  const key = server.url.toLowerCase();
  const stage: Stage = {
    ...base,
    keyring,
    server,
    env,
    jim,
    async connect(args = []) {
      const result = await jim(["connect", server.url, ...args]);
      assertClean(result, [USER.password]);
      assert.equal(result.code, 0, result.stderr);
      return { values: Object.fromEntries(parseList(result.stdout)), result };
    },
    async browserLaunches() {
      const text = await Deno.readTextFile(env.vars.JIM_TEST_BROWSER_LOG).catch(() => "");
      return text.split("\n").filter((line) => line.trim() !== "").length;
    },
    stopAgent: () => env.stopAgent(),
    async storedToken() {
      const out = await secretTool(keyring.env, ["lookup", "service", "JIM", "url", key]);
      return out.code === 0 && out.stdout !== "" ? out.stdout.replace(/\n$/, "") : null;
    },
  };
  try {
    await fn(stage);
  } finally {
    await stage.stopAgent().catch(() => {});
    await server.close();
    await keyring.close();
    await Deno.remove(env.dir, { recursive: true }).catch(() => {});
  }
}

/** The claims of the last Bearer token the simulator received. */
function lastBearerClaims(server: JimServer): Record<string, unknown> {
  const bearer = server.requests.map((r) => r.headers.authorization ?? "")
    .filter((h) => h.startsWith("Bearer ")).pop();
  assert.ok(bearer, "the simulator received a Bearer token");
  const payload = bearer.slice(7).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload));
}

/** Every test here shares the one Glewlwyd, so the sanitizers cannot attribute its resources. */
function glewlwydTest(name: string, fn: () => Promise<void>): void {
  Deno.test(keyringTest(needs("Glewlwyd", glewlwydUnavailable(), {
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  })));
}

glewlwydTest(
  "Glewlwyd: browser sign-in through its login page; the JIM API accepts its RS256 JWT",
  () =>
    withGlewlwyd(async (s) => {
      const issuedBefore = s.gw.accessTokensIssued(USER.username);
      const { values, result } = await s.connect();
      assert.equal(values.AuthMethod, "OAuth");
      assert.equal(values.Connected, "True");
      assert.equal(values.Authorised, "True");
      assert.equal(values.Status, "healthy");
      assert.ok(Date.parse(values.ExpiresAt) > Date.now(), values.ExpiresAt);
      assert.doesNotMatch(result.stderr, /Warning/);
      assert.match(result.stderr, /redirect_uri=http%3A%2F%2Flocalhost%3A840\d%2Fcallback%2F/);
      assert.match(result.stderr, /code_challenge_method=S256/);
      assert.equal(await s.browserLaunches(), 1);
      assert.equal(s.gw.accessTokensIssued(USER.username) - issuedBefore, 1);

      const who = await s.jim(["whoami", "--json"]);
      assertClean(who);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(JSON.parse(who.stdout).Sub, s.sub);
      const claims = lastBearerClaims(s.server);
      assert.equal(claims.iss, s.gw.issuer);
      assert.equal(claims.client_id, s.gw.clientId);
      assert.equal(claims.aud, `openid profile offline_access ${s.gw.apiScope}`);
      assert.ok(await s.storedToken(), "the refresh token is in gnome-keyring");
    }),
);

glewlwydTest("Glewlwyd: device code sign-in end to end", () =>
  withGlewlwyd(async (s) => {
    const live = spawnJim(["connect", s.server.url, "--device-code"], s.env.vars);
    const line = await live.waitForLine(/enter code/i);
    const code = /enter code (\S+)/i.exec(line)![1];
    const uri = /open (\S+)/.exec(line)![1];
    assert.ok(uri.startsWith(`${s.gw.issuer}/device`), line);
    await driveGlewlwydDevice(uri, code, USER);
    const result = await live.done();
    assertClean(result, [USER.password]);
    assert.equal(result.code, 0, result.stderr);
    const values = Object.fromEntries(parseList(result.stdout));
    assert.equal(values.AuthMethod, "OAuth");
    assert.equal(values.Authorised, "True");
    assert.equal(await s.browserLaunches(), 0);
    const who = await s.jim(["whoami", "--json"]);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).Sub, s.sub);
  }));

glewlwydTest(
  "Glewlwyd: past expiry, 20 parallel commands all succeed on exactly one refresh",
  () =>
    withGlewlwyd(async (s) => {
      const { values } = await s.connect();
      // The refreshed token lives an hour, so however slowly 20 processes start on a busy
      // machine, none of them finds it near expiry and refreshes again.
      await s.gw.setAccessTokenSeconds(3600);
      try {
        await eventually(() => Date.now() > Date.parse(values.ExpiresAt) + 500);
        const before = s.gw.accessTokensIssued(USER.username);
        const results = await Promise.all(
          // A generous bound against a hang, not a timing.
          Array.from({ length: 20 }, () =>
            s.jim(["api", "/api/v1/userinfo"], { killAfterMs: 180_000 })),
        );
        for (const result of results) {
          assertClean(result);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(JSON.parse(result.stdout).sub, s.sub);
        }
        assert.equal(
          s.gw.accessTokensIssued(USER.username) - before,
          1,
          "refresh grants at Glewlwyd",
        );
        const status = await s.jim(["test-connection", "--json"]);
        assert.equal(status.code, 0, status.stderr);
        assert.ok(Date.parse(JSON.parse(status.stdout).TokenExpiresAt) > Date.now() + 600_000);
      } finally {
        await s.gw.setAccessTokenSeconds(ACCESS_TOKEN_SECONDS);
      }
    }),
);

glewlwydTest(
  "Glewlwyd: a new shell reconnects silently with the token in gnome-keyring",
  () =>
    withGlewlwyd(async (s) => {
      await s.connect();
      assert.ok(await s.storedToken());
      await s.stopAgent();
      const before = s.gw.accessTokensIssued(USER.username);
      const { values, result } = await s.connect();
      assert.equal(values.Status, "Connected (cached)");
      assert.equal(values.Authorised, "True");
      assert.doesNotMatch(result.stderr, /rejected|Warning/);
      assert.equal(await s.browserLaunches(), 1, "no browser for a silent reconnect");
      assert.equal(s.gw.accessTokensIssued(USER.username) - before, 1, "one refresh grant");
      const who = await s.jim(["whoami", "--json"]);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(JSON.parse(who.stdout).Sub, s.sub);
    }),
);

glewlwydTest(
  "Glewlwyd: a refresh token revoked there (a bare 400) falls back to the browser",
  () =>
    withGlewlwyd(async (s) => {
      await s.connect();
      const old = await s.storedToken();
      await s.stopAgent();
      assert.ok(await s.gw.revokeRefreshTokens(USER) >= 1);
      const { values, result } = await s.connect();
      assert.equal(values.Status, "healthy");
      assert.match(result.stderr, /stored sign-in was rejected/);
      assert.equal(await s.browserLaunches(), 2);
      const fresh = await s.storedToken();
      assert.ok(fresh && fresh !== old, "the new sign-in's refresh token replaced the revoked one");
    }),
);

glewlwydTest(
  "Glewlwyd: disconnect ends the session and removes the stored token",
  () =>
    withGlewlwyd(async (s) => {
      await s.connect();
      const stored = await s.storedToken();
      assert.ok(stored);
      // Measured: Glewlwyd's revocation endpoint answers 401 to a public client, so the stored
      // token is removed here and not revoked at the provider (the README says so).
      const revoke = await fetch(`${s.gw.issuer}/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: stored, client_id: s.gw.clientId }),
      });
      await revoke.body?.cancel();
      assert.equal(revoke.status, 401);

      const result = await s.jim(["disconnect"]);
      assertClean(result, [stored]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await s.storedToken(), null, "the stored refresh token is gone");
      const status = await s.jim(["test-connection", "--quiet"]);
      assert.equal(status.stdout.trim(), "false");
      assert.equal(status.code, 1);
    }),
);

glewlwydTest(
  "Glewlwyd: JIM's authority written with a trailing slash signs in and reconnects",
  () =>
    withGlewlwyd(async (s) => {
      const { values } = await s.connect();
      assert.equal(values.Authorised, "True");
      await s.stopAgent();
      const before = s.gw.accessTokensIssued(USER.username);
      const again = await s.connect();
      assert.equal(again.values.Status, "Connected (cached)");
      assert.equal(s.gw.accessTokensIssued(USER.username) - before, 1, "one refresh grant");
      const who = await s.jim(["whoami", "--json"]);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(JSON.parse(who.stdout).Sub, s.sub);
    }, { authority: (issuer) => `${issuer}/` }),
);

glewlwydTest("Glewlwyd: stop the shared provider", async () => {
  if (shared) await (await shared).gw.close();
});
