// lib/auth/device_flow.ts: the device code grant against a fake provider at its own pace
// (pending, slow_down, expiry, denial), with an injected clock and sleep.

import assert from "node:assert/strict";
import { signInWithDeviceCode } from "../lib/auth/device_flow.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { fakeCtx, fakeIdp, oauthError } from "./helpers/fake_idp.ts";

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
