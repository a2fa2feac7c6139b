// lib/auth/loopback_server.ts: the redirect listener (8400, else 8401-8409; a busy --redirect-port;
// 127.0.0.1 and ::1), its answers to wrong requests, and the pages it serves.

import assert from "node:assert/strict";
import { escapeHtml, startLoopbackListener, SUCCESS_TEXT } from "../lib/auth/loopback_server.ts";
import { rejectsWith } from "./helpers/rejects_with.ts";
import { get, refused } from "./helpers/loopback_fetch.ts";

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
