// The agent's token handling on its own, with a fake clock and a fake provider: single flight,
// the proactive window, tolerance of a provider that is briefly down, and no write-back into a
// store that disconnect has already cleared.

import assert from "node:assert/strict";
import { TokenKeeper } from "../lib/session/token_keeper.ts";
import { SessionHolder } from "../lib/session/session_holder.ts";
import { JimError } from "../lib/errors.ts";
import type { SessionRecord } from "../lib/session/protocol.ts";

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A keeper whose token was issued at t=0 and lives `life` ms, on a clock the test moves. */
function keeperOn(
  life: number,
  refresh: () => Promise<{ accessToken: string; refreshToken?: string; expiresAt: number }>,
) {
  const clock = { now: 0 };
  const keeper = new TokenKeeper(
    { accessToken: "a1", refreshToken: "r1", expiresAt: life, issuedAt: 0 },
    { now: () => clock.now, refresh },
  );
  return { keeper, clock };
}

Deno.test("refresh waits for less than half the life (or 2 min) left; concurrent callers share one", async () => {
  let grants = 0;
  const gate = deferred<void>();
  const { keeper, clock } = keeperOn(60_000, async () => {
    grants++;
    await gate.promise;
    return { accessToken: "a2", refreshToken: "r2", expiresAt: clock.now + 60_000 };
  });
  clock.now = 29_000;
  assert.equal(await keeper.token(), "a1", "more than half the life left: no refresh");
  clock.now = 31_000;
  const waiting = Array.from({ length: 20 }, () => keeper.token());
  gate.resolve();
  assert.deepEqual(new Set(await Promise.all(waiting)), new Set(["a2"]));
  assert.equal(grants, 1);
});

Deno.test("a long-lived token is refreshed only in its last 2 minutes, not at half its life", async () => {
  let grants = 0;
  const { keeper, clock } = keeperOn(600_000, () => {
    grants++;
    return Promise.resolve({
      accessToken: "a2",
      refreshToken: "r2",
      expiresAt: clock.now + 600_000,
    });
  });
  clock.now = 470_000; // 130 s left: past half the life, not yet inside the 2-minute window
  assert.equal(await keeper.token(), "a1");
  assert.equal(grants, 0);
  clock.now = 481_000; // 119 s left
  assert.equal(await keeper.token(), "a2");
  assert.equal(grants, 1);
});

Deno.test("a provider that is briefly unreachable does not fail calls while the token still works", async () => {
  const { keeper, clock } = keeperOn(
    600_000,
    () => Promise.reject(new JimError("network", "cannot reach the identity provider")),
  );
  clock.now = 500_000;
  assert.equal(await keeper.token(), "a1");
  clock.now = 600_001;
  await assert.rejects(
    keeper.token(),
    /cannot reach the identity provider/,
    "expired: the error shows",
  );
});

Deno.test("a refused grant fails at once and is remembered for status", async () => {
  const { keeper, clock } = keeperOn(
    600_000,
    () => Promise.reject(new JimError("auth_failed", "sign in again")),
  );
  clock.now = 590_000;
  await assert.rejects(keeper.token(), /sign in again/);
  assert.match(keeper.failure?.message ?? "", /sign in again/);
});

Deno.test("a refresh that ends after disconnect does not write its token back", async () => {
  const gate = deferred<void>();
  const writes: string[] = [];
  let now = 0;
  const holder = new SessionHolder({
    now: () => now,
    perform: (_session, credentials) =>
      credentials.kind === "bearer"
        ? credentials.token().then(() => ({
          status: 200,
          statusText: "OK",
          headers: {},
          body: null,
        }))
        : Promise.reject(new Error("unexpected")),
    refresh: async () => {
      await gate.promise;
      return { accessToken: "a2", refreshToken: "r2", expiresAt: now + 60_000 };
    },
    storeRefreshToken: (_session, token) => {
      writes.push(token);
      return Promise.resolve();
    },
  });
  // The same persisted session, without a named credential store.
  const { keyring: _keyring, ...session } = persistedSession();
  holder.adopt(session);
  now = 59_000;
  const call = holder.call({ method: "GET", path: "/api/v1/userinfo" });
  holder.clear();
  gate.resolve();
  await call;
  assert.deepEqual(writes, []);

  holder.adopt(session);
  now = 59_000;
  await holder.call({ method: "GET", path: "/api/v1/userinfo" });
  assert.deepEqual(writes, ["r2"], "a live session does write back");
});

function persistedSession(bus?: string): SessionRecord {
  return {
    url: "https://jim.example.com",
    key: "https://jim.example.com:443",
    authMethod: "OAuth",
    oauth: {
      context: {},
      accessToken: "a1",
      refreshToken: "r1",
      expiresAt: 60_000,
      issuedAt: 0,
      persist: true,
    },
    serverVersion: null,
    authorised: true,
    identity: null,
    httpTimeoutMs: 30_000,
    keyring: { backend: "auto", ...(bus ? { bus } : {}) },
  };
}

Deno.test("a rotated token no store takes: the spent entry is removed, status and the next answer say so, a later bus gets it", async () => {
  let now = 0;
  const live = new Set<string>();
  const writes: [string, string | undefined][] = [];
  const forgets: (string | undefined)[] = [];
  const holder = new SessionHolder({
    now: () => now,
    perform: async (_session, credentials) => {
      if (credentials.kind === "bearer") await credentials.token();
      return { status: 200, statusText: "OK", headers: {}, body: null };
    },
    refresh: () => Promise.resolve({ accessToken: "a2", refreshToken: "r2", expiresAt: 120_000 }),
    storeRefreshToken: (_session, token, bus) => {
      writes.push([token, bus]);
      return bus !== undefined && live.has(bus)
        ? Promise.resolve()
        : Promise.reject(new JimError("keyring_unavailable", `no store on ${bus}`));
    },
    forgetRefreshToken: (_session, bus) => {
      forgets.push(bus);
      return bus === "unix:path=/run/a" && live.has("forget-a")
        ? Promise.resolve()
        : Promise.reject(new JimError("keyring_unavailable", "gone"));
    },
  });
  holder.adopt(persistedSession("unix:path=/run/a"));
  assert.equal(holder.status().persisted, true);
  now = 59_000;
  const first = await holder.call({ method: "GET", path: "/api/v1/userinfo" });
  assert.deepEqual(writes, [["r2", "unix:path=/run/a"]]);
  assert.deepEqual(forgets, ["unix:path=/run/a"]);
  assert.match(
    first.warning ?? "",
    /^Warning: the renewed sign-in could not be saved .*no store on unix:path=\/run\/a.*could not be removed/,
  );
  const status = holder.status();
  assert.match(status.storeWarning ?? "", /could not be saved/);
  assert.equal(status.persisted, false);
  const second = await holder.call({ method: "GET", path: "/api/v1/userinfo" });
  assert.equal(second.warning, undefined, "said once");

  // A command from a live session: the write is tried again through its bus, newest first.
  live.add("unix:path=/run/b");
  holder.noteBus("unix:path=/run/b");
  const third = await holder.call({ method: "GET", path: "/api/v1/userinfo" });
  await eventually(
    () => holder.status().storeWarning === null,
    () => JSON.stringify({ writes, forgets, s: holder.status().storeWarning }),
  );
  assert.deepEqual(writes.at(-1), ["r2", "unix:path=/run/b"]);
  const after = await holder.call({ method: "GET", path: "/api/v1/userinfo" });
  // Told once, by whichever answer comes first after the write.
  assert.deepEqual([third.warning, after.warning].filter(Boolean), [
    "Notice: the renewed sign-in is now saved to the credential store.",
  ]);
  assert.equal(holder.status().persisted, true);
});

Deno.test("status answers whatever expiry the session has (disconnect reads it first)", () => {
  const holder = new SessionHolder({
    now: () => 0,
    perform: () => Promise.reject(new Error("unused")),
    refresh: () => Promise.reject(new Error("unused")),
  });
  const session = persistedSession();
  holder.adopt({ ...session, oauth: { ...session.oauth!, expiresAt: 1e15 * 1000 } });
  assert.equal(holder.status().expiresAt, null);
  assert.equal(holder.status().connected, true);
});

async function eventually(check: () => boolean, why: () => string = () => "") {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `condition not reached ${why()}`);
}
