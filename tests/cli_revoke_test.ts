// Disconnect revokes the refresh token at the identity provider (RFC 7009) before forgetting it,
// and says whether it did: against the real OpenID provider (a refresh with the token is refused
// afterwards), and against providers that refuse (401, as Glewlwyd does for public clients) or
// never answer, where the local forget still happens. And `disconnect --json`.

import assert from "node:assert/strict";
import { type Idp, startIdp } from "../fixtures/idp.ts";
import { type JimServer, startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv, type JimResult, ROOT_DIR } from "./helpers/run_jim.ts";
import { assertClean, TEST_KEY, withCli } from "./helpers/cli_fixture.ts";
import { withSso } from "./helpers/sso_fixture.ts";
import {
  type KeyringSession,
  keyringTest,
  secretTool,
  startKeyringSession,
} from "./helpers/keyring_session.ts";

interface Stage {
  keyring: KeyringSession;
  env: JimEnv;
  lookup(key: string): Promise<string | null>;
  store(key: string, token: string): Promise<void>;
}

async function withStage(fn: (stage: Stage) => Promise<void>): Promise<void> {
  const keyring = await startKeyringSession();
  const env = await JimEnv.create({
    ...keyring.env,
    JIM_KEYRING: "secret-tool",
    BROWSER: `${ROOT_DIR}/fixtures/scripted-browser`,
    JIM_TEST_DENO: Deno.execPath(),
  });
  env.vars.JIM_TEST_BROWSER_LOG = `${env.dir}/browser.log`;
  try {
    await fn({
      keyring,
      env,
      async lookup(key) {
        const out = await secretTool(keyring.env, ["lookup", "service", "JIM", "url", key]);
        return out.code === 0 && out.stdout !== "" ? out.stdout.replace(/\n$/, "") : null;
      },
      async store(key, token) {
        const out = await secretTool(
          keyring.env,
          ["store", `--label=JIM refresh token (${key})`, "service", "JIM", "url", key],
          token,
        );
        assert.equal(out.code, 0);
      },
    });
  } finally {
    await env.dispose();
    await keyring.close();
  }
}

async function ssoServer(idp: Idp): Promise<JimServer> {
  return await startJimServer({
    authConfig: { authority: idp.issuer, clientId: idp.clientId },
    oidc: { issuer: idp.issuer, audience: idp.audience, jwksUri: idp.jwksUri },
    users: [{ sub: "admin@example.test", authorised: true }],
  });
}

/** A refresh grant straight at the provider: what anyone holding the token could do. */
async function refreshAtProvider(idp: Idp, token: string): Promise<Response> {
  const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  return await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: token,
      client_id: idp.clientId,
    }),
  });
}

/** The disconnect lines about revocation: exactly one per sign-in. */
function revocationLines(result: JimResult): string[] {
  return result.stderr.split("\n").filter((line) => /revoke/i.test(line));
}

Deno.test(keyringTest({
  name:
    "disconnect revokes the session's refresh token at the provider: a refresh with it is refused afterwards",
  fn: () =>
    withStage(async ({ env, lookup }) => {
      const idp = await startIdp();
      const server = await ssoServer(idp);
      try {
        const signIn = await env.run(["connect", server.url]);
        assert.equal(signIn.code, 0, signIn.stderr);
        const key = server.url.toLowerCase();
        const token = await lookup(key);
        assert.ok(token, "the sign-in was not stored");

        const result = await env.run(["disconnect", "--json"]);
        assertClean(result, [TEST_KEY, token]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), {
          Disconnected: true,
          Url: server.url,
          Sessions: [server.url],
          StoredSignInsRemoved: 1,
          Revoked: 1,
          NotRevoked: [],
        });
        assert.deepEqual(revocationLines(result), [
          `Revoked the sign-in for ${server.url} at the identity provider.`,
        ]);
        assert.equal(await lookup(key), null);

        const refresh = await refreshAtProvider(idp, token);
        assert.equal(refresh.status, 400);
        assert.equal((await refresh.json()).error, "invalid_grant");
      } finally {
        await server.close();
        await idp.close();
      }
    }),
}));

Deno.test("disconnect revokes a sign-in kept only in the agent's memory (no credential store)", () =>
  withSso(async ({ jim, server, signIn }) => {
    await signIn();
    const result = await jim(["disconnect", "--json"]);
    assertClean(result);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      Disconnected: true,
      Url: server.url,
      Sessions: [server.url],
      StoredSignInsRemoved: 0,
      Revoked: 1,
      NotRevoked: [],
    });
    assert.deepEqual(revocationLines(result), [
      `Revoked the sign-in for ${server.url} at the identity provider.`,
    ]);
  }));

Deno.test(keyringTest({
  name: "disconnect --url revokes a stored sign-in while not connected, then forgets it",
  fn: () =>
    withStage(async ({ env, lookup, store }) => {
      const idp = await startIdp();
      const server = await ssoServer(idp);
      try {
        const signIn = await env.run(["connect", server.url]);
        assert.equal(signIn.code, 0, signIn.stderr);
        await env.stopAgent();
        const key = server.url.toLowerCase();
        const stored = await lookup(key);
        assert.ok(stored);
        // The way this test proves revocation works before it: the token refreshes, and the
        // rotated one is what stays stored.
        const control = await refreshAtProvider(idp, stored);
        assert.equal(control.status, 200);
        const token = (await control.json()).refresh_token as string;
        assert.ok(token);
        await store(key, token);

        const result = await env.run(["Disconnect-JIM", "-Url", server.url, "-Json"]);
        assertClean(result, [TEST_KEY, stored, token]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), {
          Disconnected: false,
          Url: server.url,
          Sessions: [],
          StoredSignInsRemoved: 1,
          Revoked: 1,
          NotRevoked: [],
        });
        assert.deepEqual(revocationLines(result), [
          `Revoked the sign-in for ${server.url} at the identity provider.`,
        ]);
        assert.equal(await lookup(key), null);
        assert.equal((await refreshAtProvider(idp, token)).status, 400);
      } finally {
        await server.close();
        await idp.close();
      }
    }),
}));

/**
 * An identity provider whose revocation endpoint refuses (401, no body, as Glewlwyd answers a
 * public client), never answers, or that lists no revocation endpoint at all.
 */
function fakeProvider(mode: "refuse" | "hang" | "unsupported") {
  const revocations: URLSearchParams[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const origin = url.origin;
    if (url.pathname === "/.well-known/openid-configuration") {
      return Response.json({
        issuer: origin,
        authorization_endpoint: `${origin}/auth`,
        token_endpoint: `${origin}/token`,
        ...(mode === "unsupported" ? {} : { revocation_endpoint: `${origin}/revoke` }),
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ["code"],
      });
    }
    if (url.pathname === "/revoke" && req.method === "POST") {
      revocations.push(new URLSearchParams(await req.text()));
      if (mode === "hang") await released;
      return new Response(null, { status: 401 });
    }
    return new Response("not found", { status: 404 });
  });
  const issuer = `http://127.0.0.1:${server.addr.port}`;
  return {
    issuer,
    revocations,
    async close() {
      release();
      await server.shutdown();
    },
  };
}

const PROVIDER_CASES = [
  {
    mode: "refuse",
    what: "refuses revocation (401, as Glewlwyd does for public clients)",
    flag: "--url",
    reason: "refused: HTTP 401",
  },
  {
    mode: "hang",
    what: "does not answer revocation",
    flag: "--all",
    reason: "no answer within 5 s",
  },
  {
    mode: "unsupported",
    what: "lists no revocation endpoint",
    flag: "--url",
    reason: "the identity provider offers no token revocation",
  },
] as const;

for (const { mode, what, flag, reason } of PROVIDER_CASES) {
  Deno.test(keyringTest({
    name:
      `a provider that ${what}: disconnect ${flag} still forgets the sign-in and says so in one line`,
    fn: () =>
      withStage(async ({ env, lookup, store }) => {
        const idp = fakeProvider(mode);
        const server = await startJimServer({
          authConfig: { authority: idp.issuer, clientId: "jim-cli" },
        });
        const key = server.url.toLowerCase();
        // --all knows only the stored key (the server's origin); --url knows the URL given.
        const where = flag === "--all" ? key : server.url;
        const token = `rt-${mode}-${crypto.randomUUID()}`;
        try {
          await store(key, token);
          const args = flag === "--all" ? ["--all"] : ["--url", server.url];
          const result = await env.run(["disconnect", ...args, "--json"], { killAfterMs: 30_000 });
          assertClean(result, [token]);
          assert.equal(result.code, 0, result.stderr);
          assert.deepEqual(JSON.parse(result.stdout), {
            Disconnected: false,
            Url: flag === "--all" ? null : server.url,
            Sessions: [],
            StoredSignInsRemoved: 1,
            Revoked: 0,
            NotRevoked: [{ Url: where, Reason: reason }],
          });
          assert.deepEqual(revocationLines(result), [
            `Could not revoke the sign-in for ${where} at the identity provider (${reason}); it is forgotten on this machine anyway.`,
          ]);
          assert.equal(await lookup(key), null);
          if (mode === "unsupported") {
            assert.equal(idp.revocations.length, 0);
            return;
          }
          // It was asked, as a public client, for this very token.
          assert.equal(idp.revocations.length, 1);
          const sent = idp.revocations[0];
          assert.equal(sent.get("token"), token);
          assert.equal(sent.get("token_type_hint"), "refresh_token");
          assert.equal(sent.get("client_id"), "jim-cli");
        } finally {
          await server.close();
          await idp.close();
        }
      }),
  }));
}

Deno.test("disconnect --json says what was disconnected and how many sign-ins were removed", () =>
  withCli(async ({ server, jim, connect }) => {
    const idle = await jim(["disconnect", "--json"]);
    assertClean(idle);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(
      idle.stdout,
      '{\n  "Disconnected": false,\n  "Url": null,\n  "Sessions": [],\n  "StoredSignInsRemoved": 0,\n' +
        '  "Revoked": 0,\n  "NotRevoked": []\n}\n',
    );

    await connect();
    const ended = await jim(["disconnect", "--json"]);
    assertClean(ended);
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual(JSON.parse(ended.stdout), {
      Disconnected: true,
      Url: server.url,
      Sessions: [server.url],
      StoredSignInsRemoved: 0,
      Revoked: 0,
      NotRevoked: [],
    });
    assert.match(ended.stderr, new RegExp(`Disconnected from ${server.url}\\.`));
  }));
