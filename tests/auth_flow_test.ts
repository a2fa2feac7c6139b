// lib/auth against the real parts: oidc-provider (fixtures/idp.ts, under Node), the JIM server
// simulator's auth/config, and the scripted browser, both in process (driveSignIn as
// openBrowser) and as $BROWSER through the real opener.

import assert from "node:assert/strict";
import { fetchAuthConfig } from "../lib/auth/auth_config.ts";
import { signInWithBrowser } from "../lib/auth/browser_flow.ts";
import { openBrowser, runDetached } from "../lib/auth/browser_opener.ts";
import { signInWithDeviceCode } from "../lib/auth/device_flow.ts";
import { discoverOidc, type OidcContext } from "../lib/auth/oidc_client.ts";
import { refreshTokens } from "../lib/auth/refresh.ts";
import type { TokenSet } from "../lib/auth/token_set.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { startIdp } from "../fixtures/idp.ts";
import { startJimServer } from "../fixtures/jim_server.ts";
import {
  type BrowserMode,
  driveDeviceCode,
  driveSignIn,
  type SignInResult,
} from "../fixtures/scripted_browser.ts";
import { pathFromFileUrl } from "../lib/runtime_flags.ts";

const ROOT_DIR = pathFromFileUrl(new URL("../", import.meta.url)).replace(/\/$/, "");

/** driveSignIn as the flow's openBrowser: returns at once, the walk goes on beside the flow. */
function scriptedBrowser(mode: BrowserMode) {
  let walk: Promise<SignInResult | undefined> | undefined;
  return {
    open(url: string) {
      walk = driveSignIn(url, { mode });
      return Promise.resolve({ opened: true });
    },
    get result() {
      return walk!;
    },
  };
}

Deno.test("lib/auth against oidc-provider", async (t) => {
  const idp = await startIdp({ accessTokenTtlSeconds: 60 });
  const jim = await startJimServer({
    authConfig: { authority: idp.issuer, clientId: idp.clientId },
  });
  let ctx!: OidcContext;
  let signedIn!: TokenSet;
  try {
    await t.step("auth/config and discovery", async () => {
      const config = await fetchAuthConfig(jim.url, fetch);
      assert.equal(config.authority, idp.issuer);
      assert.ok(config.scopes.includes("offline_access"));
      ctx = await discoverOidc(config);
      assert.equal(ctx.insecure, true);
      assert.equal(ctx.as.issuer, idp.issuer);
      assert.equal(typeof ctx.as.device_authorization_endpoint, "string");
      ctx = JSON.parse(JSON.stringify(ctx)); // what the agent receives
    });

    await t.step("browser flow: sign in, refresh token without prompt=consent", async () => {
      const browser = scriptedBrowser("approve");
      const lines: string[] = [];
      const before = Date.now();
      signedIn = await signInWithBrowser(ctx, {
        noBrowser: false,
        openBrowser: browser.open,
        notify: (line) => lines.push(line),
      });
      const result = await browser.result;
      assert.equal(result?.callbackStatus, 200);
      assert.equal(new URL(result!.callbackUrl).port, "8400");
      assert.ok(signedIn.accessToken.length > 0);
      assert.ok(signedIn.refreshToken);
      assert.ok(signedIn.idToken);
      assert.ok(signedIn.expiresAt > before && signedIn.expiresAt <= Date.now() + 60_000);
      assert.ok(
        !new URL(lines[1].replace("If it does not open, visit: ", "")).searchParams.has(
          "prompt",
        ),
      );
      for (const line of lines) {
        assert.ok(!line.includes(signedIn.accessToken) && !line.includes(signedIn.refreshToken!));
      }
      assert.equal((await idp.stats()).authorizationCodeGrants, 1);
    });

    await t.step("browser flow: decoys at the listener do not end the wait", async () => {
      for (
        const [mode, status] of [["wrong-state-first", 400], ["other-path-first", 404]] as const
      ) {
        const browser = scriptedBrowser(mode);
        const tokens = await signInWithBrowser(ctx, {
          noBrowser: false,
          redirectHost: "127.0.0.1",
          openBrowser: browser.open,
          notify: () => {},
        });
        const result = await browser.result;
        assert.equal(result?.decoyStatus, status);
        assert.equal(result?.callbackStatus, 200);
        assert.ok(tokens.refreshToken);
      }
    });

    await t.step(
      "browser flow: $BROWSER is the scripted browser, via the real opener",
      async () => {
        const tokens = await signInWithBrowser(ctx, {
          noBrowser: false,
          redirectPort: 8406,
          timeoutSeconds: 60,
          openBrowser: (url) =>
            openBrowser(url, {
              env: {
                get: (name) =>
                  name === "BROWSER" ? `${ROOT_DIR}/fixtures/scripted-browser` : undefined,
              },
              platform: Deno.build.os,
              run: (cmd, args) => runDetached(cmd, args, 200),
            }),
          notify: () => {},
        });
        assert.ok(tokens.refreshToken);
      },
    );

    await t.step("refresh rotates the refresh token", async () => {
      const first = await refreshTokens(ctx, signedIn.refreshToken!);
      assert.ok(first.refreshToken && first.refreshToken !== signedIn.refreshToken);
      assert.notEqual(first.accessToken, signedIn.accessToken);
      const second = await refreshTokens(ctx, first.refreshToken!);
      assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken);
      signedIn = second;
      assert.equal((await idp.stats()).refreshGrants, 2);
    });

    await t.step("refresh after revocation: sign in again", async () => {
      await idp.revokeAll();
      const error = await rejectsWith(
        refreshTokens(ctx, signedIn.refreshToken!, { instanceUrl: jim.url }),
        "auth_failed",
        `your sign-in has expired or was revoked; sign in again with jim connect ${jim.url}`,
      );
      assert.ok(!error.message.includes(signedIn.refreshToken!));
    });

    await t.step("browser flow: deny ends with access_denied", async () => {
      const browser = scriptedBrowser("deny");
      await rejectsWith(
        signInWithBrowser(ctx, { noBrowser: false, openBrowser: browser.open, notify: () => {} }),
        "auth_failed",
        /^sign-in was refused by the identity provider: access_denied/,
      );
      assert.equal((await browser.result)?.callbackStatus, 400);
    });

    await t.step("device flow: approve and deny", async () => {
      for (const mode of ["approve", "deny"] as const) {
        let approval: Promise<unknown> | undefined;
        const lines: string[] = [];
        const flow = signInWithDeviceCode(ctx, {
          notify: (line) => {
            lines.push(line);
            const complete = line.match(/^Or open: (\S+)$/)?.[1];
            if (complete) approval = driveDeviceCode(complete, { mode });
          },
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100))),
        });
        if (mode === "approve") {
          const tokens = await flow;
          assert.ok(tokens.refreshToken);
          assert.deepEqual(await approval, { outcome: "approved" });
        } else {
          await rejectsWith(
            flow,
            "auth_failed",
            /^sign-in was refused by the identity provider: access_denied/,
          );
          assert.deepEqual(await approval, { outcome: "denied" });
        }
        assert.match(
          lines[0],
          /^To sign in, open http:\/\/127\.0\.0\.1:\d+\/device and enter code /,
        );
      }
    });

    await t.step("device flow: not offered", async () => {
      await idp.configure({ deviceFlow: false });
      const config = await fetchAuthConfig(jim.url, fetch);
      const noDevice = await discoverOidc(config);
      await rejectsWith(
        signInWithDeviceCode(noDevice, { notify: () => {}, sleep: () => Promise.resolve() }),
        "failed",
        /does not offer device code sign-in/,
      );
    });

    await t.step("provider down: network errors", async () => {
      await idp.close();
      await rejectsWith(
        refreshTokens(ctx, "any"),
        "network",
        /could not reach the identity provider/,
      );
      await rejectsWith(
        discoverOidc({ authority: idp.issuer, clientId: "jim-cli", scopes: ["openid"] }),
        "network",
        /^OpenID discovery for http:\/\/127\.0\.0\.1:\d+ failed: could not reach/,
      );
    });
  } finally {
    await idp.close();
    await jim.close();
  }
});
