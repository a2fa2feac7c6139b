// lib/auth/browser_flow.ts: the PKCE code flow against a fake provider, with a "browser" that
// calls the redirect URI and injected deadlines playing time.

import assert from "node:assert/strict";
import { authorizationUrl, signInWithBrowser } from "../lib/auth/browser_flow.ts";
import type { StartDeadline } from "../lib/deadline.ts";
import { SUCCESS_TEXT } from "../lib/auth/loopback_server.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { fakeCtx, fakeIdp } from "./helpers/fake_idp.ts";
import { get, refused } from "./helpers/loopback_fetch.ts";

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

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

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
