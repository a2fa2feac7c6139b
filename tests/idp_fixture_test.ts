// Proves the identity-provider and browser fixtures with oauth4webapi alone (no jim code): the
// facts other suites rely on — refresh tokens without prompt=consent, rotation and reuse
// detection, revocation, device flow, deny, decoys at the loopback listener, JWT access tokens.
import assert from "node:assert/strict";
import * as oauth from "oauth4webapi";
import { createLocalJWKSet, jwtVerify } from "jose";
import { type Idp, type IdpOptions, startIdp } from "../fixtures/idp.ts";
import { type BrowserMode, driveDeviceCode, driveSignIn } from "../fixtures/scripted_browser.ts";
import { chromiumMissing, chromiumSignIn } from "../fixtures/chromium_browser.ts";
import { needs } from "./helpers/platform_gate.ts";
import { pathFromFileUrl } from "../lib/runtime_flags.ts";

const ROOT_DIR = pathFromFileUrl(new URL("../", import.meta.url)).replace(/\/$/, "");
const SCOPES = "openid profile email offline_access";
// The issuer is http://127.0.0.1:<port>: plain HTTP is allowed for loopback tests only.
const insecure = { [oauth.allowInsecureRequests]: true };

interface Provider {
  idp: Idp;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
}

async function openProvider(options?: IdpOptions): Promise<Provider> {
  // callbackListener below listens on port 0.
  const idp = await startIdp({ redirectPorts: "any", ...options });
  try {
    return { idp, as: await discover(idp), client: { client_id: idp.clientId } };
  } catch (error) {
    await idp.close();
    throw error;
  }
}

/**
 * A loopback listener that behaves like jim's: 404 on other paths, an error page (wait goes on)
 * for a wrong state, and resolves on the callback with the right state.
 */
function callbackListener(state: string) {
  const seen: string[] = [];
  let resolve: (url: URL) => void;
  const callback = new Promise<URL>((r) => resolve = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/callback/") {
      seen.push(`404 ${url.pathname}`);
      return new Response("not found", { status: 404 });
    }
    if (url.searchParams.get("state") !== state) {
      seen.push("400 wrong state");
      return new Response("wrong state", { status: 400 });
    }
    seen.push("200 callback");
    resolve(url);
    return new Response("signed in; you can close this window");
  });
  return {
    // The native client's loopback redirect URIs match on any port for localhost.
    redirectUri: `http://localhost:${server.addr.port}/callback/`,
    seen,
    callback,
    close: () => server.shutdown(),
  };
}

async function discover(idp: Idp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(idp.issuer);
  return await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, insecure),
  );
}

async function authorizationUrl(p: Provider, redirectUri: string, state: string) {
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(p.as.authorization_endpoint!);
  // No prompt parameter: the fixture must still issue a refresh token, as real providers do.
  url.search = new URLSearchParams({
    client_id: p.client.client_id,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: SCOPES,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
  }).toString();
  return { url, verifier };
}

type Launcher = (url: string, mode: BrowserMode) => Promise<void>;

const inProcess: Launcher = async (url, mode) => {
  await driveSignIn(url, { mode });
};

/** Signs in through a browser launcher and redeems the code; returns tokens and what the listener saw. */
async function signIn(p: Provider, launch: Launcher = inProcess, mode: BrowserMode = "approve") {
  const state = oauth.generateRandomState();
  const listener = callbackListener(state);
  try {
    const { url, verifier } = await authorizationUrl(p, listener.redirectUri, state);
    await launch(url.href, mode);
    const params = oauth.validateAuthResponse(p.as, p.client, await listener.callback, state);
    const response = await oauth.authorizationCodeGrantRequest(
      p.as,
      p.client,
      oauth.None(),
      params,
      listener.redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(p.as, p.client, response);
    return { tokens, seen: listener.seen };
  } finally {
    await listener.close();
  }
}

async function refresh(p: Provider, refreshToken: string) {
  const response = await oauth.refreshTokenGrantRequest(
    p.as,
    p.client,
    oauth.None(),
    refreshToken,
    insecure,
  );
  return await oauth.processRefreshTokenResponse(p.as, p.client, response);
}

async function deviceAuthorization(
  p: Provider,
  parameters: URLSearchParams = new URLSearchParams(),
) {
  const response = await oauth.deviceAuthorizationRequest(
    p.as,
    p.client,
    oauth.None(),
    parameters,
    insecure,
  );
  return await oauth.processDeviceAuthorizationResponse(p.as, p.client, response);
}

async function deviceCodeGrant(p: Provider, deviceCode: string) {
  const response = await oauth.deviceCodeGrantRequest(
    p.as,
    p.client,
    oauth.None(),
    deviceCode,
    insecure,
  );
  return await oauth.processDeviceCodeResponse(p.as, p.client, response);
}

async function refreshError(p: Provider, refreshToken: string): Promise<string> {
  try {
    await refresh(p, refreshToken);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return error.error;
    throw error;
  }
  assert.fail("the refresh grant succeeded");
}

Deno.test("the test IdP under Node with the scripted browser", async (t) => {
  const p = await openProvider({ accessTokenTtlSeconds: 45 });
  try {
    let refreshToken = "";

    await t.step("authorization code + PKCE through the scripted-browser program", async () => {
      const log = await Deno.makeTempFile({ prefix: "jim-browser-log-" });
      try {
        const program: Launcher = async (url) => {
          const output = await new Deno.Command(`${ROOT_DIR}/fixtures/scripted-browser`, {
            args: [url],
            env: { JIM_TEST_BROWSER_LOG: log, JIM_TEST_LOGIN: "alice@example.test" },
            stdout: "null",
            stderr: "piped",
          }).output();
          const stderr = new TextDecoder().decode(output.stderr);
          assert.equal(output.code, 0, stderr);
          assert.match(stderr, /callback 200/);
        };
        const { tokens } = await signIn(p, program);
        assert.equal(tokens.token_type.toLowerCase(), "bearer");
        assert.equal(tokens.expires_in, 45);
        assert.ok(tokens.refresh_token, "a refresh token is issued without prompt=consent");
        assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, "alice@example.test");
        refreshToken = tokens.refresh_token;

        const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
        assert.equal(lines.length, 1);
        assert.equal(lines[0].mode, "approve");
        assert.equal(lines[0].target, `${new URL(p.idp.issuer).host}/auth`);
      } finally {
        await Deno.remove(log);
      }
    });

    await t.step(
      "the access token is a JWT for the audience, signed by the jwks_uri keys",
      async () => {
        const { tokens } = await signIn(p);
        const jwks = await (await fetch(p.idp.jwksUri)).json();
        const { payload, protectedHeader } = await jwtVerify(
          tokens.access_token,
          createLocalJWKSet(jwks),
          { issuer: p.idp.issuer, audience: p.idp.audience },
        );
        assert.equal(protectedHeader.typ, "at+jwt");
        assert.equal(payload.sub, "admin@example.test");
        assert.equal(payload.client_id, "jim-cli");
        assert.equal(payload.exp! - payload.iat!, 45);
      },
    );

    await t.step(
      "refresh rotates; reusing the old token fails and revokes the family",
      async () => {
        const before = await p.idp.stats();
        const rotated = await refresh(p, refreshToken);
        assert.ok(rotated.refresh_token);
        assert.notEqual(rotated.refresh_token, refreshToken);
        assert.equal(await refreshError(p, refreshToken), "invalid_grant");
        const after = await p.idp.stats();
        assert.match(after.lastGrantError ?? "", /refresh_token: invalid_grant \(.*already used/);
        assert.equal(await refreshError(p, rotated.refresh_token!), "invalid_grant");
        const end = await p.idp.stats();
        assert.equal(end.refreshGrants - before.refreshGrants, 1);
        assert.equal(end.refreshFailures - before.refreshFailures, 2);
      },
    );

    await t.step(
      "two racing refreshes of one token: one wins, then the family is gone",
      async () => {
        const { tokens } = await signIn(p);
        const results = await Promise.allSettled([
          refresh(p, tokens.refresh_token!),
          refresh(p, tokens.refresh_token!),
        ]);
        const won = results.filter((r) => r.status === "fulfilled");
        assert.equal(won.length, 1, "exactly one racing refresh succeeds under Node");
        const winner = (won[0] as PromiseFulfilledResult<oauth.TokenEndpointResponse>).value;
        assert.equal(await refreshError(p, winner.refresh_token!), "invalid_grant");
      },
    );

    await t.step("revokeAll makes every refresh token fail", async () => {
      const { tokens } = await signIn(p);
      await p.idp.revokeAll();
      assert.equal(await refreshError(p, tokens.refresh_token!), "invalid_grant");
      assert.match((await p.idp.stats()).lastGrantError ?? "", /not found/);
    });

    await t.step("deny mode: the callback carries error=access_denied", async () => {
      await assert.rejects(
        () => signIn(p, inProcess, "deny"),
        (error: unknown) => {
          assert.ok(error instanceof oauth.AuthorizationResponseError);
          assert.equal(error.error, "access_denied");
          return true;
        },
      );
    });

    await t.step("decoy modes reach the listener before the genuine callback", async () => {
      const wrongState = await signIn(p, inProcess, "wrong-state-first");
      assert.deepEqual(wrongState.seen, ["400 wrong state", "200 callback"]);
      const otherPath = await signIn(p, inProcess, "other-path-first");
      assert.deepEqual(otherPath.seen, ["404 /favicon.ico", "200 callback"]);
    });

    await t.step("never mode launches nothing and sends nothing", async () => {
      assert.equal(await driveSignIn("http://127.0.0.1:9/auth", { mode: "never" }), undefined);
    });

    await t.step(
      "device flow end to end, by verification_uri_complete and by user code",
      async () => {
        const before = await p.idp.stats();
        assert.ok(p.as.device_authorization_endpoint);
        for (const byUserCode of [false, true]) {
          const device = await deviceAuthorization(p, new URLSearchParams({ scope: SCOPES }));
          assert.equal(device.interval, undefined, "the provider sends no interval");
          const result = byUserCode
            ? await driveDeviceCode(device.verification_uri, { userCode: device.user_code })
            : await driveDeviceCode(device.verification_uri_complete!);
          assert.equal(result.outcome, "approved");
          const tokens = await deviceCodeGrant(p, device.device_code);
          assert.ok(tokens.refresh_token);
        }
        const after = await p.idp.stats();
        assert.equal(after.deviceCodeGrants - before.deviceCodeGrants, 2);
      },
    );

    await t.step("device flow denied at the confirmation page", async () => {
      const device = await deviceAuthorization(p);
      const result = await driveDeviceCode(device.verification_uri_complete!, { mode: "deny" });
      assert.equal(result.outcome, "denied");
      await assert.rejects(
        () => deviceCodeGrant(p, device.device_code),
        (error: unknown) =>
          error instanceof oauth.ResponseBodyError && error.error === "access_denied",
      );
    });

    await t.step("stats count authorization code grants", async () => {
      // program + JWT + race + revoke + two decoys
      assert.equal((await p.idp.stats()).authorizationCodeGrants, 6);
    });

    await t.step("configure switches device-flow advertising and token lifetime", async () => {
      await p.idp.configure({ deviceFlow: false, accessTokenTtlSeconds: 30 });
      const as = await discover(p.idp);
      assert.equal(as.device_authorization_endpoint, undefined);
      const { tokens } = await signIn(p);
      assert.equal(tokens.expires_in, 30);
      await p.idp.configure({ deviceFlow: true, accessTokenTtlSeconds: 45 });
    });
  } finally {
    await p.idp.close();
  }
});

Deno.test("the test IdP starts without the device flow and under Deno", async () => {
  const p = await openProvider({ runtime: "deno", deviceFlow: false, clientId: "other-cli" });
  try {
    assert.equal(p.as.device_authorization_endpoint, undefined);
    const { tokens } = await signIn(p);
    assert.ok(tokens.refresh_token);
    assert.ok((await refresh(p, tokens.refresh_token!)).refresh_token);
    assert.equal((await p.idp.stats()).refreshGrants, 1);
  } finally {
    await p.idp.close();
    await p.idp.close();
  }
});

Deno.test(needs("Chromium", chromiumMissing(), {
  name: "real headless Chromium signs in at the test IdP",
  async fn() {
    const p = await openProvider();
    try {
      const chromium: Launcher = (url) => chromiumSignIn(url, { login: "carol" });
      const { tokens } = await signIn(p, chromium);
      assert.ok(tokens.refresh_token);
      assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, "carol");
    } finally {
      await p.idp.close();
    }
  },
}));
