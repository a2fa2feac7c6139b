// The agent's sessions per instance, through SessionSet's public API: refresh, its single flight
// and the write-back of a rotated token each belong to one instance, and ending one session
// leaves the others and their tokens alone.

import assert from "node:assert/strict";
import { SessionSet } from "../lib/session/session_set.ts";
import type { ApiCall, SessionRecord } from "../lib/session/protocol.ts";
import type { Credentials } from "../lib/api/http_client.ts";

const NOW = 1_000_000;

function oauthSession(name: string): SessionRecord {
  return {
    url: `https://${name}.example.com`,
    key: `https://${name}.example.com:443`,
    authMethod: "OAuth",
    oauth: {
      context: {},
      accessToken: `${name}-old-access`,
      refreshToken: `${name}-refresh-1`,
      // Expired: the first call must refresh.
      expiresAt: NOW - 1,
      issuedAt: NOW - 3_600_000,
      persist: true,
    },
    serverVersion: "1.4.2",
    authorised: true,
    identity: null,
    httpTimeoutMs: 1000,
  };
}

Deno.test("sessions per instance: one refresh each for concurrent calls, each written back to its own instance", async () => {
  const refreshed: string[] = [];
  const stored: string[] = [];
  const sent: string[] = [];
  const sessions = new SessionSet({
    now: () => NOW,
    refresh: async (session, refreshToken) => {
      refreshed.push(`${session.key} ${refreshToken}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const name = new URL(session.url).hostname.split(".")[0];
      return {
        accessToken: `${name}-new-access`,
        refreshToken: `${name}-refresh-2`,
        expiresAt: NOW + 3_600_000,
      };
    },
    perform: async (session: SessionRecord, credentials: Credentials, _call: ApiCall) => {
      assert.equal(credentials.kind, "bearer");
      const token = credentials.kind === "bearer" ? await credentials.token() : "";
      sent.push(`${session.key} ${token}`);
      return { status: 200, statusText: "OK", headers: {}, body: null };
    },
    storeRefreshToken: (session, token) => {
      stored.push(`${session.key} ${token}`);
      return Promise.resolve();
    },
  });
  const test = oauthSession("test");
  const prod = oauthSession("prod");
  sessions.adopt(test);
  sessions.adopt(prod);
  assert.equal(sessions.status().url, prod.url, "the latest adopted is current");
  assert.deepEqual(sessions.status().sessions?.map((s) => [s.url, s.current]), [
    [test.url, false],
    [prod.url, true],
  ]);

  const call: ApiCall = { method: "GET", path: "/api/v1/userinfo" };
  await Promise.all([
    ...[1, 2, 3].map(() => sessions.pick(test.key).call(call)),
    ...[1, 2, 3].map(() => sessions.pick().call(call)),
  ]);
  assert.deepEqual(refreshed.sort(), [
    `${prod.key} prod-refresh-1`,
    `${test.key} test-refresh-1`,
  ]);
  assert.deepEqual(stored.sort(), [`${prod.key} prod-refresh-2`, `${test.key} test-refresh-2`]);
  assert.deepEqual(
    sent.filter((s) => s.startsWith(test.key)),
    Array(3).fill(`${test.key} test-new-access`),
  );
  assert.deepEqual(
    sent.filter((s) => s.startsWith(prod.key)),
    Array(3).fill(`${prod.key} prod-new-access`),
  );

  // Ending the current session leaves the other, which becomes current.
  sessions.end();
  assert.equal(sessions.status().url, test.url);
  assert.equal(sessions.status(prod.key).connected, false);
  await assert.rejects(sessions.pick(prod.key).call(call), /not connected/);
  await sessions.pick().call(call);
  assert.equal(sent.at(-1), `${test.key} test-new-access`);
});

Deno.test("the agent holds at most MAX_SESSIONS sessions: one more is a clear error, a known instance is still replaced", async () => {
  const { MAX_SESSIONS } = await import("../lib/session/session_set.ts");
  const sessions = new SessionSet({
    now: () => NOW,
    refresh: () => Promise.reject(new Error("not used")),
    perform: () => Promise.reject(new Error("not used")),
  });
  for (let i = 0; i < MAX_SESSIONS; i++) sessions.adopt(oauthSession(`jim${i}`));
  assert.throws(
    () => sessions.adopt(oauthSession("one-more")),
    /already holds 64 sessions; disconnect one/,
  );
  // Connecting again to an instance it holds replaces that session, within the bound.
  assert.equal(sessions.adopt(oauthSession("jim3")).connected, true);
  assert.equal(sessions.size, MAX_SESSIONS);
});
