// lib/auth/oidc_client.ts: discovery against a fake provider (issuer matching, http:// only on
// loopback, alg none struck, the 1 MiB bound, clear errors).

import assert from "node:assert/strict";
import { discoverOidc, parseOidcContext } from "../lib/auth/oidc_client.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { fakeIdp, GOOD_CONFIG, untrustedCertificate } from "./helpers/fake_idp.ts";

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
