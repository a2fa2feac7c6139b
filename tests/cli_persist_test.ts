// Refresh-token persistence through the CLI subprocess against a real gnome-keyring (inside a
// private D-Bus session) and a real OpenID provider: silent reconnect, --force, --no-persist,
// rotation write-back, disconnect and forget, interop with secret-tool, and unusable stores.

import assert from "node:assert/strict";
import { startIdp } from "../fixtures/idp.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv, type JimResult, ROOT_DIR, type RunOptions } from "./helpers/run_jim.ts";
import { assertClean, parseList, TEST_KEY } from "./helpers/cli_fixture.ts";
import { eventually, LOGIN } from "./helpers/sso_fixture.ts";
import {
  type KeyringSession,
  type KeyringSessionOptions,
  keyringTest,
  secretTool as runSecretTool,
  startKeyringSession,
} from "./helpers/keyring_session.ts";

interface Stage {
  url: string;
  key: string;
  env: JimEnv;
  keyring: KeyringSession;
  idp: Awaited<ReturnType<typeof startIdp>>;
  jim(args: string[], options?: RunOptions): Promise<JimResult>;
  signIn(
    args?: string[],
    options?: RunOptions,
  ): Promise<{ values: Record<string, string>; result: JimResult }>;
  lookup(key?: string): Promise<string | null>;
  storeDirect(key: string, token: string): Promise<void>;
  stopAgent(): Promise<void>;
  browserLaunches(): Promise<number>;
}

/** Every token the stage saw, for the scan at the end that no file holds one. */
const seenTokens = new Set<string>();
const scanHits: string[] = [];
let scannedFiles = 0;

async function withStage(
  fn: (stage: Stage) => Promise<void>,
  options: { keyring?: KeyringSessionOptions; env?: Record<string, string>; ttl?: number } = {},
) {
  const keyring = await startKeyringSession(options.keyring);
  const idp = await startIdp({ accessTokenTtlSeconds: options.ttl ?? 60 });
  const server = await startJimServer({
    apiKeys: [{ key: TEST_KEY, name: "ci-key" }],
    authConfig: { authority: idp.issuer, clientId: idp.clientId },
    oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
    users: [{ sub: LOGIN, authorised: true }],
  });
  const env = await JimEnv.create({
    ...keyring.env,
    JIM_KEYRING: "auto",
    BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
    JIM_TEST_DENO: Deno.execPath(),
    ...options.env,
  });
  env.vars.JIM_TEST_BROWSER_LOG = `${env.dir}/browser.log`;
  env.vars.XDG_RUNTIME_DIR = `${env.dir}/run`;
  const key = server.url.toLowerCase();
  const secretTool = async (args: string[], stdin?: string) => {
    const out = await runSecretTool(keyring.env, args, stdin);
    return { code: out.code, text: out.stdout };
  };
  const jim = (args: string[], opts?: RunOptions) => env.run(args, opts);
  const stage: Stage = {
    url: server.url,
    key,
    env,
    keyring,
    idp,
    jim,
    async signIn(args = [], opts = {}) {
      const result = await jim(["connect", server.url, ...args], opts);
      assertClean(result, [TEST_KEY, ...seenTokens]);
      assert.equal(result.code, 0, result.stderr);
      return { values: Object.fromEntries(parseList(result.stdout)), result };
    },
    async lookup(k = key) {
      const out = await secretTool(["lookup", "service", "JIM", "url", k]);
      const token = out.code === 0 && out.text !== "" ? out.text.replace(/\n$/, "") : null;
      if (token) seenTokens.add(token);
      return token;
    },
    async storeDirect(k, token) {
      const out = await secretTool(
        ["store", `--label=JIM refresh token (${k})`, "service", "JIM", "url", k],
        token,
      );
      assert.equal(out.code, 0);
    },
    stopAgent: () => env.stopAgent(),
    async browserLaunches() {
      const text = await Deno.readTextFile(env.vars.JIM_TEST_BROWSER_LOG).catch(() => "");
      return text.split("\n").filter((line) => line.trim() !== "").length;
    },
  };
  try {
    await fn(stage);
  } finally {
    await stage.stopAgent().catch(() => {});
    await server.close();
    await idp.close();
    await scanForTokens([env.dir, keyring.home]);
    await keyring.close();
    await Deno.remove(env.dir, { recursive: true }).catch(() => {});
  }
}

/** Records every file under `dirs` that holds a token this suite has seen. */
async function scanForTokens(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for await (const file of walk(dir)) {
      scannedFiles++;
      const text = await Deno.readTextFile(file).catch(() => "");
      for (const token of seenTokens) {
        if (token.length > 8 && text.includes(token)) scanHits.push(file);
      }
    }
  }
}

Deno.test(keyringTest({
  name:
    "sign-in stores the refresh token where secret-tool finds it; a new shell reconnects silently",
  fn: () =>
    withStage(async (s) => {
      const first = await s.signIn();
      assert.equal(first.values.Status, "healthy");
      const stored = await s.lookup();
      assert.ok(stored, "secret-tool lookup service JIM url <key> finds the token");
      assert.equal(await s.browserLaunches(), 1);

      await s.stopAgent();
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
      assert.match(again.result.stderr, /^Connected to JIM using cached credentials$/m);
      assert.equal(again.values.AuthMethod, "OAuth");
      assert.equal(await s.browserLaunches(), 1, "no browser for a silent reconnect");
      const rotated = await s.lookup();
      assert.ok(rotated && rotated !== stored, "the rotated token replaced the spent one");
      const who = await s.jim(["whoami", "--json"]);
      assert.equal(JSON.parse(who.stdout).Sub, LOGIN);
      assert.equal((await s.idp.stats()).refreshFailures, 0);
    }),
}));

Deno.test(keyringTest({
  name: "a stored token the provider rejects is deleted and the browser flow follows",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      const old = await s.lookup();
      await s.stopAgent();
      await s.idp.revokeAll();
      const { values, result } = await s.signIn();
      assert.equal(values.Status, "healthy");
      assert.match(result.stderr, /stored sign-in was rejected/);
      assert.equal(await s.browserLaunches(), 2);
      const fresh = await s.lookup();
      assert.ok(fresh && fresh !== old);
    }),
}));

Deno.test(keyringTest({
  name: "--force ignores and overwrites the stored token; --no-persist neither reads nor writes",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      const first = await s.lookup();
      await s.signIn(["--force"]);
      assert.equal(await s.browserLaunches(), 2);
      const forced = await s.lookup();
      assert.ok(forced && forced !== first, "--force overwrote the stored token");

      await s.stopAgent();
      const { values } = await s.signIn(["--no-persist"]);
      assert.equal(values.Status, "healthy");
      assert.equal(await s.browserLaunches(), 3, "--no-persist did not read the store");
      assert.equal(await s.lookup(), forced, "--no-persist did not write the store");
    }),
}));

Deno.test(keyringTest({
  name: "the agent writes every rotated refresh token back, so the next shell still reconnects",
  fn: () =>
    withStage(async (s) => {
      const { values } = await s.signIn();
      const before = await s.lookup();
      await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
      assert.equal((await s.jim(["whoami"])).code, 0);
      assert.equal((await s.idp.stats()).refreshGrants, 1);
      await eventually(async () => (await s.lookup()) !== before);
      await s.stopAgent();
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
      assert.equal(
        (await s.idp.stats()).refreshFailures,
        0,
        "the written-back token was the live one",
      );
    }, { ttl: 8 }),
}));

Deno.test(keyringTest({
  name:
    "an agent started by a command with JIM_KEYRING=none still writes back to the store connect chose",
  fn: () =>
    withStage(async (s) => {
      // The API-key connect starts the agent with no store in its environment.
      const keyed = await s.jim(["connect", s.url, "--api-key-stdin"], {
        stdin: TEST_KEY,
        env: { JIM_KEYRING: "none" },
      });
      assert.equal(keyed.code, 0, keyed.stderr);
      const { values } = await s.signIn(["--force"]);
      const before = await s.lookup();
      assert.ok(before);
      await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
      assert.equal((await s.jim(["whoami"])).code, 0);
      await eventually(async () => (await s.lookup()) !== before);
      await s.stopAgent();
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
      assert.equal((await s.idp.stats()).refreshFailures, 0);
    }, { ttl: 8 }),
}));

Deno.test(keyringTest({
  name: "API-key connections never touch the store",
  fn: () =>
    withStage(async (s) => {
      const result = await s.jim(["connect", s.url, "--api-key-stdin"], { stdin: TEST_KEY });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await s.lookup(), null);
    }),
}));

Deno.test(keyringTest({
  name: "disconnect forgets the connected instance, whatever the auth method; IdP note after OAuth",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      assert.ok(await s.lookup());
      const out = await s.jim(["disconnect"]);
      assertClean(out, [...seenTokens]);
      assert.equal(out.code, 0);
      assert.match(out.stderr, /Removed the stored sign-in for /);
      assert.match(out.stderr, /still signed in to your identity provider/);
      assert.equal(await s.lookup(), null);

      // An API-key session: a stored token for the same instance is removed all the same.
      await s.storeDirect(s.key, "refresh-token-from-an-earlier-sign-in");
      await s.jim(["connect", s.url, "--api-key-stdin"], { stdin: TEST_KEY });
      const keyed = await s.jim(["Disconnect-JIM"]);
      assert.equal(keyed.code, 0);
      assert.doesNotMatch(keyed.stderr, /still signed in to your identity provider/);
      assert.equal(await s.lookup(), null);

      // A bare disconnect while not connected does nothing.
      await s.storeDirect(s.key, "still-here");
      const idle = await s.jim(["disconnect"]);
      assert.equal(idle.code, 0);
      assert.equal(idle.stderr, "");
      assert.equal(await s.lookup(), "still-here");
    }),
}));

Deno.test(keyringTest({
  name:
    "disconnect --url works while not connected; URL variants map to one key, ports and schemes do not",
  fn: () =>
    withStage(async (s) => {
      const keys = [
        "https://jim.example.com:443",
        "https://jim.example.com:8443",
        "http://jim.example.com:80",
      ];
      for (const k of keys) await s.storeDirect(k, `token-for-${k}`);
      for (
        const variant of [
          "https://JIM.Example.com/",
          "https://jim.example.com:443",
          "HTTPS://jim.example.com",
        ]
      ) {
        await s.storeDirect(keys[0], "again");
        const out = await s.jim(["disconnect", "--url", variant]);
        assert.equal(out.code, 0, out.stderr);
        assert.match(
          out.stderr,
          /Removed the stored sign-in for https:\/\/jim\.example\.com:443\./,
        );
        assert.equal(await s.lookup(keys[0]), null, variant);
        assert.equal(
          await s.lookup(keys[1]),
          `token-for-${keys[1]}`,
          "another port is another key",
        );
        assert.equal(
          await s.lookup(keys[2]),
          `token-for-${keys[2]}`,
          "another scheme is another key",
        );
      }
      const none = await s.jim(["Disconnect-JIM", "-Url", "https://jim.example.com"]);
      assert.match(none.stderr, /There was no stored sign-in for https:\/\/jim\.example\.com:443/);
    }),
}));

Deno.test(keyringTest({
  name: "disconnect --all removes every JIM token and says how many",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      await s.storeDirect("https://a.example.com:443", "one");
      await s.storeDirect("https://b.example.com:443", "two");
      const out = await s.jim(["disconnect", "--all"]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /Removed 3 stored JIM sign-ins/);
      assert.equal(await s.lookup(), null);
      assert.equal(await s.lookup("https://a.example.com:443"), null);
      assert.equal((await s.jim(["whoami"])).code, 3, "the session ended too");
    }),
}));

Deno.test(keyringTest({
  name: "an entry stored with plain secret-tool is used for silent reconnect (interop)",
  fn: () =>
    withStage(async (s) => {
      await s.signIn(["--no-persist"]);
      assert.equal(await s.lookup(), null);
      // Take a live refresh token from a persisted sign-in, then re-store it the way the
      // PowerShell module's secret-tool call does.
      await s.signIn(["--force"]);
      const token = (await s.lookup())!;
      await runSecretTool(s.keyring.env, ["clear", "service", "JIM", "url", s.key]);
      await s.storeDirect(s.key, token);
      await s.stopAgent();
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
    }),
}));

Deno.test(keyringTest({
  name: "no Secret Service on the bus: one notice, and sign-in works in memory",
  fn: () =>
    withStage(async (s) => {
      const { values, result } = await s.signIn();
      assert.equal(values.Connected, "True");
      const notices = result.stderr.split("\n").filter((l) => l.startsWith("Notice:"));
      assert.equal(notices.length, 1, result.stderr);
      assert.match(
        notices[0],
        /credential store is unavailable.*memory only, in the session agent: it lasts until jim disconnect, the end of this login, or 8 hours without a command.*API key/,
      );
    }, { keyring: { keyring: false } }),
}));

Deno.test(keyringTest({
  name: "a store that never answers: the notice comes within the bound and sign-in works",
  fn: () =>
    withStage(async (s) => {
      const pidFile = `${s.env.dir}/hung-secret-tool.pid`;
      const { result } = await s.signIn([], {
        env: {
          PATH: `${ROOT_DIR}/fixtures/standins/hang:${s.env.vars.PATH}`,
          JIM_KEYRING_TIMEOUT: "1",
          JIM_STANDIN_PIDFILE: pidFile,
        },
        killAfterMs: 60_000,
      });
      // The bound that applied is JIM_KEYRING_TIMEOUT's, and the hung tool was not left behind.
      assert.match(
        result.stderr,
        /^Notice: the OS credential store is unavailable \(.*did not answer within 1 s\b/m,
      );
      const pid = Number(await Deno.readTextFile(pidFile));
      assert.ok(pid > 0);
      assert.throws(() => Deno.statSync(`/proc/${pid}`), Deno.errors.NotFound, `${pid} alive`);
    }),
}));

Deno.test(keyringTest({
  name: "the macOS backend through a stand-in security: the token goes on stdin, never argv",
  fn: () =>
    withStage(async (s) => {
      const log = `${s.env.dir}/security.log`;
      const env = {
        PATH: `${ROOT_DIR}/fixtures/standins:${s.env.vars.PATH}`,
        JIM_KEYRING: "security",
        JIM_STANDIN_LOG: log,
        JIM_STANDIN_DENO: Deno.execPath(),
      };
      await s.signIn([], { env });
      await s.stopAgent();
      const again = await s.signIn([], { env });
      assert.equal(again.values.Status, "Connected (cached)");
      const runs = (await Deno.readTextFile(log)).trim().split("\n").map((line) =>
        JSON.parse(line)
      );
      const added = runs.filter((r) => /add-generic-password/.test(r.stdin));
      assert.ok(added.length >= 1);
      for (const run of runs) assert.deepEqual(run.argv, ["-i"]);
      const store = JSON.parse(await Deno.readTextFile(`${log}.store.json`));
      const token = store.keychain.find((e: { account: string }) => e.account === s.key)?.password;
      assert.ok(token, "stored under service JIM, account <key>");
      seenTokens.add(token);
      await Deno.remove(`${log}.store.json`);
      await Deno.remove(log);
    }),
}));

Deno.test(keyringTest({
  name: "silent reconnect against a provider that refuses a refresh without scope",
  fn: () =>
    withStage(async (s) => {
      await s.idp.configure({ refreshRequiresScope: true });
      await s.signIn();
      await s.stopAgent();
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
      assert.equal(await s.browserLaunches(), 1, "no browser: the refresh carried scope");
      assert.equal((await s.idp.stats()).refreshFailures, 0);
    }),
}));

Deno.test(keyringTest({
  name: "a bare 400 to the stored token's refresh: the entry is deleted and the browser follows",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      const old = await s.lookup();
      await s.stopAgent();
      await s.idp.configure({ refreshRefusal: "bare-400" });
      const { values, result } = await s.signIn();
      assert.equal(values.Status, "healthy");
      assert.match(result.stderr, /^Notice: the stored sign-in was rejected/m);
      assert.doesNotMatch(result.stderr, /content-type/);
      assert.equal(await s.browserLaunches(), 2);
      const fresh = await s.lookup();
      assert.ok(fresh && fresh !== old, "the browser sign-in's token replaced the dead one");
    }),
}));

Deno.test(keyringTest({
  name: "a 503 to the stored token's refresh: the browser follows and the stored token is kept",
  fn: () =>
    withStage(async (s) => {
      await s.signIn();
      const old = await s.lookup();
      await s.stopAgent();
      await s.idp.configure({ refreshRefusal: "bare-503" });
      // The browser sign-in is denied, so what is left in the store is what the refresh left.
      const result = await s.jim(["connect", s.url], { env: { JIM_TEST_BROWSER_MODE: "deny" } });
      assertClean(result, [...seenTokens]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /^Notice: the stored sign-in could not be used just now \(.*HTTP 503.*\); signing in again\.$/m,
      );
      assert.doesNotMatch(result.stderr, /rejected/);
      assert.equal(await s.browserLaunches(), 2, "the browser sign-in followed");
      assert.equal(await s.lookup(), old, "the stored token was kept");
      await s.idp.configure({ refreshRefusal: null });
      const again = await s.signIn();
      assert.equal(again.values.Status, "Connected (cached)");
    }),
}));

Deno.test(keyringTest({
  name:
    "a rotated token the store refuses (over its size limit): the spent entry is deleted, with a warning and in status",
  fn: () =>
    withStage(async (s) => {
      const { values } = await s.signIn();
      assert.ok(await s.lookup());
      await s.idp.configure({ refreshTokenPadding: 17_000 });
      await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
      const who = await s.jim(["whoami"]);
      assertClean(who, [...seenTokens]);
      assert.equal(who.code, 0, who.stderr);
      assert.match(
        who.stderr,
        /^Warning: the renewed sign-in could not be saved to the credential store \(.*longer than 16384 characters.*\); the spent stored sign-in was removed, so a new session will sign in through the browser\. jim tries to save it again at the next command\.$/m,
      );
      assert.equal(await s.lookup(), null, "the spent token is gone from the store");
      const status = await s.jim(["test-connection"]);
      assertClean(status, [...seenTokens]);
      assert.equal(status.code, 0, status.stderr);
      // Message stays Test-JIMConnection's; the stale stored sign-in is said on stderr.
      assert.match(Object.fromEntries(parseList(status.stdout)).Message, /^Connection successful/);
      assert.match(
        status.stderr,
        /^Warning: the renewed sign-in could not be saved to the credential store/m,
      );
      // The session itself goes on working.
      assert.equal((await s.jim(["whoami"])).code, 0);
    }, { ttl: 8 }),
}));

Deno.test(keyringTest({
  name: "a huge expires_in: test-connection works and disconnect removes the stored token",
  fn: () =>
    withStage(async (s) => {
      await s.idp.configure({ tokenExpiresIn: 1e15 });
      await s.signIn();
      assert.ok(await s.lookup());
      const status = await s.jim(["test-connection"]);
      assert.equal(status.code, 0, status.stderr);
      const out = await s.jim(["disconnect"]);
      assertClean(out, [...seenTokens]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /Removed the stored sign-in for /);
      assert.equal(await s.lookup(), null);
    }),
}));

Deno.test(keyringTest({
  name:
    "a locked keyring at write-back: the command still works and says the stored sign-in is stale",
  fn: () =>
    withStage(async (s) => {
      const { values } = await s.signIn();
      assert.ok(await s.lookup());
      await s.keyring.lock();
      await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
      const who = await s.jim(["whoami"], { killAfterMs: 60_000 });
      assertClean(who, [...seenTokens]);
      assert.equal(who.code, 0, who.stderr);
      assert.match(
        who.stderr,
        /^Warning: the renewed sign-in could not be saved to the credential store \(.*locked.*\); the stored sign-in is spent and could not be removed; a new session will have to sign in again\./m,
      );
      const status = await s.jim(["test-connection"]);
      assert.match(status.stderr, /^Warning: the renewed sign-in could not be saved/m);
    }, { ttl: 8, env: { JIM_KEYRING_TIMEOUT: "3" } }),
}));

/** A second, separate Secret Service (another login, another bus) for the same jim environment. */
async function secondSession(s: Stage) {
  const other = await startKeyringSession();
  // The agent's socket stays where the stage's commands look for it.
  const { XDG_RUNTIME_DIR: _, ...vars } = other.env;
  const lookup = async () => {
    const out = await runSecretTool(other.env, ["lookup", "service", "JIM", "url", s.key]);
    const token = out.code === 0 && out.stdout !== "" ? out.stdout.replace(/\n$/, "") : null;
    if (token) seenTokens.add(token);
    return token;
  };
  return { session: other, env: vars, lookup };
}

Deno.test(keyringTest({
  name:
    "the shell that connected is gone: the agent writes the rotated token through the next command's D-Bus session",
  fn: () =>
    withStage(async (s) => {
      const { values } = await s.signIn();
      assert.ok(await s.lookup());
      await s.keyring.close();
      const second = await secondSession(s);
      try {
        assert.equal(await second.lookup(), null, "the second store starts empty");
        await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
        const who = await s.jim(["whoami"], { env: second.env });
        assertClean(who, [...seenTokens]);
        assert.equal(who.code, 0, who.stderr);
        assert.doesNotMatch(who.stderr, /Warning/);
        assert.equal((await s.idp.stats()).refreshGrants, 1);
        const written = await second.lookup();
        assert.ok(written, "the rotated token reached the second session's store");
        // It is the live token: a new agent reconnects with it and the provider accepts it.
        await s.stopAgent();
        const again = await s.signIn([], { env: second.env });
        assert.equal(again.values.Status, "Connected (cached)");
        assert.equal((await s.idp.stats()).refreshFailures, 0);
      } finally {
        await second.session.close();
      }
    }, { ttl: 8 }),
}));

Deno.test(keyringTest({
  name:
    "no store reachable at the refresh: a warning, then the write succeeds at a later command with a live D-Bus session",
  fn: () =>
    withStage(async (s) => {
      const { values } = await s.signIn();
      await s.keyring.close();
      await eventually(() => Date.parse(values.ExpiresAt) - Date.now() < 3_500);
      // Still in the ended session: nothing can be written or removed.
      const stranded = await s.jim(["whoami"]);
      assertClean(stranded, [...seenTokens]);
      assert.equal(stranded.code, 0, stranded.stderr);
      assert.match(
        stranded.stderr,
        /^Warning: the renewed sign-in could not be saved to the credential store .*the stored sign-in is spent and could not be removed; a new session will have to sign in again\. jim tries to save it again at the next command\.$/m,
      );
      const second = await secondSession(s);
      try {
        const outputs: string[] = [];
        await eventually(async () => {
          outputs.push((await s.jim(["whoami"], { env: second.env })).stderr);
          return (await second.lookup()) !== null;
        });
        outputs.push((await s.jim(["whoami"], { env: second.env })).stderr);
        assert.match(
          outputs.join("\n"),
          /^Notice: the renewed sign-in is now saved to the credential store\.$/m,
        );
        const status = await s.jim(["test-connection"], { env: second.env });
        assert.doesNotMatch(
          Object.fromEntries(parseList(status.stdout)).Message,
          /could not be saved/,
        );
        await s.stopAgent();
        const again = await s.signIn([], { env: second.env });
        assert.equal(again.values.Status, "Connected (cached)");
        assert.equal((await s.idp.stats()).refreshFailures, 0);
      } finally {
        await second.session.close();
      }
    }, { ttl: 8 }),
}));

Deno.test(keyringTest({
  name: "after the suite, no token appears in any file under the test homes and temp dirs",
  fn: () => {
    assert.ok(seenTokens.size > 0, "the suite saw tokens to look for");
    assert.ok(scannedFiles > 0, "the scan read files");
    assert.deepEqual(scanHits, []);
  },
}));

async function* walk(dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}
