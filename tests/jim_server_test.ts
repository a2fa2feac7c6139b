// Tests of the JIM API simulator (fixtures/jim_server.ts): endpoints, authentication, paging
// limits, error shapes and every fault kind, exercised over real HTTP with fetch.

import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import {
  DEMO_API_KEY,
  type JimServer,
  type JimServerOptions,
  startJimServer,
} from "../fixtures/jim_server.ts";
import { makeTestCa } from "../fixtures/test_ca.ts";
import { needsTool } from "./helpers/platform_gate.ts";

const KEY = DEMO_API_KEY;
const SYSTEMS = "/api/v1/synchronisation/connected-systems";

async function withServer(
  options: JimServerOptions,
  body: (server: JimServer) => Promise<void>,
): Promise<void> {
  const server = await startJimServer({
    apiKeys: [{ key: KEY, name: "Test key" }],
    ...options,
  });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function call(
  server: JimServer,
  path: string,
  init: RequestInit & { key?: string | null; bearer?: string } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? KEY : init.key;
  if (key !== null) headers.set("x-api-key", key);
  if (init.bearer) headers.set("authorization", `Bearer ${init.bearer}`);
  const response = await fetch(server.url + path, { ...init, headers, redirect: "manual" });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? {} : JSON.parse(text),
  };
}

Deno.test("health, readiness and version answer anonymously", async () => {
  await withServer({ version: "9.8.7" }, async (server) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    const health = await call(server, "/api/v1/health", { key: null });
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "healthy");
    assert.equal(typeof health.body.timestamp, "string");
    assert.match(health.headers.get("content-type") ?? "", /application\/json/);
    assert.equal((await call(server, "/api/v1/health/live", { key: null })).body.status, "alive");
    assert.equal((await call(server, "/api/v1/health/ready", { key: null })).body.status, "ready");
    const version = await call(server, "/api/v1/health/version", { key: null });
    assert.deepEqual(version.body, { product: "JIM", version: "9.8.7" });
    // Routing ignores case and a trailing slash, as ASP.NET does.
    assert.equal((await call(server, "/API/V1/Health/", { key: null })).status, 200);
  });
});

Deno.test("every request is recorded with its headers before faults apply", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "status", status: 500, path: "/api/v1/test/echo" });
    await call(server, "/api/v1/test/echo?x=1", {
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "application/json", "x-extra": "yes" },
    });
    const before = Date.now();
    await call(server, "/api/v1/health", { key: null });
    assert.equal(server.requests.length, 2);
    const [first, second] = server.requests;
    assert.equal(first.method, "POST");
    assert.equal(first.path, "/api/v1/test/echo");
    assert.deepEqual(first.query, { x: "1" });
    assert.equal(first.headers["x-api-key"], KEY);
    assert.equal(first.headers["x-extra"], "yes");
    assert.equal(first.body, '{"a":1}');
    assert.equal(second.path, "/api/v1/health");
    assert.equal(second.headers["x-api-key"], undefined);
    assert.ok(second.at >= before && second.at <= Date.now());
  });
});

Deno.test("auth/config: 503 sso_not_configured until set, then the PKCE settings", async () => {
  await withServer({}, async (server) => {
    const none = await call(server, "/api/v1/auth/config", { key: null });
    assert.equal(none.status, 503);
    assert.equal(none.body.error, "sso_not_configured");
    assert.equal(typeof none.body.message, "string");

    server.setAuthConfig({
      authority: "http://127.0.0.1:1/idp",
      clientId: "jim-cli",
      scopes: ["api://jim/access", "openid"],
    });
    const config = await call(server, "/api/v1/auth/config", { key: null });
    assert.equal(config.status, 200);
    assert.deepEqual(config.body, {
      authority: "http://127.0.0.1:1/idp",
      clientId: "jim-cli",
      scopes: ["openid", "profile", "offline_access", "api://jim/access"],
      responseType: "code",
      usePkce: true,
      codeChallengeMethod: "S256",
    });

    server.setAuthConfig(null);
    assert.equal((await call(server, "/api/v1/auth/config", { key: null })).status, 503);
  });
  await withServer(
    { authConfig: { authority: "https://idp.example", clientId: "c" } },
    async (server) => {
      const config = await call(server, "/api/v1/auth/config", { key: null });
      assert.deepEqual(config.body.scopes, ["openid", "profile", "offline_access"]);
    },
  );
});

Deno.test("userinfo for an API key names the key and, as the real server, has no JIM identity", async () => {
  await withServer({}, async (server) => {
    const info = await call(server, "/api/v1/userinfo");
    assert.equal(info.status, 200);
    assert.equal(info.body.authenticated, true);
    assert.equal(info.body.authorised, false);
    assert.equal(info.body.isAdministrator, false);
    assert.deepEqual(info.body.roles, []);
    assert.equal(info.body.metaverseObjectId, null);
    assert.equal(info.body.authMethod, "api_key");
    assert.equal(info.body.name, "Test key");
    assert.match(
      String(info.body.message),
      /^You are authenticated but do not have a JIM identity/,
    );
    // The key's roles still decide what it may call.
    assert.equal((await call(server, SYSTEMS)).status, 200);
  });
});

Deno.test("connected systems need the Administrator role: a bare 403 for a key without it", async () => {
  const reader = "jim_ak_reader000000000000000000000000000000";
  await withServer({
    apiKeys: [{ key: KEY, name: "Test key" }, { key: reader, name: "Reader", roles: ["Reader"] }],
  }, async (server) => {
    const forbidden = await fetch(`${server.url}${SYSTEMS}`, { headers: { "x-api-key": reader } });
    assert.equal(forbidden.status, 403);
    assert.equal(await forbidden.text(), "");
    const one = await call(server, `${SYSTEMS}/1`, { key: reader });
    assert.equal(one.status, 403);
    assert.equal((await call(server, "/api/v1/userinfo", { key: reader })).status, 200);
    assert.equal((await call(server, SYSTEMS)).status, 200);
  });
});

Deno.test("a failed authentication is a 401 without WWW-Authenticate", async () => {
  await withServer({}, async (server) => {
    for (const key of [null, "jim_ak_unknown000000000000000000000000000000"]) {
      const response = await call(server, "/api/v1/userinfo", { key });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), null);
      assert.deepEqual(response.body, {
        error: "Unauthorized",
        message: "Authentication required",
      });
    }
    const bearer = await call(server, "/api/v1/userinfo", { key: null, bearer: "not-a-jwt" });
    assert.equal(bearer.status, 401);
    assert.equal(bearer.headers.get("www-authenticate"), null);
  });
});

Deno.test("API key failures: none, unknown, malformed, disabled, expired, revoked", async () => {
  const past = new Date(Date.now() - 60_000).toISOString();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const options: JimServerOptions = {
    apiKeys: [
      { key: KEY, name: "Test key" },
      { key: "jim_ak_disabled0000000000000000000000000000", disabled: true },
      { key: "jim_ak_expired00000000000000000000000000000", expiresAt: past },
      { key: "jim_ak_future000000000000000000000000000000", expiresAt: future },
      { key: "no_prefix_key_0000000000000000000000000000" },
    ],
  };
  await withServer(options, async (server) => {
    const expectUnauthorised = async (key: string | null) => {
      const response = await call(server, "/api/v1/userinfo", { key });
      assert.equal(response.status, 401, `key ${key}`);
      assert.equal(typeof response.body.message, "string");
    };
    await expectUnauthorised(null);
    await expectUnauthorised("jim_ak_unknown000000000000000000000000000000");
    await expectUnauthorised("");
    await expectUnauthorised("no_prefix_key_0000000000000000000000000000");
    await expectUnauthorised("jim_ak_disabled0000000000000000000000000000");
    await expectUnauthorised("jim_ak_expired00000000000000000000000000000");
    assert.equal(
      (await call(server, SYSTEMS, { key: "jim_ak_expired00000000000000000000000000000" })).status,
      401,
    );
    assert.equal(
      (await call(server, "/api/v1/userinfo", {
        key: "jim_ak_future000000000000000000000000000000",
      }))
        .status,
      200,
    );

    assert.equal((await call(server, "/api/v1/userinfo")).status, 200);
    server.revokeApiKey(KEY);
    await expectUnauthorised(KEY);

    server.addApiKey({ key: "jim_ak_added0000000000000000000000000000000", name: "Added" });
    const added = await call(server, "/api/v1/userinfo", {
      key: "jim_ak_added0000000000000000000000000000000",
    });
    assert.equal(added.body.name, "Added");
  });
});

Deno.test("connected systems: paged envelope with stable ids and names", async () => {
  await withServer({}, async (server) => {
    const first = await call(server, SYSTEMS);
    assert.equal(first.status, 200);
    assert.equal(first.body.totalCount, 137);
    assert.equal(first.body.page, 1);
    assert.equal(first.body.pageSize, 25);
    assert.equal(first.body.totalPages, 6);
    assert.equal(first.body.hasNextPage, true);
    assert.equal(first.body.hasPreviousPage, false);
    const items = first.body.items as Record<string, unknown>[];
    assert.equal(items.length, 25);
    assert.deepEqual(items.map((item) => item.id), Array.from({ length: 25 }, (_, i) => i + 1));
    assert.equal(items[0].name, "HR Feed 01");
    assert.equal(items[1].name, "Active Directory (corp)");
    for (const field of ["description", "created", "status", "connectorName"]) {
      assert.equal(typeof items[0][field], "string", field);
    }
    for (const field of ["objectCount", "connectorsCount", "pendingExportObjectsCount"]) {
      assert.equal(typeof items[0][field], "number", field);
    }

    const all: Record<string, unknown>[] = [];
    for (let page = 1; page <= 2; page++) {
      const response = await call(server, `${SYSTEMS}?page=${page}&pageSize=100`);
      all.push(...response.body.items as Record<string, unknown>[]);
    }
    assert.equal(all.length, 137);
    assert.equal(new Set(all.map((item) => item.id)).size, 137);
    assert.equal(new Set(all.map((item) => item.name)).size, 137);
    const hr = all.filter((item) => String(item.name).startsWith("HR "));
    assert.ok(new Set(hr.map((item) => String(item.name).split(" ")[1])).size >= 2);

    const last = await call(server, `${SYSTEMS}?page=6&pageSize=25`);
    assert.equal((last.body.items as unknown[]).length, 12);
    assert.equal(last.body.hasNextPage, false);
    const beyond = await call(server, `${SYSTEMS}?page=7&pageSize=25`);
    assert.deepEqual(beyond.body.items, []);

    const again = await call(server, `${SYSTEMS}?page=1&pageSize=3`);
    assert.deepEqual(again.body.items, items.slice(0, 3));

    const filtered = await call(server, `${SYSTEMS}?filter=name:startswith:hr%20feed&pageSize=100`);
    assert.ok((filtered.body.items as unknown[]).length > 1);
    assert.ok(
      (filtered.body.items as { name: string }[]).every((item) => item.name.startsWith("HR Feed")),
    );
  });
  await withServer({ connectedSystemCount: 3 }, async (server) => {
    const response = await call(server, SYSTEMS);
    assert.equal(response.body.totalCount, 3);
    assert.equal(response.body.hasNextPage, false);
  });
});

Deno.test("connected systems: page and pageSize are clamped as the real server clamps them", async () => {
  await withServer({}, async (server) => {
    const cases: [string, number, number][] = [
      ["pageSize=101", 1, 100],
      ["pageSize=100000", 1, 100],
      ["pageSize=0", 1, 25],
      ["pageSize=-5", 1, 25],
      ["page=0", 1, 25],
      ["page=-1", 1, 25],
      // 1,000,000 rows skipped is the deepest the real server goes.
      ["page=10001&pageSize=100", 10001, 100],
      ["page=40001&pageSize=25", 40001, 25],
    ];
    for (const [query, page, pageSize] of cases) {
      const response = await call(server, `${SYSTEMS}?${query}`);
      assert.equal(response.status, 200, query);
      assert.equal(response.body.page, page, query);
      assert.equal(response.body.pageSize, pageSize, query);
    }
    const clamped = await call(server, `${SYSTEMS}?pageSize=500`);
    assert.equal((clamped.body.items as unknown[]).length, 100);
  });
});

Deno.test("connected systems: bad values and over-deep pages give ValidationProblemDetails", async () => {
  await withServer({}, async (server) => {
    const cases: [string, string, RegExp][] = [
      ["page=abc", "Page", /^The value 'abc' is not valid for Page\.$/],
      ["pageSize=ten", "PageSize", /^The value 'ten' is not valid for PageSize\.$/],
      ["page=99999999999", "Page", /is not valid for Page/],
      ["page=", "Page", /^The value '' is invalid\.$/],
      [
        "page=10002&pageSize=100",
        "Page",
        /^Page 10,002 is beyond the maximum retrieval depth of 1,000,000 rows \(the deepest page at a page size of 100 is 10,001\)/,
      ],
      ["page=1000000", "Page", /deepest page at a page size of 25 is 40,001/],
      [`filter=${"x".repeat(501)}`, "Filter", /must not exceed 500 characters/],
    ];
    for (const [query, field, message] of cases) {
      const response = await fetch(`${server.url}${SYSTEMS}?${query}`, {
        headers: { "x-api-key": KEY },
      });
      assert.equal(response.status, 400, query);
      assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
      const body = await response.json();
      assert.equal(body.title, "One or more validation errors occurred.", query);
      assert.equal(body.status, 400);
      assert.deepEqual(Object.keys(body.errors), [field], query);
      assert.match(body.errors[field][0], message, query);
    }
  });
});

Deno.test("connected system by id: the item, 404 with message, 400 for a non-number", async () => {
  await withServer({}, async (server) => {
    const one = await call(server, `${SYSTEMS}/2`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, 2);
    assert.equal(one.body.name, "Active Directory (corp)");
    assert.deepEqual(one.body.connector, { id: 1, name: "JIM LDAP Connector" });
    assert.ok(Array.isArray(one.body.objectTypes));

    const missing = await call(server, `${SYSTEMS}/999`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, "Connected System with ID 999 not found.");

    const bad = await call(server, `${SYSTEMS}/abc`);
    assert.equal(bad.status, 400);
    assert.ok((bad.body.validationErrors as Record<string, string[]>).connectedSystemId);

    assert.equal((await call(server, `${SYSTEMS}/2`, { key: null })).status, 401);
  });
});

Deno.test("unknown routes and wrong methods answer JSON errors", async () => {
  await withServer({}, async (server) => {
    const unknown = await call(server, "/api/v1/nothing-here", { key: null });
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.message, "string");
    assert.equal((await call(server, "/", { key: null })).status, 404);
    assert.equal((await call(server, `${SYSTEMS}/1/object-types`)).status, 404);
    const wrongMethod = await call(server, "/api/v1/health", { method: "DELETE", key: null });
    assert.equal(wrongMethod.status, 405);
    assert.equal(typeof wrongMethod.body.message, "string");
  });
});

Deno.test("echo returns the parsed JSON body, rejects bad JSON, needs credentials", async () => {
  await withServer({}, async (server) => {
    const echoed = await call(server, "/api/v1/test/echo", {
      method: "POST",
      body: JSON.stringify({ name: "x", list: [1, 2] }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(echoed.status, 200);
    assert.equal(echoed.body.method, "POST");
    assert.deepEqual(echoed.body.body, { name: "x", list: [1, 2] });

    const put = await call(server, "/api/v1/test/echo", { method: "PUT", body: "[1]" });
    assert.deepEqual([put.body.method, put.body.body], ["PUT", [1]]);

    const invalid = await call(server, "/api/v1/test/echo", { method: "POST", body: "{nope" });
    assert.equal(invalid.status, 400);
    assert.ok((invalid.body.validationErrors as Record<string, string[]>).body.length > 0);

    const anonymous = await call(server, "/api/v1/test/echo", { method: "POST", key: null });
    assert.equal(anonymous.status, 401);
  });
});

Deno.test("faults: 429 with Retry-After in seconds and as an HTTP date", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "retry-after-seconds", retryAfterSeconds: 3, path: SYSTEMS });
    const seconds = await call(server, SYSTEMS);
    assert.equal(seconds.status, 429);
    assert.equal(seconds.headers.get("retry-after"), "3");
    assert.equal(typeof seconds.body.message, "string");
    assert.equal((await call(server, SYSTEMS)).status, 200);

    server.addFault({ kind: "retry-after-date", retryAfterSeconds: 30 });
    const dated = await call(server, "/api/v1/health");
    assert.equal(dated.status, 429);
    const header = dated.headers.get("retry-after") ?? "";
    assert.match(header, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const ahead = (Date.parse(header) - Date.now()) / 1000;
    assert.ok(ahead > 25 && ahead <= 31, `Retry-After ${ahead}s ahead`);
  });
});

Deno.test("faults: status with default and custom bodies, matched by method and path", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "status", status: 500, path: /connected-systems\/\d+$/ });
    server.addFault({ kind: "status", status: 503, method: "POST", body: { message: "down" } });
    assert.equal((await call(server, SYSTEMS)).status, 200);
    assert.equal((await call(server, "/api/v1/health")).status, 200);
    const failed = await call(server, `${SYSTEMS}/7`);
    assert.equal(failed.status, 500);
    assert.equal(typeof failed.body.message, "string");
    const down = await call(server, "/api/v1/test/echo", { method: "POST", body: "{}" });
    assert.deepEqual([down.status, down.body], [503, { message: "down" }]);
    assert.equal((await call(server, `${SYSTEMS}/7`)).status, 200);
  });
});

Deno.test("faults: times is consumed per request; Infinity lasts until clearFaults", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "status", status: 502, times: 2, path: "/api/v1/health" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(server, "/api/v1/health")).status);
    assert.deepEqual(statuses, [502, 502, 200]);

    server.addFault({ kind: "status", status: 500, times: Infinity });
    for (let i = 0; i < 4; i++) assert.equal((await call(server, "/api/v1/health")).status, 500);
    server.clearFaults();
    assert.equal((await call(server, "/api/v1/health")).status, 200);
  });
});

Deno.test("faults: slow delays the answer, then handles normally", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "slow", delayMs: 300, path: "/api/v1/health/version" });
    const started = performance.now();
    const slow = await call(server, "/api/v1/health/version");
    assert.ok(performance.now() - started >= 290);
    assert.equal(slow.status, 200);
    assert.equal(slow.body.product, "JIM");
    const fastStarted = performance.now();
    await call(server, "/api/v1/health/version");
    assert.ok(performance.now() - fastStarted < 250);

    // A slow fault followed by another fault: both apply, in order.
    server.addFault({ kind: "slow", delayMs: 50 });
    server.addFault({ kind: "retry-after-seconds", retryAfterSeconds: 1 });
    assert.equal((await call(server, "/api/v1/health")).status, 429);
  });
});

Deno.test("faults: redirect to another origin with Location", async () => {
  await withServer({}, async (server) => {
    server.addFault({ kind: "redirect", location: "http://127.0.0.1:9/elsewhere" });
    const found = await call(server, "/api/v1/userinfo");
    assert.equal(found.status, 302);
    assert.equal(found.headers.get("location"), "http://127.0.0.1:9/elsewhere");

    server.addFault({ kind: "redirect", status: 307, location: "https://other.example/x" });
    const temporary = await call(server, "/api/v1/userinfo");
    assert.equal(temporary.status, 307);
    assert.equal(temporary.headers.get("location"), "https://other.example/x");
  });
});

Deno.test("faults: drop closes the connection without an answer", async () => {
  await withServer({}, async (server) => {
    // fetch retries an idempotent request once on a reused connection, so drop twice.
    server.addFault({ kind: "drop", times: 2, path: "/api/v1/health" });
    await assert.rejects(fetch(`${server.url}/api/v1/health`), TypeError);
    server.clearFaults();
    const after = await call(server, "/api/v1/health");
    assert.equal(after.status, 200);
  });
});

Deno.test("close() refuses later connections, is idempotent and ends slow requests", async () => {
  const server = await startJimServer();
  const url = server.url;
  assert.equal((await fetch(`${url}/api/v1/health`).then((r) => r.text())).length > 0, true);
  server.addFault({ kind: "slow", delayMs: 60_000 });
  const pending = fetch(`${url}/api/v1/health`).then((r) => r.text()).catch((e) => e);
  while (server.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await server.close();
  await server.close();
  assert.ok(performance.now() - started < 5_000);
  await pending;
  await assert.rejects(fetch(`${url}/api/v1/health`), TypeError);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }));
});

// --- Bearer JWTs against a JWKS served by a tiny local "IdP" ----------------------------------

interface TestIdp {
  issuer: string;
  jwksUri: string;
  sign(claims: Record<string, unknown>, options?: { wrongKey?: boolean }): Promise<string>;
  close(): Promise<void>;
}

async function startTestIdp(): Promise<TestIdp> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const other = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const abort = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: abort.signal, onListen: () => {} },
    () => Response.json({ keys: [jwk] }),
  );
  const issuer = `http://127.0.0.1:${server.addr.port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    async sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const base = {
        iat: now,
        exp: now + 300,
        iss: issuer,
        aud: "jim-api",
        jti: crypto.randomUUID(),
      };
      return await new SignJWT({ ...base, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .sign(options.wrongKey ? other.privateKey : privateKey);
    },
    async close() {
      abort.abort();
      await server.finished;
    },
  };
}

Deno.test("Bearer JWTs: checked for issuer, audience, expiry, signature, revocation", async () => {
  const idp = await startTestIdp();
  try {
    await withServer({
      oidc: { issuer: idp.issuer, audience: "jim-api", jwksUri: idp.jwksUri },
      users: [{ sub: "alice", name: "Alice Admin", email: "alice@example.test", authorised: true }],
    }, async (server) => {
      const good = await idp.sign({ sub: "alice" });
      const info = await call(server, "/api/v1/userinfo", { key: null, bearer: good });
      assert.equal(info.status, 200);
      assert.equal(info.body.authenticated, true);
      assert.equal(info.body.authorised, true);
      assert.equal(info.body.authMethod, "oauth");
      assert.equal(info.body.sub, "alice");
      assert.equal(info.body.name, "Alice Admin");
      assert.equal(info.body.email, "alice@example.test");
      assert.equal((await call(server, SYSTEMS, { key: null, bearer: good })).status, 200);

      const now = Math.floor(Date.now() / 1000);
      const rejected: [string, string][] = [
        ["wrong issuer", await idp.sign({ sub: "alice", iss: "http://127.0.0.1:1" })],
        ["wrong audience", await idp.sign({ sub: "alice", aud: "someone-else" })],
        ["expired", await idp.sign({ sub: "alice", iat: now - 600, exp: now - 1 })],
        ["bad signature", await idp.sign({ sub: "alice" }, { wrongKey: true })],
        ["not a JWT", "not-a-jwt"],
      ];
      for (const [label, token] of rejected) {
        const response = await call(server, "/api/v1/userinfo", { key: null, bearer: token });
        assert.equal(response.status, 401, label);
      }

      server.revokeBearerTokens();
      const revoked = await call(server, "/api/v1/userinfo", { key: null, bearer: good });
      assert.equal(revoked.status, 401);
      const older = await idp.sign({ sub: "alice", iat: now - 5 });
      assert.equal((await call(server, SYSTEMS, { key: null, bearer: older })).status, 401);
      const fresh = await idp.sign({ sub: "alice" });
      assert.equal((await call(server, SYSTEMS, { key: null, bearer: fresh })).status, 200);
    });
  } finally {
    await idp.close();
  }
});

Deno.test("Bearer JWTs: unknown or unprovisioned users are not authorised", async () => {
  const idp = await startTestIdp();
  try {
    await withServer({
      oidc: { issuer: idp.issuer, audience: "jim-api", jwksUri: idp.jwksUri },
    }, async (server) => {
      const token = await idp.sign({ sub: "bob", name: "Bob From Token" });
      const info = await call(server, "/api/v1/userinfo", { key: null, bearer: token });
      assert.equal(info.status, 200);
      assert.equal(info.body.authenticated, true);
      assert.equal(info.body.authorised, false);
      assert.equal(info.body.name, "Bob From Token");
      assert.equal(typeof info.body.message, "string");
      const forbidden = await call(server, SYSTEMS, { key: null, bearer: token });
      assert.equal(forbidden.status, 403);

      server.setUserAuthorised("bob", true);
      assert.equal((await call(server, SYSTEMS, { key: null, bearer: token })).status, 200);
      server.setUserAuthorised("bob", false);
      assert.equal((await call(server, SYSTEMS, { key: null, bearer: token })).status, 403);
    });
  } finally {
    await idp.close();
  }
});

Deno.test("X-API-Key wins over Bearer; Bearer without oidc settings is refused", async () => {
  const idp = await startTestIdp();
  try {
    await withServer({
      oidc: { issuer: idp.issuer, audience: "jim-api", jwksUri: idp.jwksUri },
      users: [{ sub: "alice", authorised: true }],
    }, async (server) => {
      const good = await idp.sign({ sub: "alice" });
      const keyWins = await call(server, "/api/v1/userinfo", { bearer: "garbage" });
      assert.equal(keyWins.status, 200);
      assert.equal(keyWins.body.authMethod, "api_key");
      const badKey = await call(server, "/api/v1/userinfo", {
        key: "jim_ak_unknown000000000000000000000000000000",
        bearer: good,
      });
      assert.equal(badKey.status, 401);
    });
    await withServer({}, async (server) => {
      const token = await idp.sign({ sub: "alice" });
      const response = await call(server, "/api/v1/userinfo", { key: null, bearer: token });
      assert.equal(response.status, 401);
    });
  } finally {
    await idp.close();
  }
});

// --- HTTPS ---------------------------------------------------------------------------------------

Deno.test(needsTool("openssl", {
  name: "tls: serves HTTPS with the given certificate",
  fn: async (t) => {
    const ca = await makeTestCa();
    try {
      const tls = { cert: ca.serverCertPem, key: ca.serverKeyPem };
      await withServer({ tls }, async (server) => {
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const client = Deno.createHttpClient({ caCerts: [ca.caCertPem] });
        try {
          const response = await fetch(`${server.url}/api/v1/userinfo`, {
            client,
            headers: { "x-api-key": KEY },
          });
          assert.equal(response.status, 200);
          assert.equal((await response.json()).name, "Test key");
          await t.step("an untrusted certificate is refused", async () => {
            await assert.rejects(fetch(`${server.url}/api/v1/health`));
          });
        } finally {
          client.close();
        }
      });
    } finally {
      await ca.remove();
    }
  },
}));
