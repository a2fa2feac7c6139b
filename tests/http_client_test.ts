// Tests for the JIM REST client (lib/api/): URL rules, headers, timeouts, network and TLS
// failures, redirects, 401 refresh, 429 retries, error messages, paging and redaction. Each test
// runs its own small server on 127.0.0.1 (port 0) or hands the client a fake fetch.

import assert from "node:assert/strict";
import {
  type ApiRequest,
  type Credentials,
  type HttpOptions,
  JimApiClient,
  redactSecrets,
} from "../lib/api/http_client.ts";
import { networkError } from "../lib/api/network_error.ts";
import { tracedFetch } from "../lib/api/traced_fetch.ts";
import { parseHttpDate, parseRetryAfter, planRateLimitRetry } from "../lib/api/retry_after.ts";
import { makeTestCa } from "../fixtures/test_ca.ts";
import { needsTool } from "./helpers/platform_gate.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";

// --- helpers ---------------------------------------------------------------------------------

interface Seen {
  method: string;
  /** pathname + search */
  url: string;
  headers: Headers;
  body: string;
}

type Handler = (req: Request, index: number) => Response | Promise<Response>;

async function withServer(
  handler: Handler,
  run: (origin: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const body = await req.text();
      seen.push({ method: req.method, url: url.pathname + url.search, headers: req.headers, body });
      return await handler(req, seen.length - 1);
    },
  );
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

const API_KEY = "jim_ak_0123456789abcdefSECRET";
const apiKey: Credentials = { kind: "apiKey", apiKey: API_KEY };

function makeClient(
  baseUrl: string,
  overrides: Partial<HttpOptions> = {},
): { client: JimApiClient; sleeps: number[]; trace: string[] } {
  const sleeps: number[] = [];
  const trace: string[] = [];
  const client = new JimApiClient({
    baseUrl,
    credentials: apiKey,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    trace: (line) => trace.push(line),
    userAgent: "jim/9.9.9-test",
    ...overrides,
  });
  return { client, sleeps, trace };
}

/** A fetch that must never be called. */
const noFetch: typeof fetch = () => {
  throw new Error("fetch must not be called");
};

// --- requests and headers ----------------------------------------------------------------------

Deno.test("api key request sends X-API-Key, Accept and User-Agent, no Content-Type", async () => {
  await withServer(() => json({ ok: true }), async (origin, seen) => {
    const { client } = makeClient(origin);
    const res = await client.request({ method: "get", path: "/api/v1/userinfo" });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
    assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
    const h = seen[0].headers;
    assert.equal(seen[0].method, "GET");
    assert.equal(h.get("x-api-key"), API_KEY);
    assert.equal(h.get("authorization"), null);
    assert.equal(h.get("accept"), "application/json");
    assert.equal(h.get("user-agent"), "jim/9.9.9-test");
    assert.equal(h.get("content-type"), null);
  });
});

Deno.test("bearer request sends Authorization and a JSON body with Content-Type", async () => {
  await withServer(() => new Response(null, { status: 204 }), async (origin, seen) => {
    const { client } = makeClient(origin, {
      credentials: {
        kind: "bearer",
        token: () => Promise.resolve("access-token-1"),
        refreshAfterUnauthorized: () => Promise.resolve(false),
      },
    });
    const res = await client.request({
      method: "POST",
      path: "/api/v1/things",
      body: { name: "HR", enabled: true },
    });
    assert.equal(res.status, 204);
    assert.equal(res.body, null);
    const h = seen[0].headers;
    assert.equal(h.get("authorization"), "Bearer access-token-1");
    assert.equal(h.get("x-api-key"), null);
    assert.equal(h.get("content-type"), "application/json");
    assert.deepEqual(JSON.parse(seen[0].body), { name: "HR", enabled: true });
  });
});

Deno.test("anonymous request sends no credentials; text bodies come back as text", async () => {
  await withServer(
    () => new Response("Healthy", { headers: { "content-type": "text/plain" } }),
    async (origin, seen) => {
      const { client } = makeClient(origin, { credentials: { kind: "none" } });
      const res = await client.request({ method: "GET", path: "/api/v1/health" });
      assert.equal(res.body, "Healthy");
      assert.equal(seen[0].headers.get("x-api-key"), null);
      assert.equal(seen[0].headers.get("authorization"), null);
      // getJson insists on JSON: an HTML or text page means the URL is not a JIM API.
      await rejectsWith(client.getJson("/api/v1/health"), "protocol", /expected JSON/);
    },
  );
});

Deno.test("the base URL's path prefix is kept and query parameters are appended", async () => {
  await withServer(() => json([]), async (origin, seen) => {
    const { client } = makeClient(`${origin}/jim/`);
    await client.request({
      method: "GET",
      path: "/api/v1/x?filter=name%3Acontains%3Ahr",
      query: { page: 2, name: "a b&c", skipped: undefined },
    });
    assert.equal(seen[0].url, "/jim/api/v1/x?filter=name%3Acontains%3Ahr&page=2&name=a+b%26c");
    assert.equal(client.baseUrl, `${origin}/jim`);
  });
});

Deno.test("bad paths and requests are usage errors and nothing is sent", async () => {
  const { client } = makeClient("https://jim.example.com/jim", { fetch: noFetch });
  const bad: ApiRequest[] = [
    { method: "GET", path: "https://evil.example.com/api" },
    { method: "GET", path: "api/v1/health" },
    { method: "GET", path: "" },
    { method: "GET", path: "//evil.example.com/api" },
    { method: "GET", path: "/\\evil.example.com/api" },
    { method: "GET", path: "/../admin" },
    { method: "GET", path: "/api/%2e%2e/%2E%2E/admin" },
    { method: "GET", path: "/api/./v1" },
    { method: "GET", path: "/api/v1/x\u0000y" },
    { method: "GET", path: "/api/v1/x\r\nHost: evil" },
    { method: "GET", path: "/api/v1/x y" },
    { method: "GET", path: "/api/v1/x#frag" },
    { method: "G ET", path: "/api/v1/x" },
    { method: "GET", path: "/api/v1/x", body: { a: 1 } },
  ];
  for (const req of bad) {
    await rejectsWith(client.request(req), "usage", /./);
  }
});

// --- network failures -------------------------------------------------------------------------

Deno.test("a server that never answers times out with a clear network error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch {
      // listener closed
    }
  })();
  try {
    const origin = `http://127.0.0.1:${listener.addr.port}`;
    const { client } = makeClient(origin, { timeoutMs: 50 });
    const started = performance.now();
    await rejectsWith(
      client.request({ method: "GET", path: "/api/v1/slow" }),
      "network",
      `request to ${origin}/api/v1/slow timed out after 0.05 s`,
    );
    assert.ok(performance.now() - started < 2000);
  } finally {
    for (const conn of conns) conn.close();
    listener.close();
    await accepting;
  }
});

Deno.test("a page in flight whose walk is cancelled fails as cancelled, not as the network", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch {
      // listener closed
    }
  })();
  try {
    const origin = `http://127.0.0.1:${listener.addr.port}`;
    const { client } = makeClient(origin, { timeoutMs: 10_000 });
    const stop = new AbortController();
    const page = client.pager("/api/v1/items", {}, stop.signal)(2, 100);
    setTimeout(() => stop.abort(), 50);
    await rejectsWith(
      page,
      "cancelled",
      `request to ${origin}/api/v1/items?page=2&pageSize=100 was cancelled`,
    );
  } finally {
    for (const conn of conns) conn.close();
    listener.close();
    await accepting;
  }
});

Deno.test("a slow body also counts against the timeout", async () => {
  let stop = () => {};
  await withServer(
    () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("{"));
            stop = () => controller.close();
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
    async (origin) => {
      const { client } = makeClient(origin, { timeoutMs: 50 });
      await rejectsWith(client.request({ method: "GET", path: "/x" }), "network", /timed out/);
      stop();
    },
  );
});

Deno.test("a closed port is 'connection refused'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const { client } = makeClient(`http://127.0.0.1:${port}`);
  await rejectsWith(
    client.request({ method: "GET", path: "/api/v1/health" }),
    "network",
    `cannot reach http://127.0.0.1:${port}: connection refused`,
  );
});

Deno.test("fetch failures seen in Deno 2.9 map to one clear line", () => {
  const url = new URL("https://jim.example.com:8443/api/v1/x?access_token=abc");
  const failed = (detail: string) =>
    new TypeError("fetch failed", {
      cause: new Error(`error sending request for url (${url}): client error (Connect): ${detail}`),
    });
  const cases: [string, string, string | RegExp][] = [
    [
      "tcp connect error: Connection refused (os error 111)",
      "network",
      "cannot reach https://jim.example.com:8443: connection refused",
    ],
    [
      "dns error: failed to lookup address information: Name or service not known",
      "network",
      "cannot reach https://jim.example.com:8443: host name 'jim.example.com' could not be resolved",
    ],
    [
      "invalid peer certificate: UnknownIssuer",
      "network",
      "TLS certificate for jim.example.com:8443 is not trusted (use --ca-cert FILE or JIM_CA_CERT)",
    ],
    [
      "invalid peer certificate: certificate expired: verification time 1795931486 (UNIX), but certificate is not valid after 1577923200 (218008286 seconds ago)",
      "network",
      "TLS certificate for jim.example.com:8443 has expired",
    ],
    [
      'invalid peer certificate: certificate not valid for name "jim.example.com"; certificate is only valid for DnsName("other.example")',
      "network",
      /^TLS certificate for jim\.example\.com:8443 does not match the host name \(certificate not valid/,
    ],
    [
      "received corrupt message of type InvalidContentType",
      "network",
      /^TLS connection to jim\.example\.com:8443 failed \(is it an HTTPS server\?\): received corrupt/,
    ],
    [
      "tcp connect error: Connection timed out (os error 110)",
      "network",
      "cannot reach https://jim.example.com:8443: connection timed out",
    ],
    [
      "tcp connect error: Network is unreachable (os error 101)",
      "network",
      "cannot reach https://jim.example.com:8443: network unreachable",
    ],
    [
      "invalid HTTP version parsed",
      "protocol",
      "https://jim.example.com:8443 did not answer with valid HTTP: invalid HTTP version parsed",
    ],
  ];
  for (const [detail, code, expected] of cases) {
    const error = networkError(failed(detail), url);
    assert.equal(error.code, code, detail);
    if (typeof expected === "string") assert.equal(error.message, expected, detail);
    else assert.match(error.message, expected, detail);
    assert.doesNotMatch(String((error.cause as Error).message), /access_token=abc/);
  }
  // Older releases put the text in the TypeError's own message.
  const old = networkError(
    new TypeError(`error sending request for url (${url}): tcp connect error: Connection refused`),
    url,
  );
  assert.equal(old.message, "cannot reach https://jim.example.com:8443: connection refused");
});

// --- TLS ------------------------------------------------------------------------------------

Deno.test(needsTool("openssl", {
  name: "TLS: an untrusted certificate says so; the CA in an HttpClient makes it work",
  fn: async () => {
    const ca = await makeTestCa();
    try {
      const server = Deno.serve(
        {
          hostname: "127.0.0.1",
          port: 0,
          cert: ca.serverCertPem,
          key: ca.serverKeyPem,
          onListen() {},
        },
        () => json({ product: "JIM" }),
      );
      const httpClient = Deno.createHttpClient({ caCerts: [ca.caCertPem] });
      try {
        const origin = `https://127.0.0.1:${server.addr.port}`;
        await rejectsWith(
          makeClient(origin).client.request({ method: "GET", path: "/api/v1/health" }),
          "network",
          `TLS certificate for 127.0.0.1:${server.addr.port} is not trusted ` +
            "(use --ca-cert FILE or JIM_CA_CERT)",
        );
        // The CA travels in the fetch, as jim's own (lib/cli/run.ts, the agent) carries it.
        const withCa = tracedFetch(fetch, { httpClient });
        const trusted = makeClient(origin, { fetch: withCa }).client;
        assert.deepEqual(await trusted.getJson("/api/v1/health"), { product: "JIM" });
        const byName = makeClient(`https://localhost:${server.addr.port}`, { fetch: withCa });
        assert.deepEqual(await byName.client.getJson("/api/v1/health"), { product: "JIM" });
      } finally {
        httpClient.close();
        await server.shutdown();
      }
    } finally {
      await ca.remove();
    }
  },
}));

// --- redirects ------------------------------------------------------------------------------

Deno.test("a redirect is never followed, and the other origin receives nothing", async () => {
  await withServer(() => json({ stolen: true }), async (otherOrigin, otherSeen) => {
    for (const status of [301, 302, 307, 308]) {
      await withServer(
        () =>
          new Response(null, {
            status,
            headers: { location: `${otherOrigin}/collect?code=authcode123&x=1` },
          }),
        async (origin, seen) => {
          const { client } = makeClient(origin);
          const error = await rejectsWith(
            client.request({ method: "POST", path: "/api/v1/x", body: { a: 1 } }),
            "http",
            `the server redirected to ${otherOrigin}/collect?code=***&x=1; ` +
              "jim does not follow redirects with credentials — check the URL",
          );
          assert.equal(error.status, status);
          assert.equal(seen.length, 1);
        },
      );
    }
    assert.equal(otherSeen.length, 0);
  });
});

// --- 401 / 403 / 404 / 4xx / 5xx ------------------------------------------------------------------

function bearer(tokens: string[], refreshResults: boolean[]) {
  const calls = { token: 0, refresh: 0 };
  const credentials: Credentials = {
    kind: "bearer",
    token: () => Promise.resolve(tokens[Math.min(calls.token++, tokens.length - 1)]),
    refreshAfterUnauthorized: () => Promise.resolve(refreshResults[calls.refresh++] ?? false),
  };
  return { credentials, calls };
}

Deno.test("401 with a bearer token: refresh once, retry once, succeed", async () => {
  await withServer(
    (req) =>
      req.headers.get("authorization") === "Bearer new-token"
        ? json({ name: "admin" })
        : json({ message: "token expired" }, 401),
    async (origin, seen) => {
      const { credentials, calls } = bearer(["old-token", "new-token"], [true]);
      const { client, trace } = makeClient(origin, { credentials });
      assert.deepEqual(await client.getJson("/api/v1/userinfo"), { name: "admin" });
      assert.equal(seen.length, 2);
      assert.equal(seen[0].headers.get("authorization"), "Bearer old-token");
      assert.equal(seen[1].headers.get("authorization"), "Bearer new-token");
      assert.deepEqual(calls, { token: 2, refresh: 1 });
      assert.deepEqual(trace, [
        `GET ${origin}/api/v1/userinfo -> 401: retrying once with a refreshed access token`,
      ]);
    },
  );
});

Deno.test("401 again after a refresh: exactly one retry, then auth_failed", async () => {
  await withServer(() => json({ message: "token revoked" }, 401), async (origin, seen) => {
    const { credentials, calls } = bearer(["t1", "t2", "t3"], [true, true]);
    const { client } = makeClient(origin, { credentials });
    const error = await rejectsWith(
      client.request({ method: "GET", path: "/api/v1/userinfo" }),
      "auth_failed",
      "authentication failed (401): token revoked",
    );
    assert.equal(error.status, 401);
    assert.equal(seen.length, 2);
    assert.deepEqual(calls, { token: 2, refresh: 1 });
  });
});

Deno.test("401 when the refresh yields no new token: no retry", async () => {
  await withServer(() => json({ message: "expired" }, 401), async (origin, seen) => {
    const { credentials, calls } = bearer(["t1"], [false]);
    const { client, trace } = makeClient(origin, { credentials });
    await rejectsWith(
      client.request({ method: "GET", path: "/api/v1/userinfo" }),
      "auth_failed",
      "authentication failed (401): expired",
    );
    assert.equal(seen.length, 1);
    assert.deepEqual(calls, { token: 1, refresh: 1 });
    assert.deepEqual(trace, [
      `GET ${origin}/api/v1/userinfo -> 401: no new access token, so no retry`,
    ]);
  });
});

Deno.test("401 with an API key: the server's message, no retry", async () => {
  await withServer(
    () => json({ code: "UNAUTHORISED", message: "API key is not valid" }, 401),
    async (origin, seen) => {
      const { client } = makeClient(origin);
      const error = await rejectsWith(
        client.request({ method: "GET", path: "/api/v1/userinfo" }),
        "auth_failed",
        "authentication failed (401): API key is not valid",
      );
      assert.equal(error.status, 401);
      assert.equal(seen.length, 1);
    },
  );
  await withServer(() => new Response(null, { status: 401 }), async (origin) => {
    await rejectsWith(
      makeClient(origin).client.request({ method: "GET", path: "/api/v1/userinfo" }),
      "auth_failed",
      "authentication failed (401): the server did not accept the credentials",
    );
  });
});

Deno.test("403 is 'authenticated but not authorised'", async () => {
  await withServer(() => json({ message: "Administrator role required." }, 403), async (origin) => {
    const error = await rejectsWith(
      makeClient(origin).client.request({ method: "DELETE", path: "/api/v1/things/3" }),
      "http",
      "forbidden (403): authenticated but not authorised for DELETE /api/v1/things/3: " +
        "Administrator role required.",
    );
    assert.equal(error.status, 403);
  });
});

Deno.test("404 names the path", async () => {
  await withServer(() => new Response(null, { status: 404 }), async (origin) => {
    const error = await rejectsWith(
      makeClient(origin).client.getJson("/api/v1/synchronisation/connected-systems/99"),
      "http",
      "not found (404): /api/v1/synchronisation/connected-systems/99",
    );
    assert.equal(error.status, 404);
  });
});

Deno.test("400 shows the message and the flattened validationErrors", async () => {
  await withServer(
    () =>
      json({
        code: "VALIDATION_ERROR",
        message: "One or more validation errors occurred.",
        validationErrors: {
          name: ["The Name field is required."],
          pageSize: ["Page size must be between 1 and 100.", "Must be a number."],
        },
      }, 400),
    async (origin) => {
      const error = await rejectsWith(
        makeClient(origin).client.request({ method: "POST", path: "/api/v1/x", body: {} }),
        "http",
        "400 Bad Request: One or more validation errors occurred. " +
          "name: The Name field is required.; " +
          "pageSize: Page size must be between 1 and 100., Must be a number.",
      );
      assert.equal(error.status, 400);
    },
  );
});

Deno.test("500 shows the message; HTML error pages and control characters are not shown", async () => {
  await withServer(
    (_req, i) =>
      i === 0
        ? json({ message: "database \u001b[31munavailable\u001b[0m\nretry later" }, 500)
        : new Response("<html><body>Bad gateway</body></html>", {
          status: 502,
          headers: { "content-type": "text/html" },
        }),
    async (origin) => {
      const { client } = makeClient(origin);
      const error = await rejectsWith(
        client.request({ method: "GET", path: "/api/v1/x" }),
        "http",
        "500 Internal Server Error: database [31munavailable [0m retry later",
      );
      assert.equal(error.status, 500);
      await rejectsWith(
        client.request({ method: "GET", path: "/api/v1/x" }),
        "http",
        "502 Bad Gateway",
      );
    },
  );
});

Deno.test("allowErrorStatus returns the error response", async () => {
  await withServer(
    () => json({ error: "sso_not_configured", message: "SSO is not configured" }, 503),
    async (origin) => {
      const res = await makeClient(origin, { credentials: { kind: "none" } }).client.request(
        { method: "GET", path: "/api/v1/auth/config" },
        { allowErrorStatus: true },
      );
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { error: "sso_not_configured", message: "SSO is not configured" });
    },
  );
});

// --- 429 --------------------------------------------------------------------------------------

Deno.test("429 with Retry-After seconds waits that long, then succeeds", async () => {
  await withServer(
    (_req, i) => i === 0 ? json({ message: "slow down" }, 429, { "retry-after": "3" }) : json([1]),
    async (origin, seen) => {
      const { client, sleeps, trace } = makeClient(origin);
      assert.deepEqual(await client.getJson("/api/v1/x"), [1]);
      assert.deepEqual(sleeps, [3000]);
      assert.equal(seen.length, 2);
      assert.deepEqual(trace, [
        `GET ${origin}/api/v1/x -> 429: waiting 3 s (Retry-After), then retry 1 of 5`,
      ]);
    },
  );
});

Deno.test("429 with a Retry-After HTTP date", async () => {
  const now = Date.UTC(2030, 0, 2, 3, 4, 5);
  await withServer(
    (_req, i) =>
      i === 0
        ? new Response(null, {
          status: 429,
          headers: { "retry-after": new Date(now + 7000).toUTCString() },
        })
        : json({ ok: 1 }),
    async (origin) => {
      const { client, sleeps } = makeClient(origin, { now: () => now });
      assert.deepEqual(await client.getJson("/api/v1/x"), { ok: 1 });
      assert.deepEqual(sleeps, [7000]);
    },
  );
});

Deno.test("429 without Retry-After backs off 1, 2, 4 ... s", async () => {
  await withServer(
    (_req, i) => i < 3 ? new Response(null, { status: 429 }) : json({}),
    async (origin, seen) => {
      const { client, sleeps, trace } = makeClient(origin);
      await client.request({ method: "GET", path: "/x" });
      assert.deepEqual(sleeps, [1000, 2000, 4000]);
      assert.equal(seen.length, 4);
      assert.deepEqual(trace, [
        `GET ${origin}/x -> 429: waiting 1 s, then retry 1 of 5`,
        `GET ${origin}/x -> 429: waiting 2 s, then retry 2 of 5`,
        `GET ${origin}/x -> 429: waiting 4 s, then retry 3 of 5`,
      ]);
    },
  );
});

Deno.test("429 more than 5 times: an error after exactly 6 attempts", async () => {
  await withServer(
    () => json({ message: "Too many requests." }, 429, { "retry-after": "1" }),
    async (origin, seen) => {
      const { client, sleeps } = makeClient(origin);
      const error = await rejectsWith(
        client.request({ method: "GET", path: "/x" }),
        "http",
        "rate limited (429): gave up after 5 retries: Too many requests.",
      );
      assert.equal(error.status, 429);
      assert.equal(seen.length, 6);
      assert.deepEqual(sleeps, [1000, 1000, 1000, 1000, 1000]);
    },
  );
});

Deno.test("429 asking for more than 60 s fails at once instead of hanging", async () => {
  await withServer(
    () => new Response(null, { status: 429, headers: { "retry-after": "3600" } }),
    async (origin, seen) => {
      const { client, sleeps } = makeClient(origin);
      await rejectsWith(
        client.request({ method: "GET", path: "/x" }),
        "http",
        "rate limited (429): the server asks to wait 3600 s; try again later",
      );
      assert.equal(seen.length, 1);
      assert.deepEqual(sleeps, []);
    },
  );
});

Deno.test("Retry-After parsing and the retry plan", () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);
  assert.equal(parseRetryAfter("120", now), 120_000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wednesday, 21-Oct-15 07:28:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Wed Oct 21 07:28:05 2015", now), 5_000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), 0); // in the past
  for (const bad of [null, undefined, "", "-1", "1.5", "soon", "Wed, 31 Feb 2015 07:28:00 GMT"]) {
    assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  }
  assert.equal(parseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT", now), 0);
  assert.deepEqual(planRateLimitRetry("0", 0, now), { delayMs: 1000, requestedMs: 0 });
  assert.deepEqual(planRateLimitRetry("90", 0, now), { delayMs: 60_000, requestedMs: 90_000 });
  assert.deepEqual(planRateLimitRetry(null, 0, now), { delayMs: 1000 });
  assert.deepEqual(planRateLimitRetry("junk", 3, now), { delayMs: 8000 });
  assert.deepEqual(planRateLimitRetry(null, 5, now), { delayMs: 32_000 });
  assert.deepEqual(planRateLimitRetry(null, 6, now), { delayMs: 60_000 });
  assert.deepEqual(planRateLimitRetry(null, 40, now), { delayMs: 60_000 });
});

// --- bodies -------------------------------------------------------------------------------------

Deno.test("malformed JSON on a 2xx is a one-line protocol error", async () => {
  await withServer(
    () => new Response('{"items": [1, 2', { headers: { "content-type": "application/json" } }),
    async (origin) => {
      const error = await rejectsWith(
        makeClient(origin).client.getJson("/api/v1/x"),
        "protocol",
        /^the server sent malformed JSON for GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/x: .+/,
      );
      assert.doesNotMatch(error.message, /\n/);
    },
  );
});

Deno.test("bodies over 16 MiB are refused", async () => {
  const MiB = new Uint8Array(1024 * 1024).fill(32);
  await withServer(
    () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (let i = 0; i < 16; i++) controller.enqueue(MiB);
            controller.enqueue(new Uint8Array([32]));
            controller.close();
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
    async (origin) => {
      await rejectsWith(
        makeClient(origin).client.getJson("/big"),
        "protocol",
        /^the response to GET http:\/\/127\.0\.0\.1:\d+\/big is larger than 16 MiB; jim refuses it$/,
      );
    },
  );
});

// --- paging ---------------------------------------------------------------------------------------

Deno.test("listAll follows pages until totalCount, keeping the caller's query", async () => {
  const all = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));
  await withServer(
    (req) => {
      const url = new URL(req.url);
      const page = Number(url.searchParams.get("page"));
      const size = Number(url.searchParams.get("pageSize"));
      const items = all.slice((page - 1) * size, page * size);
      return json({ items, totalCount: all.length, page, pageSize: size });
    },
    async (origin, seen) => {
      const { client } = makeClient(`${origin}/jim`);
      const items = await client.listAll<{ id: number }>(
        "/api/v1/synchronisation/connected-systems?page=7",
        { filter: "name:contains:HR" },
      );
      assert.deepEqual(items, all);
      assert.deepEqual(
        seen.map((s) => s.url),
        [1, 2, 3].map((p) =>
          `/jim/api/v1/synchronisation/connected-systems?page=${p}&filter=name%3Acontains%3AHR&pageSize=100`
        ),
      );
    },
  );
});

Deno.test("listAll: a bare array is the whole list; anything else is a protocol error", async () => {
  await withServer(
    (req) => new URL(req.url).pathname === "/bare" ? json([{ id: 1 }, { id: 2 }]) : json({ id: 1 }),
    async (origin, seen) => {
      const { client } = makeClient(origin);
      assert.deepEqual(await client.listAll("/bare"), [{ id: 1 }, { id: 2 }]);
      assert.equal(seen.length, 1);
      await rejectsWith(client.listAll("/object"), "protocol", /did not return a list/);
    },
  );
});

Deno.test("listAll stops at an empty page or hasNextPage false", async () => {
  await withServer(
    (req) => {
      const page = Number(new URL(req.url).searchParams.get("page"));
      return json({ items: page === 1 ? [1, 2] : [], totalCount: 10, hasNextPage: true });
    },
    async (origin, seen) => {
      assert.deepEqual(await makeClient(origin).client.listAll("/x"), [1, 2]);
      assert.equal(seen.length, 2);
    },
  );
  await withServer(
    () => json({ items: [1], totalCount: 10, hasNextPage: false }),
    async (origin, seen) => {
      assert.deepEqual(await makeClient(origin).client.listAll("/x"), [1]);
      assert.equal(seen.length, 1);
    },
  );
});

// --- redaction ------------------------------------------------------------------------------------

Deno.test("trace lines and error messages never carry a secret", async () => {
  await withServer(
    (_req, i) =>
      i === 0
        ? json({ message: "slow down" }, 429, { "retry-after": "1" })
        : i === 1
        ? json({ ok: true })
        : json(
          { message: `key ${API_KEY} is not valid; Authorization: Bearer eyJabc.def.ghi` },
          401,
        ),
    async (origin) => {
      const lines: string[] = [];
      const { credentials } = bearer(["eyJold.token.one", "eyJnew.token.two"], [true]);
      // The steps are traced by jim's fetch, the retries between them by the client.
      const { client, trace } = makeClient(origin, {
        credentials,
        fetch: tracedFetch(fetch, { trace: (line) => lines.push(line) }),
      });
      await client.request({
        method: "GET",
        path: "/api/v1/x",
        query: { access_token: "tok-secret-1", code: "code-secret-2", q: "fine" },
      });
      const x = `GET ${origin}/api/v1/x?access_token=***&code=***&q=fine`;
      assert.match(lines[0], new RegExp(`^${RegExp.escape(x)} -> 429 \\(\\d+ ms\\)$`));
      assert.match(lines[1], new RegExp(`^${RegExp.escape(x)} -> 200 \\(\\d+ ms\\)$`));
      assert.deepEqual(trace, [`${x} -> 429: waiting 1 s (Retry-After), then retry 1 of 5`]);
      const error = await rejectsWith(
        client.request({ method: "GET", path: "/api/v1/y?refresh_token=rt-secret-3" }),
        "auth_failed",
        /^authentication failed \(401\): key jim_ak_\*\*\* is not valid; Authorization: Bearer \*\*\*$/,
      );
      assert.equal(
        trace[1],
        `GET ${origin}/api/v1/y?refresh_token=*** -> 401: retrying once with a refreshed access token`,
      );
      const everything = [...lines, ...trace, error.message].join("\n");
      for (
        const secret of ["tok-secret-1", "code-secret-2", "rt-secret-3", API_KEY, "eyJabc", "eyJ"]
      ) {
        assert.ok(!everything.includes(secret), `${secret} leaked: ${everything}`);
      }
    },
  );
});

Deno.test("redactSecrets masks headers, URLs, forms, JSON, tokens and keys", () => {
  const cases: [string, string][] = [
    ["Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"],
    ["authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***"],
    ["X-API-Key: jim_ak_live_123", "X-API-Key: ***"],
    [
      '{"X-API-Key":"k1","Accept":"application/json"}',
      '{"X-API-Key":"***","Accept":"application/json"}',
    ],
    [
      "https://idp/cb?code=abc123&state=xyz&code_verifier=v-1",
      "https://idp/cb?code=***&state=xyz&code_verifier=***",
    ],
    [
      "grant_type=refresh_token&refresh_token=rt1&client_id=jim",
      "grant_type=refresh_token&refresh_token=***&client_id=jim",
    ],
    [
      '{"access_token": "at1", "refresh_token":"rt\\"2", "id_token":"x", "expires_in":300}',
      '{"access_token": "***", "refresh_token":"***", "id_token":"***", "expires_in":300}',
    ],
    ['{"code":"VALIDATION_ERROR","message":"bad"}', '{"code":"***","message":"bad"}'],
    ["{ accessToken: 'at2', apiKey: \"k2\" }", "{ accessToken: '***', apiKey: \"***\" }"],
    ["device_code=dc1&user_code=ABCD-EFGH", "device_code=***&user_code=ABCD-EFGH"],
    ["the key jim_ak_AbC123_xyz-9 failed", "the key jim_ak_*** failed"],
    ["token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part-1 here", "token *** here"],
    ["sent Bearer abc/def+ghi== to host", "sent Bearer *** to host"],
    ["HTTP status code: 500 and error_code=7", "HTTP status code: 500 and error_code=7"],
    [
      "password: must be 8 characters; apiKey: is required",
      "password: must be 8 characters; apiKey: is required",
    ],
    ["client_secret = s3cr3t; password=hunter2", "client_secret = ***; password=***"],
    ["nothing secret here: GET /api/v1/x -> 200", "nothing secret here: GET /api/v1/x -> 200"],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
  // Idempotent: redacting twice changes nothing more.
  for (const [input] of cases) {
    assert.equal(redactSecrets(redactSecrets(input)), redactSecrets(input), input);
  }
});
