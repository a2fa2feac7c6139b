// Unit tests of lib/auth: the auth/config checker, discovery rules, the browser opener's choice
// of command, the loopback listener, and the browser, device and refresh flows against fakes
// (an injected fetch plays the identity provider; injected timers, clock and sleep play time).

import assert from "node:assert/strict";
import {
  checkAuthConfigResponse,
  fetchAuthConfig,
  validateAuthConfig,
} from "../lib/auth/auth_config.ts";
import {
  browserCommands,
  openBrowser,
  runDetached,
  type RunOutcome,
} from "../lib/auth/browser_opener.ts";
import { authorizationUrl, signInWithBrowser } from "../lib/auth/browser_flow.ts";
import type { StartDeadline } from "../lib/deadline.ts";
import { signInWithDeviceCode } from "../lib/auth/device_flow.ts";
import { escapeHtml, startLoopbackListener, SUCCESS_TEXT } from "../lib/auth/loopback_server.ts";
import {
  discoverOidc,
  type OauthFetch,
  type OidcContext,
  parseOidcContext,
} from "../lib/auth/oidc_client.ts";
import { refreshTokens } from "../lib/auth/refresh.ts";
import { DEFAULT_LIFETIME_SECONDS, tokenSetFromResponse } from "../lib/auth/token_set.ts";
import { JimError } from "../lib/errors.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { onlyOn, UNIX } from "./helpers/platform_gate.ts";

// ---------------------------------------------------------------------------------------------
// helpers

interface Call {
  url: URL;
  method: string;
  body: URLSearchParams;
}

/** A fake identity provider behind oauth4webapi's customFetch: one handler per path. */
function fakeIdp(routes: Record<string, (call: Call) => Response | Promise<Response>>) {
  const calls: Call[] = [];
  const fetch: OauthFetch = async (url, init) => {
    const call = {
      url: new URL(url),
      method: init.method ?? "GET",
      body: new URLSearchParams(init.body instanceof URLSearchParams ? init.body : undefined),
    };
    calls.push(call);
    const route = routes[call.url.pathname];
    if (!route) return Response.json({ error: "not_found" }, { status: 404 });
    return await route(call);
  };
  return { fetch, calls };
}

function oauthError(error: string, description?: string, status = 400): Response {
  return Response.json({ error, error_description: description }, { status });
}

function fakeCtx(as: Record<string, unknown> = {}, scopes = ["jim.api", "offline_access"]) {
  return {
    as: {
      issuer: "https://idp.test",
      authorization_endpoint: "https://idp.test/authorize",
      token_endpoint: "https://idp.test/token",
      device_authorization_endpoint: "https://idp.test/device",
      ...as,
    },
    clientId: "jim-cli",
    scopes,
    insecure: false,
  } satisfies OidcContext;
}

/** Deadlines that expire only when the test says so. */
class FakeDeadlines {
  readonly delays: number[] = [];
  readonly #pending = new Set<() => void>();
  #registered!: () => void;
  readonly registered = new Promise<void>((resolve) => this.#registered = resolve);

  readonly start: StartDeadline = (ms, onExpire) => {
    this.delays.push(ms);
    this.#pending.add(onExpire);
    this.#registered();
    return { cancel: () => void this.#pending.delete(onExpire) };
  };

  expireAll(): void {
    const callbacks = [...this.#pending];
    this.#pending.clear();
    for (const callback of callbacks) callback();
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return false;
  } catch {
    return true;
  }
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// ---------------------------------------------------------------------------------------------
// auth/config

const GOOD_CONFIG = {
  authority: "https://login.example.com/tenant/v2.0",
  clientId: "2b7c1e0a-jim",
  scopes: ["openid", "profile", "offline_access", "api://jim/access"],
  responseType: "code",
  usePkce: true,
  codeChallengeMethod: "S256",
};

Deno.test("auth config: a well-formed answer is accepted as is", async () => {
  const config = await checkAuthConfigResponse(Response.json(GOOD_CONFIG));
  assert.deepEqual(config, GOOD_CONFIG);
});

Deno.test("auth config: 503 sso_not_configured tells the user to use an API key", async () => {
  const response = Response.json({ error: "sso_not_configured", message: "x" }, { status: 503 });
  await rejectsWith(
    checkAuthConfigResponse(response),
    "sso_not_configured",
    "SSO is not configured on this JIM server; connect with an API key instead: " +
      "jim connect <url> --api-key-stdin",
  );
});

Deno.test("auth config: other error statuses are http errors with the status", async () => {
  const error = await rejectsWith(
    checkAuthConfigResponse(new Response("<html>busy</html>", { status: 503 })),
    "http",
    "the JIM server answered HTTP 503 for /api/v1/auth/config",
  );
  assert.equal(error.status, 503);
  await rejectsWith(
    checkAuthConfigResponse(Response.json({ message: "No such\nroute" }, { status: 404 })),
    "http",
    "the JIM server answered HTTP 404 for /api/v1/auth/config: No such route",
  );
});

Deno.test("auth config: malformed answers are one-line protocol errors", async () => {
  const cases: [unknown, string][] = [
    [[], "expected a JSON object"],
    [{ ...GOOD_CONFIG, authority: "not a url" }, "authority must be an http(s) URL"],
    [{ ...GOOD_CONFIG, authority: "ftp://idp" }, "authority must be an http(s) URL"],
    [{ ...GOOD_CONFIG, clientId: "" }, "clientId must be a non-empty string"],
    [{ ...GOOD_CONFIG, scopes: [] }, "scopes must be a non-empty list of scope names"],
    [{ ...GOOD_CONFIG, scopes: ["openid", "two words"] }, "scopes must be a non-empty list"],
    [{ ...GOOD_CONFIG, responseType: "token" }, 'responseType must be "code"'],
    [{ ...GOOD_CONFIG, usePkce: "true" }, "usePkce must be true"],
    [{ ...GOOD_CONFIG, codeChallengeMethod: "plain" }, 'codeChallengeMethod must be "S256"'],
  ];
  for (const [body, detail] of cases) {
    assert.throws(() => validateAuthConfig(body), (error: unknown) => {
      assert.ok(error instanceof JimError);
      assert.equal(error.code, "protocol");
      assert.ok(error.message.startsWith("the JIM server's SSO settings are malformed: "));
      assert.ok(error.message.includes(detail), error.message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  await rejectsWith(
    checkAuthConfigResponse(new Response("{not json", { status: 200 })),
    "protocol",
    "the JIM server's SSO settings are malformed: the body is not JSON",
  );
});

Deno.test("auth config: fetched anonymously from {base}/api/v1/auth/config", async () => {
  const seen: { url: string; headers: Headers }[] = [];
  const config = await fetchAuthConfig("https://jim.example.com/jim", (url, init) => {
    seen.push({ url, headers: new Headers(init?.headers) });
    return Promise.resolve(Response.json(GOOD_CONFIG));
  });
  assert.equal(config.clientId, GOOD_CONFIG.clientId);
  assert.equal(seen[0].url, "https://jim.example.com/jim/api/v1/auth/config");
  assert.equal(seen[0].headers.get("authorization"), null);
  assert.equal(seen[0].headers.get("x-api-key"), null);
  await rejectsWith(
    fetchAuthConfig("https://jim.example.com", () => Promise.reject(new TypeError("fetch failed"))),
    "network",
    "cannot reach https://jim.example.com: fetch failed",
  );
  // Described as every other request is: a server behind a private CA gets the --ca-cert hint.
  await rejectsWith(
    fetchAuthConfig("https://jim.example.com", () => Promise.reject(untrustedCertificate())),
    "network",
    "TLS certificate for jim.example.com is not trusted (use --ca-cert FILE or JIM_CA_CERT)",
  );
  // A redirect is refused, as the REST client refuses it, rather than followed.
  const redirecting = await fetchAuthConfig("https://jim.example.com", (_url, init) => {
    assert.equal(init?.redirect, "manual");
    return Promise.resolve(
      new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
    );
  }).catch((error) => error);
  assert.ok(redirecting instanceof JimError);
  assert.match(
    redirecting.message,
    /redirected to https:\/\/elsewhere\.example\/; jim does not follow/,
  );
});

function untrustedCertificate(): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (https://x/): client error (Connect): invalid peer certificate: UnknownIssuer",
    ),
  });
}

// ---------------------------------------------------------------------------------------------
// discovery

function discoveryDoc(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    ...extra,
  };
}

Deno.test("discovery: https provider, serialisable context, no insecure requests", async () => {
  const idp = fakeIdp({
    "/tenant/v2.0/.well-known/openid-configuration": () =>
      Response.json(discoveryDoc("https://login.example.com/tenant/v2.0")),
  });
  const ctx = await discoverOidc(GOOD_CONFIG, { fetch: idp.fetch });
  assert.equal(idp.calls.length, 1);
  assert.equal(ctx.insecure, false);
  assert.equal(ctx.clientId, GOOD_CONFIG.clientId);
  assert.deepEqual(ctx.scopes, GOOD_CONFIG.scopes);
  const copy = parseOidcContext(JSON.parse(JSON.stringify(ctx)));
  assert.deepEqual(copy, ctx);
});

Deno.test("discovery: an authority's trailing slash does not break the issuer match", async () => {
  const idp = fakeIdp({
    "/realms/jim/.well-known/openid-configuration": () =>
      Response.json(discoveryDoc("https://kc.example.com/realms/jim")),
  });
  const ctx = await discoverOidc(
    { ...GOOD_CONFIG, authority: "https://kc.example.com/realms/jim/" },
    { fetch: idp.fetch },
  );
  assert.equal(ctx.as.issuer, "https://kc.example.com/realms/jim");
});

Deno.test("discovery: http:// only for loopback issuers", async () => {
  const idp = fakeIdp({
    "/.well-known/openid-configuration": () => Response.json(discoveryDoc("http://127.0.0.1:9")),
  });
  await rejectsWith(
    discoverOidc({ ...GOOD_CONFIG, authority: "http://idp.example.com" }, { fetch: idp.fetch }),
    "protocol",
    /does not use https:\/\//,
  );
  assert.equal(idp.calls.length, 0);
  const ctx = await discoverOidc({ ...GOOD_CONFIG, authority: "http://127.0.0.1:9" }, {
    fetch: idp.fetch,
  });
  assert.equal(ctx.insecure, true);

  const sneaky = fakeIdp({
    "/.well-known/openid-configuration": () =>
      Response.json(discoveryDoc("http://localhost:9", { token_endpoint: "http://evil.test/t" })),
  });
  await rejectsWith(
    discoverOidc({ ...GOOD_CONFIG, authority: "http://localhost:9" }, { fetch: sneaky.fetch }),
    "protocol",
    /token_endpoint uses http:\/\/ on a non-loopback host/,
  );
  assert.throws(() => parseOidcContext({ ...ctx, as: { issuer: "http://idp.example.com" } }));
});

Deno.test("discovery: an issuer spelled differently from the authority is used, and noted", async () => {
  // An Entra authority written with the tenant's domain name; the document declares the id.
  const idp = fakeIdp({
    "/tenant/v2.0/.well-known/openid-configuration": () =>
      Response.json(discoveryDoc("https://login.example.com/0000-1111/v2.0")),
  });
  const notes: string[] = [];
  const ctx = await discoverOidc(GOOD_CONFIG, { fetch: idp.fetch }, (line) => notes.push(line));
  assert.equal(ctx.as.issuer, "https://login.example.com/0000-1111/v2.0");
  assert.equal(ctx.insecure, false);
  assert.deepEqual(notes, [
    "The identity provider's issuer https://login.example.com/0000-1111/v2.0 differs from the " +
    "authority https://login.example.com/tenant/v2.0 the JIM server names; using the issuer.",
  ]);
  // A declared issuer on plain http:// elsewhere is refused, from an https:// or loopback
  // authority alike.
  for (const authority of ["https://login.example.com/tenant/v2.0", "http://127.0.0.1:9"]) {
    const downgrade = fakeIdp({
      [`${new URL(authority).pathname.replace(/\/$/, "")}/.well-known/openid-configuration`]: () =>
        Response.json(discoveryDoc("http://login.example.com/tenant/v2.0")),
    });
    await rejectsWith(
      discoverOidc({ ...GOOD_CONFIG, authority }, { fetch: downgrade.fetch }),
      "protocol",
      /declared issuer http:\/\/login\.example\.com\/tenant\/v2\.0 does not use https:\/\//,
    );
  }
});

Deno.test("discovery: alg none is struck from the advertised ID token algorithms", async () => {
  const idp = fakeIdp({
    "/tenant/v2.0/.well-known/openid-configuration": () =>
      Response.json(
        discoveryDoc("https://login.example.com/tenant/v2.0", {
          id_token_signing_alg_values_supported: ["none", "RS256"],
        }),
      ),
  });
  const ctx = await discoverOidc(GOOD_CONFIG, { fetch: idp.fetch });
  assert.deepEqual(ctx.as.id_token_signing_alg_values_supported, ["RS256"]);
});

Deno.test("discovery: an answer over 1 MiB is refused, however it is sent", async () => {
  const big = "x".repeat(1024 * 1024);
  // 32 MiB with no length declared (bounded, so a reader without a cap still ends).
  const endless = () => {
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (sent++ === 32) controller.close();
          else controller.enqueue(new TextEncoder().encode(big));
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  };
  const declared = () =>
    new Response("{}", {
      headers: { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) },
    });
  for (const answer of [endless, declared]) {
    const idp = fakeIdp({ "/tenant/v2.0/.well-known/openid-configuration": answer });
    await rejectsWith(
      discoverOidc(GOOD_CONFIG, { fetch: idp.fetch }),
      "protocol",
      "the response to GET https://login.example.com/tenant/v2.0/.well-known/openid-configuration " +
        "(identity provider) is larger than 1 MiB; jim refuses it",
    );
  }
});

Deno.test("discovery: bad status and no network are clear errors", async () => {
  const missing = fakeIdp({});
  await rejectsWith(discoverOidc(GOOD_CONFIG, { fetch: missing.fetch }), "http", /HTTP 404/);
  await rejectsWith(
    discoverOidc(GOOD_CONFIG, { fetch: () => Promise.reject(new TypeError("fetch failed")) }),
    "network",
    /could not reach the identity provider: cannot reach https:\/\/login\.example\.com: fetch failed/,
  );
  await rejectsWith(
    discoverOidc(GOOD_CONFIG, { fetch: () => Promise.reject(untrustedCertificate()) }),
    "network",
    /could not reach the identity provider: TLS certificate for login\.example\.com is not trusted \(use --ca-cert FILE or JIM_CA_CERT\)/,
  );
});

// ---------------------------------------------------------------------------------------------
// token sets

Deno.test("token set: expiry from expires_in and the injected clock; rotation kept", () => {
  const response = {
    access_token: "at",
    token_type: "bearer",
    expires_in: 60,
    refresh_token: "rt2",
    scope: "openid offline_access",
  } as const;
  assert.deepEqual(tokenSetFromResponse(response, 1_000_000), {
    accessToken: "at",
    refreshToken: "rt2",
    expiresAt: 1_060_000,
    scope: "openid offline_access",
  });
  const notRotated = tokenSetFromResponse({ access_token: "at", token_type: "bearer" }, 0, "rt1");
  assert.equal(notRotated.refreshToken, "rt1");
  assert.equal(notRotated.expiresAt, DEFAULT_LIFETIME_SECONDS * 1000);
  const payload = btoa(JSON.stringify({ exp: 1_000 })).replace(/=+$/, "");
  const jwt = tokenSetFromResponse({ access_token: `h.${payload}.s`, token_type: "bearer" }, 0);
  assert.equal(jwt.expiresAt, 1_000_000);
});

// ---------------------------------------------------------------------------------------------
// browser opener

function fakeRun(outcomes: Record<string, RunOutcome>) {
  const runs: string[][] = [];
  return {
    runs,
    run(cmd: string, args: readonly string[]): Promise<RunOutcome> {
      runs.push([cmd, ...args]);
      return Promise.resolve(outcomes[cmd] ?? { status: "not_found" });
    },
  };
}

const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
const URL_TO_OPEN = "https://idp.test/auth?client_id=jim&state=s%20t";

Deno.test("browser opener: $BROWSER list, arguments and %s, without a shell", async () => {
  const fake = fakeRun({
    "first-browser": { status: "exited", code: 1 },
    "second": { status: "running" },
  });
  const result = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "first-browser --new-window:second 'a b' --url=%s --pct=%%" }),
    platform: "linux",
    run: fake.run,
  });
  assert.deepEqual(result, { opened: true });
  assert.deepEqual(fake.runs, [
    ["first-browser", "--new-window", URL_TO_OPEN],
    ["second", "a b", `--url=${URL_TO_OPEN}`, "--pct=%"],
  ]);
});

Deno.test("browser opener: a failing $BROWSER is not replaced by the platform opener", async () => {
  const fake = fakeRun({ "my-browser": { status: "exited", code: 2 } });
  const result = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "my-browser" }),
    platform: "linux",
    run: fake.run,
  });
  assert.equal(result.opened, false);
  assert.equal(result.reason, "my-browser exited with status 2");
  assert.equal(fake.runs.length, 1);
});

Deno.test("browser opener: Linux tries xdg-open and friends in order", async () => {
  const fake = fakeRun({
    "x-www-browser": { status: "exited", code: 3 },
    "sensible-browser": { status: "failed", reason: "permission denied" },
    "gio": { status: "exited", code: 0 },
  });
  const result = await openBrowser(URL_TO_OPEN, { env: env({}), platform: "linux", run: fake.run });
  assert.deepEqual(result, { opened: true });
  assert.deepEqual(fake.runs, [
    ["xdg-open", URL_TO_OPEN],
    ["x-www-browser", URL_TO_OPEN],
    ["sensible-browser", URL_TO_OPEN],
    ["gio", "open", URL_TO_OPEN],
  ]);
  const none = await openBrowser(URL_TO_OPEN, {
    env: env({ BROWSER: "" }),
    platform: "linux",
    run: fakeRun({}).run,
  });
  assert.equal(none.opened, false);
  assert.match(none.reason!, /^xdg-open not found; .*; wslview not found$/);
});

Deno.test("browser opener: macOS open, Windows rundll32", () => {
  assert.deepEqual(browserCommands(URL_TO_OPEN, undefined, "darwin"), [
    { cmd: "open", args: [URL_TO_OPEN] },
  ]);
  assert.deepEqual(browserCommands(URL_TO_OPEN, undefined, "windows"), [
    { cmd: "rundll32", args: ["url.dll,FileProtocolHandler", URL_TO_OPEN] },
  ]);
});

Deno.test({
  ...onlyOn(
    UNIX,
    "true, false and sleep",
    "browser opener: the real run reports exit, absence, and a browser left running",
  ),
  // the "running" child is deliberately not awaited: it is reaped after the test
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.deepEqual(await runDetached("true", []), { status: "exited", code: 0 });
    assert.deepEqual(await runDetached("false", []), { status: "exited", code: 1 });
    assert.deepEqual(await runDetached("jim-test-no-such-browser", ["x"]), {
      status: "not_found",
    });
    assert.deepEqual(await runDetached("sleep", ["2"], 20), { status: "running" });
  },
});

// ---------------------------------------------------------------------------------------------
// loopback listener

Deno.test("loopback: 8400 taken, 8401 used; other paths 404; wrong state 400", async () => {
  const squatter = Deno.serve(
    { hostname: "127.0.0.1", port: 8400, onListen() {} },
    () => new Response("not jim"),
  );
  try {
    const listener = await startLoopbackListener({ expectedState: "S1" });
    try {
      assert.equal(listener.port, 8401);
      assert.equal(listener.redirectUri, "http://localhost:8401/callback/");
      const base = "http://127.0.0.1:8401";
      assert.equal((await get(`${base}/favicon.ico`)).status, 404);
      const wrong = await get(`${base}/callback/?code=c&state=nope`);
      assert.equal(wrong.status, 400);
      assert.match(wrong.text, /state mismatch/);
      assert.equal((await get(`${base}/callback/?code=c`)).status, 400);
      assert.equal((await get(`${base}/callback/?code=c&state=S1&state=S1`)).status, 400);

      const browser = get(`${base}/callback?code=c&state=S1`);
      const hit = await listener.callback;
      assert.equal(hit.params.get("code"), "c");
      hit.finish({ ok: true });
      const page = await browser;
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(SUCCESS_TEXT));
    } finally {
      await listener.close();
    }
    assert.ok(await refused("http://127.0.0.1:8401/callback/"));
  } finally {
    await squatter.shutdown();
  }
});

Deno.test("loopback: a busy --redirect-port is an error; 127.0.0.1 host; ::1 served", async () => {
  const squatter = Deno.serve(
    { hostname: "127.0.0.1", port: 8402, onListen() {} },
    () => new Response("x"),
  );
  try {
    await rejectsWith(
      startLoopbackListener({ expectedState: "S", redirectPort: 8402 }),
      "failed",
      "redirect port 8402 is in use; close the program using it or choose another port",
    );
  } finally {
    await squatter.shutdown();
  }
  const listener = await startLoopbackListener({
    expectedState: "S",
    redirectPort: 8403,
    redirectHost: "127.0.0.1",
  });
  assert.equal(listener.redirectUri, "http://127.0.0.1:8403/callback/");
  await listener.close();

  // Whether this host has ::1 at all is asked of the system, not of the listener under test.
  const hasV6 = (() => {
    try {
      Deno.listen({ hostname: "::1", port: 0 }).close();
      return true;
    } catch {
      return false;
    }
  })();
  const dual = await startLoopbackListener({ expectedState: "S", redirectPort: 8404 });
  try {
    if (hasV6) assert.equal((await get("http://[::1]:8404/other")).status, 404);
  } finally {
    await dual.close();
  }
  await rejectsWith(
    startLoopbackListener({ expectedState: "S", redirectPort: 70000 }),
    "usage",
    /redirect port/,
  );
});

Deno.test("loopback: pages escape what they echo", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;",
  );
});

// ---------------------------------------------------------------------------------------------
// browser flow

/** A "browser" that reads the authorization URL and calls the redirect URI with `answer`. */
function playBrowser(answer: (auth: URL) => Record<string, string>) {
  let page: Promise<{ status: number; text: string }> | undefined;
  let seen: URL | undefined;
  return {
    get page() {
      return page!;
    },
    get seen() {
      return seen!;
    },
    open(url: string) {
      seen = new URL(url);
      const callback = new URL(seen.searchParams.get("redirect_uri")!);
      for (const [k, v] of Object.entries(answer(seen))) callback.searchParams.set(k, v);
      page = get(callback.href);
      return Promise.resolve({ opened: true });
    },
  };
}

Deno.test("browser flow: PKCE code flow end to end against a fake provider", async () => {
  const browser = playBrowser((auth) => ({
    code: "the-code",
    state: auth.searchParams.get("state")!,
    iss: "https://idp.test",
  }));
  const idp = fakeIdp({
    "/token": async ({ body }) => {
      assert.equal(body.get("grant_type"), "authorization_code");
      assert.equal(body.get("code"), "the-code");
      assert.equal(body.get("client_id"), "jim-cli");
      assert.equal(body.get("redirect_uri"), browser.seen.searchParams.get("redirect_uri"));
      assert.equal(
        await s256(body.get("code_verifier")!),
        browser.seen.searchParams.get("code_challenge"),
      );
      return Response.json({
        access_token: "the-access-token",
        token_type: "Bearer",
        expires_in: 120,
        refresh_token: "RT",
      });
    },
  });
  const lines: string[] = [];
  const tokens = await signInWithBrowser(
    fakeCtx({ authorization_response_iss_parameter_supported: true }),
    {
      noBrowser: false,
      openBrowser: browser.open,
      notify: (line) => lines.push(line),
      clock: () => 5_000,
      transport: { fetch: idp.fetch },
    },
  );
  assert.deepEqual(tokens, {
    accessToken: "the-access-token",
    refreshToken: "RT",
    expiresAt: 125_000,
  });
  const page = await browser.page;
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(SUCCESS_TEXT));

  const auth = browser.seen;
  assert.equal(auth.searchParams.get("response_type"), "code");
  assert.equal(auth.searchParams.get("code_challenge_method"), "S256");
  assert.equal(auth.searchParams.get("scope"), "jim.api offline_access");
  assert.equal(auth.searchParams.get("redirect_uri"), "http://localhost:8400/callback/");
  assert.equal(auth.searchParams.has("prompt"), false);
  assert.equal(auth.searchParams.has("nonce"), false);
  assert.deepEqual(lines, [
    "Opening your browser to sign in to JIM...",
    `If it does not open, visit: ${auth.href}`,
    "Waiting up to 5 minutes for the sign-in in the browser; Ctrl-C to cancel.",
  ]);
  // Distinctive values: the URL's random state and challenge could contain a short one by chance.
  for (const line of lines) {
    assert.ok(!line.includes("the-code") && !line.includes("the-access-token"));
  }
  assert.ok(await refused("http://127.0.0.1:8400/callback/"));
});

Deno.test("browser flow: a nonce is sent when openid is in scope", () => {
  const url = new URL(authorizationUrl(fakeCtx({}, ["openid", "offline_access"]), {
    redirectUri: "http://localhost:8400/callback/",
    state: "s",
    codeChallenge: "c",
    nonce: "n",
  }));
  assert.equal(url.searchParams.get("nonce"), "n");
  assert.equal(url.searchParams.get("scope"), "openid offline_access");
});

Deno.test("browser flow: an error response with the right state ends the flow", async () => {
  const browser = playBrowser((auth) => ({
    error: "access_denied",
    error_description: `<script>alert("x")</script>`,
    state: auth.searchParams.get("state")!,
  }));
  const idp = fakeIdp({});
  await rejectsWith(
    signInWithBrowser(fakeCtx(), {
      noBrowser: false,
      openBrowser: browser.open,
      notify: () => {},
      transport: { fetch: idp.fetch },
    }),
    "auth_failed",
    `sign-in was refused by the identity provider: access_denied: <script>alert("x")</script>`,
  );
  const page = await browser.page;
  assert.equal(page.status, 400);
  assert.ok(!page.text.includes("<script>"));
  assert.ok(page.text.includes("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;"));
  assert.equal(idp.calls.length, 0);
  assert.ok(await refused("http://127.0.0.1:8400/callback/"));
});

Deno.test("browser flow: an iss that is not the issuer is refused (RFC 9207)", async () => {
  const browser = playBrowser((auth) => ({
    code: "c",
    state: auth.searchParams.get("state")!,
    iss: "https://evil.test",
  }));
  const idp = fakeIdp({});
  await rejectsWith(
    signInWithBrowser(fakeCtx({ authorization_response_iss_parameter_supported: true }), {
      noBrowser: false,
      openBrowser: browser.open,
      notify: () => {},
      transport: { fetch: idp.fetch },
    }),
    "protocol",
    /iss/,
  );
  assert.equal((await browser.page).status, 400);
  assert.equal(idp.calls.length, 0);
});

Deno.test("browser flow: times out with the injected timer and closes the listener", async () => {
  const deadlines = new FakeDeadlines();
  const lines: string[] = [];
  let redirectUri = "";
  const flow = signInWithBrowser(fakeCtx(), {
    noBrowser: false,
    openBrowser: (url) => {
      redirectUri = new URL(url).searchParams.get("redirect_uri")!;
      return Promise.resolve({ opened: false, reason: "xdg-open not found" });
    },
    notify: (line) => lines.push(line),
    startDeadline: deadlines.start,
  });
  await deadlines.registered;
  assert.deepEqual(deadlines.delays, [300_000]);
  assert.equal(await refused(redirectUri.replace("localhost", "127.0.0.1")), false);
  deadlines.expireAll();
  await rejectsWith(flow, "timeout", "no sign-in completed within 300 seconds");
  assert.ok(await refused(redirectUri.replace("localhost", "127.0.0.1")));
  assert.ok(lines.includes(
    "Could not open a browser (xdg-open not found); open the address above in a browser to continue.",
  ));
});

Deno.test("browser flow: --no-browser prints the URL and opens nothing", async () => {
  const deadlines = new FakeDeadlines();
  const lines: string[] = [];
  const flow = signInWithBrowser(fakeCtx(), {
    noBrowser: true,
    redirectPort: 8405,
    timeoutSeconds: 30,
    openBrowser: () => {
      throw new Error("no browser should be opened");
    },
    notify: (line) => lines.push(line),
    startDeadline: deadlines.start,
  });
  await deadlines.registered;
  deadlines.expireAll();
  await rejectsWith(flow, "timeout", "no sign-in completed within 30 seconds");
  assert.match(lines[0], /^To sign in to JIM, visit: https:\/\/idp\.test\/authorize\?/);
  assert.match(lines[1], /forward port 8405/);
});

// ---------------------------------------------------------------------------------------------
// device flow

function deviceIdp(tokenAnswers: (() => Response)[], authorization: Record<string, unknown> = {}) {
  return fakeIdp({
    "/device": ({ body }) => {
      assert.equal(body.get("client_id"), "jim-cli");
      assert.equal(body.get("scope"), "jim.api offline_access");
      return Response.json({
        device_code: "DEVICE-SECRET",
        user_code: "ABCD-EFGH",
        verification_uri: "https://idp.test/device",
        verification_uri_complete: "https://idp.test/device?user_code=ABCD-EFGH",
        expires_in: 600,
        ...authorization,
      });
    },
    "/token": ({ body }) => {
      assert.equal(body.get("grant_type"), "urn:ietf:params:oauth:grant-type:device_code");
      assert.equal(body.get("device_code"), "DEVICE-SECRET");
      return tokenAnswers.shift()!();
    },
  });
}

function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

Deno.test("device flow: pending, slow_down and success at the provider's pace", async () => {
  const idp = deviceIdp([
    () => oauthError("authorization_pending"),
    () => oauthError("slow_down"),
    () => oauthError("authorization_pending"),
    () => Response.json({ access_token: "AT", token_type: "bearer", expires_in: 60 }),
  ]);
  const time = fakeTime();
  const lines: string[] = [];
  const tokens = await signInWithDeviceCode(fakeCtx(), {
    notify: (line) => lines.push(line),
    ...time,
    transport: { fetch: idp.fetch },
  });
  assert.deepEqual(time.sleeps, [5_000, 5_000, 10_000, 10_000]);
  assert.equal(tokens.accessToken, "AT");
  assert.equal(tokens.expiresAt, 1_000_000 + 30_000 + 60_000);
  assert.deepEqual(lines, [
    "To sign in, open https://idp.test/device and enter code ABCD-EFGH",
    "Or open: https://idp.test/device?user_code=ABCD-EFGH",
    // the fake clock starts at 1 000 000 ms; the fake provider's code lives 600 s
    "The code expires in 10 minutes (at 00:26 UTC). Waiting up to 5 minutes for you to enter it; Ctrl-C to cancel.",
  ]);
  assert.ok(lines.every((line) => !line.includes("DEVICE-SECRET")));
});

Deno.test("device flow: expired_token, access_denied and our own deadline", async () => {
  await rejectsWith(
    signInWithDeviceCode(fakeCtx(), {
      notify: () => {},
      ...fakeTime(),
      transport: { fetch: deviceIdp([() => oauthError("expired_token")]).fetch },
    }),
    "timeout",
    "the device code expired before sign-in completed; run jim connect again to get a new code",
  );
  await rejectsWith(
    signInWithDeviceCode(fakeCtx(), {
      notify: () => {},
      ...fakeTime(),
      transport: { fetch: deviceIdp([() => oauthError("access_denied", "user said no")]).fetch },
    }),
    "auth_failed",
    "sign-in was refused by the identity provider: access_denied: user said no",
  );
  const time = fakeTime();
  const pending = Array.from({ length: 10 }, () => () => oauthError("authorization_pending"));
  await rejectsWith(
    signInWithDeviceCode(fakeCtx(), {
      timeoutSeconds: 12,
      notify: () => {},
      ...time,
      transport: { fetch: deviceIdp(pending, { interval: 4 }).fetch },
    }),
    "timeout",
    "no sign-in completed within 12 seconds",
  );
  assert.deepEqual(time.sleeps, [4_000, 4_000, 4_000]);
});

Deno.test("device flow: needs device_authorization_endpoint", async () => {
  await rejectsWith(
    signInWithDeviceCode(fakeCtx({ device_authorization_endpoint: undefined }), {
      notify: () => {},
      ...fakeTime(),
    }),
    "failed",
    "this identity provider does not offer device code sign-in; use the browser flow " +
      "(or --no-browser with SSH port forwarding)",
  );
});

// ---------------------------------------------------------------------------------------------
// refresh

Deno.test("refresh: rotated token replaces, unrotated token is kept", async () => {
  const answers = [
    Response.json({
      access_token: "AT2",
      token_type: "bearer",
      expires_in: 30,
      refresh_token: "R2",
    }),
    Response.json({ access_token: "AT3", token_type: "bearer", expires_in: 30 }),
  ];
  const idp = fakeIdp({
    "/token": ({ body }) => {
      assert.equal(body.get("grant_type"), "refresh_token");
      assert.equal(body.get("client_id"), "jim-cli");
      return answers.shift()!;
    },
  });
  const deps = { clock: () => 0, transport: { fetch: idp.fetch } };
  const rotated = await refreshTokens(fakeCtx(), "R1", deps);
  assert.deepEqual(rotated, { accessToken: "AT2", refreshToken: "R2", expiresAt: 30_000 });
  assert.equal(idp.calls[0].body.get("refresh_token"), "R1");
  const kept = await refreshTokens(fakeCtx(), "R2", deps);
  assert.equal(kept.refreshToken, "R2");
});

Deno.test("refresh: the sign-in's scopes go with every refresh grant", async () => {
  const idp = fakeIdp({
    "/token": () => Response.json({ access_token: "AT2", token_type: "bearer", expires_in: 30 }),
  });
  await refreshTokens(fakeCtx(), "R1", { transport: { fetch: idp.fetch } });
  assert.equal(idp.calls[0].body.get("scope"), fakeCtx().scopes.join(" "));
});

Deno.test("refresh: a 400, 401 or 403 without an OAuth body is a refused grant; 429 and 5xx are not", async () => {
  const answers: [() => Response, string, RegExp][] = [
    [() => new Response(null, { status: 400 }), "auth_failed", /sign in again.*HTTP 400\)$/],
    [
      () =>
        new Response("<html>Forbidden</html>", {
          status: 403,
          headers: { "content-type": "text/html" },
        }),
      "auth_failed",
      /sign in again.*HTTP 403\)$/,
    ],
    [() => Response.json({ message: "no" }, { status: 401 }), "auth_failed", /HTTP 401\)$/],
    [
      () => oauthError("invalid_scope", "scope is not allowed"),
      "auth_failed",
      /invalid_scope: scope is not allowed/,
    ],
    [
      () => Response.json({ error: "temporarily_unavailable" }, { status: 429 }),
      "http",
      /answered HTTP 429 \(temporarily_unavailable\)/,
    ],
    [() => new Response("down", { status: 503 }), "http", /answered HTTP 503$/],
  ];
  for (const [answer, code, message] of answers) {
    const idp = fakeIdp({ "/token": answer });
    const error = await rejectsWith(
      refreshTokens(fakeCtx(), "R-SECRET", { transport: { fetch: idp.fetch } }),
      code,
      message,
    );
    assert.ok(!error.message.includes("R-SECRET"));
    assert.doesNotMatch(error.message, /content-type|conform/);
  }
});

Deno.test("refresh: invalid_grant means sign in again; network is network", async () => {
  const idp = fakeIdp({ "/token": () => oauthError("invalid_grant", "grant request is invalid") });
  const error = await rejectsWith(
    refreshTokens(fakeCtx(), "R-SECRET", {
      transport: { fetch: idp.fetch },
      instanceUrl: "https://jim.example.com",
    }),
    "auth_failed",
    "your sign-in has expired or was revoked; sign in again with jim connect https://jim.example.com",
  );
  assert.ok(!error.message.includes("R-SECRET"));
  await rejectsWith(
    refreshTokens(fakeCtx(), "R-SECRET", {
      transport: { fetch: () => Promise.reject(new TypeError("fetch failed")) },
    }),
    "network",
    /^refreshing the sign-in failed: could not reach the identity provider/,
  );
  await rejectsWith(
    refreshTokens(fakeCtx(), "R", {
      transport: { fetch: () => Promise.resolve(new Response("bad gateway", { status: 502 })) },
    }),
    "http",
    "refreshing the sign-in failed: the identity provider answered HTTP 502",
  );
});

// ---------------------------------------------------------------------------------------------
// token characters and lifetimes (what arrives from the token endpoint)

Deno.test("token set: a lifetime of 1e15 seconds is clamped to a year", () => {
  const set = tokenSetFromResponse(
    { access_token: "AT", token_type: "bearer", expires_in: 1e15 },
    1_000,
  );
  assert.equal(set.expiresAt, 1_000 + 365 * 24 * 3600 * 1000);
  assert.ok(Number.isFinite(new Date(set.expiresAt).getTime()));
});

Deno.test("token set: CR, LF, NUL or non-ASCII in a token is refused without quoting it", () => {
  for (const bad of ["AT\r\nX-Injected: 1", "AT\u0000", "AT\u00e9", "AT\u202e"]) {
    for (const field of ["access_token", "refresh_token"] as const) {
      const response = { access_token: "AT", token_type: "bearer" as const, [field]: bad };
      assert.throws(
        () => tokenSetFromResponse(response, 0),
        (error: unknown) =>
          error instanceof JimError && error.code === "protocol" &&
          /contains characters a token may not have/.test(error.message) &&
          !error.message.includes("AT") && !error.message.includes("Injected"),
      );
    }
  }
});
