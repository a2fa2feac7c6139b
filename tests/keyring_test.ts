// Credential-store backends through their real pieces: secret-tool against a private
// gnome-keyring, the native addon against the same, stand-in `security` and `cmdkey`
// executables for macOS and Windows, a secret-tool that hangs, and backend selection.

import assert from "node:assert/strict";
import { JimError } from "../lib/errors.ts";
import type {
  CommandRunner,
  Keyring,
  KeyringDeps,
  NativeKeyringModule,
} from "../lib/keyring/keyring.ts";
import { quoteForSecurity } from "../lib/keyring/security.ts";
import { selectKeyring } from "../lib/keyring/select.ts";
import { keyringTimeoutMs } from "../lib/settings.ts";
import { commandRunner, systemDeps } from "../lib/keyring/system_deps.ts";
import { MAX_BLOB_BYTES, parseCmdkeyList, WincredKeyring } from "../lib/keyring/wincred.ts";
import {
  type StoredCredential,
  type WincredApi,
  WincredCallError,
} from "../lib/keyring/wincred_api.ts";
import { NativeKeyring } from "../lib/keyring/native.ts";
import { JimEnv } from "./helpers/run_jim.ts";
import {
  type KeyringSession,
  keyringTest,
  secretTool,
  startKeyringSession,
} from "./helpers/keyring_session.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const STANDINS = `${ROOT}/fixtures/standins`;
const KEY_A = "https://jim.example.com:443";
const KEY_B = "http://localhost:5200";
// Quotes, backslashes and spaces exercise every quoting path; still RFC 6749 VSCHARs.
const TOKEN = `rt.A1b2"C3 d4\\e5'f6-${crypto.randomUUID()}`;

function envOf(vars: Record<string, string | undefined>) {
  return { get: (name: string) => vars[name] };
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof JimError, `expected JimError, got ${error}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    assert.ok(!error.message.includes(TOKEN), "the token leaked into an error message");
    assert.ok(!error.message.includes("\n"), "error messages are one line");
    return true;
  });
}

/** A runner that records every argv and stdin on the way to the real one. */
function recording(run: CommandRunner) {
  const calls: { command: string; args: string[]; stdin?: string }[] = [];
  const wrapped: CommandRunner = (command, args, options) => {
    calls.push({ command, args, stdin: options.stdin });
    return run(command, args, options);
  };
  return { run: wrapped, calls };
}

async function withSession(
  options: { keyring?: boolean; unlock?: boolean },
  body: (session: KeyringSession) => Promise<void>,
) {
  const session = await startKeyringSession(options);
  try {
    await body(session);
  } finally {
    await session.close();
  }
}

function secretToolKeyring(session: KeyringSession, extra: Partial<KeyringDeps> = {}): Keyring {
  const env = { ...Deno.env.toObject(), JIM_KEYRING: "secret-tool" };
  return selectKeyring("linux", envOf(env), { ...systemDeps({ env: session.env }), ...extra });
}

// ---- selection ----

Deno.test("selectKeyring: each JIM_KEYRING value picks its backend", () => {
  const deps: Partial<KeyringDeps> = {
    which: (name) => `/usr/bin/${name}`,
    loadNative: () => Promise.reject(new Error("selection must not load the addon")),
    openWincred: () => {
      throw new Error("selection must not open advapi32");
    },
  };
  const cases: [string, typeof Deno.build.os, string][] = [
    ["secret-tool", "linux", "secret-tool"],
    ["native", "linux", "native"],
    ["native", "darwin", "native"],
    ["native", "windows", "native"],
    ["security", "darwin", "security"],
    ["wincred", "windows", "wincred"],
    ["none", "linux", "none"],
    ["NONE", "darwin", "none"],
    ["auto", "linux", "secret-tool"],
    ["", "linux", "secret-tool"],
    ["auto", "darwin", "security"],
    ["auto", "windows", "wincred"],
  ];
  for (const [value, platform, expected] of cases) {
    const keyring = selectKeyring(platform, envOf({ JIM_KEYRING: value }), deps);
    assert.equal(keyring.name, expected, `JIM_KEYRING=${value} on ${platform}`);
  }
  // "native" names two layouts: keyring-rs's own on Linux and macOS, the Credential Manager
  // layout the PowerShell module shares (target JIM:<key>, through advapi32) on Windows.
  const native = (platform: typeof Deno.build.os) =>
    selectKeyring(platform, envOf({ JIM_KEYRING: "native" }), deps);
  assert.ok(native("linux") instanceof NativeKeyring);
  assert.ok(native("darwin") instanceof NativeKeyring);
  assert.ok(native("windows") instanceof WincredKeyring);
  const unset = selectKeyring("darwin", envOf({}), deps);
  assert.equal(unset.name, "security");
});

Deno.test("selectKeyring: auto on Linux without secret-tool on PATH uses the native addon", () => {
  const keyring = selectKeyring("linux", envOf({ PATH: "/nonexistent" }), {});
  assert.equal(keyring.name, "native");
  const found = selectKeyring("linux", envOf({ PATH: `${STANDINS}/hang` }), {});
  assert.equal(found.name, "secret-tool");
});

Deno.test("selectKeyring: a bad JIM_KEYRING or timeout is a usage error", () => {
  assert.throws(
    () => selectKeyring("linux", envOf({ JIM_KEYRING: "keychain" }), {}),
    (error: unknown) =>
      error instanceof JimError && error.code === "usage" &&
      /auto, secret-tool, native, security, wincred, none/.test(error.message) &&
      error.message.includes("keychain"),
  );
  for (const bad of ["0", "-1", "abc", "301", "Infinity"]) {
    assert.throws(
      () => selectKeyring("linux", envOf({ JIM_KEYRING_TIMEOUT: bad }), {}),
      (error: unknown) => error instanceof JimError && error.code === "usage",
      bad,
    );
  }
  assert.equal(keyringTimeoutMs(envOf({})), 5000);
  assert.equal(keyringTimeoutMs(envOf({ JIM_KEYRING_TIMEOUT: "0.5" })), 500);
  assert.equal(keyringTimeoutMs(envOf({ JIM_KEYRING_TIMEOUT: "30" })), 30000);
});

Deno.test("none backend: stores nothing, finds nothing, says why", async () => {
  const keyring = selectKeyring("linux", envOf({ JIM_KEYRING: "none" }), {});
  assert.deepEqual(await keyring.available(), {
    ok: false,
    reason: "disabled by JIM_KEYRING=none",
  });
  assert.equal(await keyring.get(KEY_A), null);
  await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable", /JIM_KEYRING=none/);
  assert.equal(await keyring.delete(KEY_A), false);
  assert.equal(await keyring.deleteAll(), 0);
});

Deno.test("every backend refuses malformed keys and tokens before touching the store", async () => {
  const runs: string[] = [];
  const deps: Partial<KeyringDeps> = {
    which: (name) => `/usr/bin/${name}`,
    run: (command) => {
      runs.push(command);
      return Promise.resolve({ kind: "exited", code: 0, stdout: "", stderr: "" });
    },
    loadNative: () => {
      runs.push("native addon");
      return Promise.reject(new Error("the addon must not be loaded for a malformed key"));
    },
  };
  const backends: [string, typeof Deno.build.os][] = [
    ["secret-tool", "linux"],
    ["security", "darwin"],
    ["native", "linux"],
    ["native", "windows"],
    ["wincred", "windows"],
  ];
  for (const [name, platform] of backends) {
    const keyring = selectKeyring(platform, envOf({ JIM_KEYRING: name }), deps);
    await rejectsWith(keyring.get("jim.example.com"), "failed", /invalid credential-store key/);
    await rejectsWith(keyring.set(`${KEY_A} x`, TOKEN), "failed");
    await rejectsWith(keyring.set(KEY_A, ""), "failed", /empty/);
    await rejectsWith(keyring.set(KEY_A, "line1\nline2"), "failed", /printable ASCII/);
    await rejectsWith(keyring.set(KEY_A, "tök"), "failed", /printable ASCII/);
  }
  assert.deepEqual(runs, []);
});

// ---- secret-tool against a real gnome-keyring ----

Deno.test(keyringTest({
  name: "secret-tool: set, get, delete and deleteAll against gnome-keyring",
  fn: () =>
    withSession({}, async (session) => {
      const recorder = recording(systemDeps({ env: session.env }).run);
      const keyring = secretToolKeyring(session, { run: recorder.run });
      assert.equal(keyring.name, "secret-tool");
      assert.deepEqual(await keyring.available(), { ok: true });

      assert.equal(await keyring.get(KEY_A), null);
      await keyring.set(KEY_A, TOKEN);
      assert.equal(await keyring.get(KEY_A), TOKEN);
      await keyring.set(KEY_A, `${TOKEN}-rotated`);
      assert.equal(await keyring.get(KEY_A), `${TOKEN}-rotated`);
      await keyring.set(KEY_B, "second-token");
      assert.equal(await keyring.get(KEY_B), "second-token");

      assert.equal(await keyring.delete(KEY_A), true);
      assert.equal(await keyring.get(KEY_A), null);
      assert.equal(await keyring.delete(KEY_A), false);

      // Not JIM's: another service's item with a url attribute survives deleteAll.
      assert.equal(
        (await secretTool(
          session.env,
          ["store", "--label=other", "service", "other", "url", KEY_A],
          "keep",
        )).code,
        0,
      );
      await keyring.set(KEY_A, TOKEN);
      assert.equal(await keyring.deleteAll(), 2);
      assert.equal(await keyring.get(KEY_A), null);
      assert.equal(await keyring.get(KEY_B), null);
      assert.equal(await keyring.deleteAll(), 0);
      const other = await secretTool(session.env, ["lookup", "service", "other", "url", KEY_A]);
      assert.equal(other.stdout, "keep");

      const store = recorder.calls.find((call) => call.args[0] === "store");
      assert.equal(store?.stdin, TOKEN, "the token goes to secret-tool on stdin");
      for (const call of recorder.calls) {
        for (const secret of [TOKEN, "second-token"]) {
          assert.ok(!call.args.some((arg) => arg.includes(secret)), `argv: ${call.args}`);
        }
      }
    }),
}));

Deno.test(keyringTest({
  name: "secret-tool: entries are shared with the PowerShell module's layout",
  fn: () =>
    withSession({}, async (session) => {
      const keyring = secretToolKeyring(session);
      // Written the way the JIM PowerShell module does it, read by jim.
      const stored = await secretTool(
        session.env,
        ["store", `--label=JIM refresh token (${KEY_B})`, "service", "JIM", "url", KEY_B],
        "from-powershell",
      );
      assert.equal(stored.code, 0);
      assert.equal(await keyring.get(KEY_B), "from-powershell");

      // Written by jim, found by a plain lookup on the same attributes.
      await keyring.set(KEY_A, TOKEN);
      const lookup = await secretTool(session.env, ["lookup", "service", "JIM", "url", KEY_A]);
      assert.equal(lookup.code, 0);
      assert.equal(lookup.stdout, TOKEN);

      const search = new Deno.Command("secret-tool", {
        args: ["search", "--all", "service", "JIM", "url", KEY_A],
        env: session.env,
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      assert.match(
        new TextDecoder().decode(search.stdout),
        /label = JIM refresh token \(https:\/\/jim\.example\.com:443\)/,
      );

      assert.equal(await keyring.deleteAll(), 2);
    }),
}));

Deno.test(keyringTest({
  name: "secret-tool: a locked collection is unavailable, not 'not found'",
  fn: () =>
    withSession({}, async (session) => {
      const keyring = secretToolKeyring(session);
      await keyring.set(KEY_A, TOKEN);
      await session.lock();
      const availability = await keyring.available();
      assert.equal(availability.ok, false);
      assert.match(!availability.ok ? availability.reason : "", /locked/);
      await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /locked/);
      await rejectsWith(keyring.set(KEY_B, TOKEN), "keyring_unavailable", /locked/);
      await rejectsWith(keyring.delete(KEY_A), "keyring_unavailable", /locked/);
      await rejectsWith(keyring.deleteAll(), "keyring_unavailable", /locked/);
    }),
}));

// ---- no Secret Service, or one that hangs ----

Deno.test(keyringTest({
  name: "secret-tool: a Secret Service with no login collection cannot store",
  fn: () =>
    withSession({ unlock: false }, async (session) => {
      // A headless host where gnome-keyring was started on demand: it answers lookups, but
      // there is no collection to write to and no way to prompt for one.
      const keyring = secretToolKeyring(session);
      assert.equal(await keyring.get(KEY_A), null);
      await rejectsWith(
        keyring.set(KEY_A, TOKEN),
        "keyring_unavailable",
        /secret-tool store failed: .*collection\/login/,
      );
    }),
}));

Deno.test(keyringTest({
  name: "secret-tool: a bus without a Secret Service, or no bus, is unavailable quickly",
  fn: () =>
    withSession({ keyring: false }, async (session) => {
      const dead = { ...session.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${session.home}/no-bus` };
      for (const env of [session.env, dead]) {
        const keyring = secretToolKeyring({ ...session, env });
        const started = performance.now();
        const availability = await keyring.available();
        assert.equal(availability.ok, false);
        assert.ok(!availability.ok && availability.reason.length > 0);
        await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /secret-tool lookup failed/);
        await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable");
        await rejectsWith(keyring.deleteAll(), "keyring_unavailable");
        assert.ok(performance.now() - started < 3000, "answered within the bound");
      }
    }),
}));

Deno.test("secret-tool that hangs: unavailable within the timeout, and the child is killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jim-hang-" });
  try {
    const pidFile = `${dir}/pid`;
    const path = `${STANDINS}/hang:${Deno.env.get("PATH")}`;
    const env = envOf({ JIM_KEYRING: "auto", JIM_KEYRING_TIMEOUT: "0.5", PATH: path });
    const keyring = selectKeyring(
      "linux",
      env,
      systemDeps({ path, env: { JIM_STANDIN_PIDFILE: pidFile } }),
    );
    assert.equal(keyring.name, "secret-tool");

    let started = performance.now();
    const availability = await keyring.available();
    assert.equal(availability.ok, false);
    assert.match(!availability.ok ? availability.reason : "", /did not answer within 0\.5 s/);
    assert.ok(performance.now() - started < 2500, "available() returned within the bound");
    assertGone(Number(await Deno.readTextFile(pidFile)));

    started = performance.now();
    await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /did not answer/);
    await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable", /did not answer/);
    assert.ok(performance.now() - started < 4000, "get() and set() returned within the bound");
    assertGone(Number(await Deno.readTextFile(pidFile)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function assertGone(pid: number) {
  assert.ok(pid > 0);
  assert.throws(() => Deno.statSync(`/proc/${pid}`), Deno.errors.NotFound, `pid ${pid} is alive`);
}

Deno.test("command runner: a missing executable is a spawn failure, output is captured", async () => {
  const run = commandRunner();
  const missing = await run("/nonexistent/secret-tool", [], { timeoutMs: 1000 });
  assert.equal(missing.kind, "spawn_failed");
  const echoed = await run("sh", ["-c", "cat; echo err >&2; exit 3"], {
    stdin: "in",
    timeoutMs: 5000,
  });
  assert.deepEqual(echoed, { kind: "exited", code: 3, stdout: "in", stderr: "err\n" });
  // A grandchild holding the pipes open must not keep the caller waiting.
  const started = performance.now();
  const orphan = await run("sh", ["-c", "sleep 3 & echo $!"], { timeoutMs: 5000 });
  assert.ok(performance.now() - started < 2000);
  assert.equal(orphan.kind, "exited");
  if (orphan.kind === "exited") Deno.kill(Number(orphan.stdout.trim()), "SIGKILL");
});

// ---- macOS security, through a stand-in ----

async function standinSetup(extra: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "jim-standin-" });
  const log = `${dir}/log.jsonl`;
  const store = `${dir}/store.json`;
  const path = `${STANDINS}:${Deno.env.get("PATH")}`;
  const childEnv = {
    JIM_STANDIN_LOG: log,
    JIM_STANDIN_STORE: store,
    JIM_STANDIN_DENO: Deno.execPath(),
    ...extra,
  };
  const calls = async () =>
    (await Deno.readTextFile(log).catch(() => "")).split("\n").filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { tool: string; argv: string[]; stdin: string });
  return {
    dir,
    store,
    path,
    deps: systemDeps({ path, env: childEnv }),
    calls,
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("security backend: set, get, delete, deleteAll through security -i; token never on argv", async () => {
  const standin = await standinSetup();
  try {
    const keyring = selectKeyring(
      "darwin",
      envOf({ PATH: standin.path, JIM_KEYRING: "auto" }),
      standin.deps,
    );
    assert.equal(keyring.name, "security");
    assert.deepEqual(await keyring.available(), { ok: true });
    assert.equal(await keyring.get(KEY_A), null);
    await keyring.set(KEY_A, TOKEN);
    assert.equal(await keyring.get(KEY_A), TOKEN);
    await keyring.set(KEY_A, `${TOKEN}2`); // -U updates in place
    assert.equal(await keyring.get(KEY_A), `${TOKEN}2`);
    await keyring.set(KEY_B, "other");
    assert.equal(await keyring.delete(KEY_B), true);
    assert.equal(await keyring.delete(KEY_B), false);
    await keyring.set(KEY_B, "other");
    assert.equal(await keyring.deleteAll(), 2);
    assert.equal(await keyring.get(KEY_A), null);
    assert.equal(await keyring.deleteAll(), 0);

    const calls = await standin.calls();
    assert.ok(calls.length >= 10);
    for (const call of calls) {
      assert.deepEqual(call.argv, ["-i"], "only -i on argv");
      assert.ok(!call.argv.join(" ").includes(TOKEN));
    }
    const add = calls.find((call) => call.stdin.includes("add-generic-password"));
    assert.ok(add?.stdin.includes(quoteForSecurity(TOKEN)), "the token went through stdin");
    assert.match(
      add!.stdin,
      /^"add-generic-password" "-U" "-s" "JIM" "-a" "https:\/\/jim\.example\.com:443" "-w" /,
    );
  } finally {
    await standin.cleanup();
  }
});

Deno.test("security backend: a locked keychain is unavailable; over-long tokens never reach it", async () => {
  const standin = await standinSetup({ JIM_STANDIN_STATUS: "36" });
  try {
    const keyring = selectKeyring(
      "darwin",
      envOf({ PATH: standin.path, JIM_KEYRING: "security" }),
      standin.deps,
    );
    const availability = await keyring.available();
    assert.equal(availability.ok, false);
    assert.match(!availability.ok ? availability.reason : "", /locked/);
    await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /locked/);
    await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable", /locked/);
    const before = (await standin.calls()).length;
    await rejectsWith(keyring.set(KEY_A, "x".repeat(5000)), "failed", /too long/);
    assert.equal((await standin.calls()).length, before);
  } finally {
    await standin.cleanup();
  }
});

Deno.test("security backend: a keychain that hangs is unavailable within the timeout", async () => {
  const standin = await standinSetup({ JIM_STANDIN_SLEEP: "30" });
  try {
    const keyring = selectKeyring(
      "darwin",
      envOf({ PATH: standin.path, JIM_KEYRING_TIMEOUT: "0.5" }),
      standin.deps,
    );
    const started = performance.now();
    assert.equal((await keyring.available()).ok, false);
    await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /did not answer/);
    assert.ok(performance.now() - started < 3000);
  } finally {
    await standin.cleanup();
  }
});

Deno.test("quoteForSecurity: words survive security's interactive line splitter", async () => {
  const { splitSecurityLine } = await import("../fixtures/standins/standins.ts");
  const words = ["plain", 'with "quotes"', "back\\slash", "it's", "a b", "-w", TOKEN];
  const line = words.map(quoteForSecurity).join(" ");
  assert.deepEqual(splitSecurityLine(line), words);
  assert.throws(() => quoteForSecurity("new\nline"), JimError);
});

// ---- Windows Credential Manager ----

Deno.test("wincred without advapi32: cmdkey lists and deletes; get and set say why they cannot", async () => {
  const standin = await standinSetup();
  try {
    await Deno.writeTextFile(
      standin.store,
      JSON.stringify({
        credentials: [
          { target: `JIM:${KEY_A}`, user: KEY_A, password: TOKEN },
          { target: `JIM:${KEY_B}`, user: KEY_B, password: TOKEN },
          { target: "git:https://github.com", user: "someone", password: "keep" },
        ],
      }),
    );
    const keyring = selectKeyring("windows", envOf({ PATH: standin.path }), {
      ...standin.deps,
      openWincred: () => {
        throw new Error("Could not open library: advapi32.dll");
      },
    });
    assert.equal(keyring.name, "wincred");
    const availability = await keyring.available();
    assert.equal(availability.ok, false);
    assert.match(!availability.ok ? availability.reason : "", /could not be opened.*cmdkey/);
    await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /cmdkey cannot read/);
    await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable", /cmdkey cannot write/);

    assert.equal(await keyring.delete(KEY_A), true);
    assert.equal(await keyring.delete(KEY_A), false);
    assert.equal(await keyring.deleteAll(), 1);
    assert.equal(await keyring.deleteAll(), 0);
    const left = JSON.parse(await Deno.readTextFile(standin.store));
    assert.deepEqual(left.credentials.map((c: { target: string }) => c.target), [
      "git:https://github.com",
    ]);

    const calls = await standin.calls();
    assert.ok(calls.length > 0);
    for (const call of calls) {
      assert.equal(call.tool, "cmdkey");
      assert.ok(!call.argv.join(" ").includes(TOKEN));
      assert.match(call.argv.join(" "), /^\/(list:JIM:\*|delete:JIM:https?:\/\/\S+)$/);
    }
  } finally {
    await standin.cleanup();
  }
});

Deno.test("parseCmdkeyList: reads targets in the shapes cmdkey prints them", () => {
  const output = [
    "",
    "Currently stored credentials for JIM:*:",
    "",
    "    Target: LegacyGeneric:target=JIM:https://a.example:443",
    "    Type: Generic ",
    "    User: https://a.example:443",
    "    Ziel: JIM:http://localhost:5200",
    "    Target: git:https://github.com",
  ].join("\r\n");
  assert.deepEqual(parseCmdkeyList(output), ["https://a.example:443", "http://localhost:5200"]);
  assert.deepEqual(parseCmdkeyList("\n* NONE *\n"), []);
});

/** An in-memory Credential Manager behind the WincredApi seam, as CredWriteW keeps entries. */
function fakeCredentialManager() {
  const credentials = new Map<string, StoredCredential>();
  const api: WincredApi = {
    write(target, user, secret) {
      credentials.set(target, { target, user, secret, persist: 2, comment: "" });
    },
    read: (target) => credentials.get(target) ?? null,
    remove: (target) => credentials.delete(target),
    list: (filter) => {
      const prefix = filter.replace(/\*$/, "");
      return [...credentials.values()].filter((c) => c.target.startsWith(prefix));
    },
  };
  return { api, credentials };
}

Deno.test("wincred: target JIM:<key>, user <key>, blob limit, deleteAll leaves other entries", async () => {
  const fake = fakeCredentialManager();
  const keyring = selectKeyring("windows", envOf({ JIM_KEYRING: "wincred" }), {
    which: () => null,
    openWincred: () => fake.api,
  });
  assert.deepEqual(await keyring.available(), { ok: true });
  assert.equal(await keyring.get(KEY_A), null);
  await keyring.set(KEY_A, TOKEN);
  const stored = fake.credentials.get(`JIM:${KEY_A}`);
  assert.equal(stored?.user, KEY_A);
  assert.equal(stored?.secret, TOKEN);
  assert.equal(await keyring.get(KEY_A), TOKEN);

  assert.equal(MAX_BLOB_BYTES, 2560);
  await keyring.set(KEY_B, "t".repeat(1280));
  await rejectsWith(keyring.set(KEY_B, "t".repeat(1281)), "failed", /2562 bytes.*2560/);
  assert.equal(await keyring.get(KEY_B), "t".repeat(1280));

  assert.equal(await keyring.delete(KEY_B), true);
  assert.equal(await keyring.delete(KEY_B), false);
  fake.credentials.set("git:https://github.com", {
    target: "git:https://github.com",
    user: "someone",
    secret: "keep",
    persist: 2,
    comment: "",
  });
  await keyring.set(KEY_B, TOKEN);
  assert.equal(await keyring.deleteAll(), 2);
  assert.deepEqual([...fake.credentials.keys()], ["git:https://github.com"]);
});

Deno.test("wincred: a logon with no credential store is unavailable; other Windows errors fail the call", async () => {
  const failing = (lastError: number): WincredApi => {
    const fail = () => {
      throw new WincredCallError("CredReadW", lastError);
    };
    return { write: fail, read: fail, remove: fail, list: fail };
  };
  const noStore = selectKeyring("windows", envOf({ JIM_KEYRING: "wincred" }), {
    which: () => null,
    openWincred: () => failing(1312),
  });
  const availability = await noStore.available();
  assert.equal(availability.ok, false);
  assert.match(!availability.ok ? availability.reason : "", /ERROR_NO_SUCH_LOGON_SESSION/);
  await rejectsWith(noStore.set(KEY_A, TOKEN), "keyring_unavailable", /no credential store/);
  const broken = selectKeyring("windows", envOf({ JIM_KEYRING: "wincred" }), {
    which: () => null,
    openWincred: () => failing(87),
  });
  await rejectsWith(broken.get(KEY_A), "failed", /Windows error 87/);
});

// ---- the native addon ----

Deno.test("native backend: an addon that cannot load is a clean keyring_unavailable", async () => {
  const keyring = selectKeyring("linux", envOf({ JIM_KEYRING: "native" }), {
    loadNative: () => Promise.reject(new Error("dlopen failed: libfoo.so\nsecond line")),
  });
  const availability = await keyring.available();
  assert.equal(availability.ok, false);
  assert.match(!availability.ok ? availability.reason : "", /could not be loaded: dlopen failed/);
  await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /could not be loaded/);
  await rejectsWith(keyring.set(KEY_A, TOKEN), "keyring_unavailable");
  await rejectsWith(keyring.deleteAll(), "keyring_unavailable");
});

Deno.test("native backend: an addon call that hangs is cut off at the deadline", async () => {
  const never = () => new Promise<never>(() => {});
  const hanging = {
    AsyncEntry: class {
      getPassword = never;
      setPassword = never;
      deleteCredential = never;
    },
    findCredentialsAsync: never,
  } as unknown as NativeKeyringModule;
  const keyring = selectKeyring(
    "darwin",
    envOf({ JIM_KEYRING: "native", JIM_KEYRING_TIMEOUT: "0.2" }),
    { loadNative: () => Promise.resolve(hanging) },
  );
  const started = performance.now();
  assert.equal((await keyring.available()).ok, false);
  await rejectsWith(keyring.get(KEY_A), "keyring_unavailable", /did not answer within 0\.2 s/);
  assert.ok(performance.now() - started < 1500);
});

/** Runs the native backend in a child process: the addon's D-Bus library fixes the bus
 * address at first use, so each session needs a fresh process. */
async function nativeInChild(env: Record<string, string>, script: string) {
  const denoDir = Deno.env.get("DENO_DIR") ?? (await denoInfoDir());
  const source = `
    import { selectKeyring } from "${new URL("../lib/keyring/select.ts", import.meta.url).href}";
    const keyring = selectKeyring("linux", Deno.env, undefined);
    const out: Record<string, unknown> = {};
    const attempt = async (name: string, work: () => Promise<unknown>) => {
      try { out[name] = await work(); }
      catch (error) { out[name] = { error: (error as { code?: string }).code, message: (error as Error).message }; }
    };
    ${script}
    console.log(JSON.stringify(out));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "-q", "--ext=ts", "--config", `${ROOT}/deno.json`, source],
    cwd: ROOT,
    env: { ...env, DENO_DIR: denoDir, JIM_KEYRING: "native" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

let cachedDenoDir: string | undefined;
async function denoInfoDir(): Promise<string> {
  if (cachedDenoDir) return cachedDenoDir;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  cachedDenoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  return cachedDenoDir;
}

Deno.test(keyringTest({
  name: "native backend: set, get, delete, deleteAll against gnome-keyring",
  fn: () =>
    withSession({}, async (session) => {
      const out = await nativeInChild(
        session.env,
        `
        await attempt("available", () => keyring.available());
        await attempt("missing", () => keyring.get("${KEY_A}"));
        await attempt("set", () => keyring.set("${KEY_A}", ${JSON.stringify(TOKEN)}));
        await attempt("get", () => keyring.get("${KEY_A}"));
        await attempt("setB", () => keyring.set("${KEY_B}", "second"));
        await attempt("delete", () => keyring.delete("${KEY_B}"));
        await attempt("deleteAgain", () => keyring.delete("${KEY_B}"));
        await attempt("setB2", () => keyring.set("${KEY_B}", "second"));
        await attempt("stillThere", () => keyring.get("${KEY_A}"));
        `,
      );
      assert.deepEqual(out.available, { ok: true });
      assert.equal(out.missing, null);
      assert.equal(out.get, TOKEN);
      assert.equal(out.delete, true);
      assert.equal(out.deleteAgain, false);
      assert.equal(out.stillThere, TOKEN);

      // The addon's own Secret Service layout: service + username, not secret-tool's url.
      const lookup = await secretTool(session.env, ["lookup", "service", "JIM", "username", KEY_A]);
      assert.equal(lookup.stdout, TOKEN);
      const byUrl = await secretTool(session.env, ["lookup", "service", "JIM", "url", KEY_A]);
      assert.equal(byUrl.code, 1);

      const cleared = await nativeInChild(
        session.env,
        `await attempt("count", () => keyring.deleteAll());
         await attempt("after", () => keyring.get("${KEY_A}"));`,
      );
      assert.equal(cleared.count, 2);
      assert.equal(cleared.after, null);
    }),
}));

Deno.test(keyringTest({
  name: "native backend: no Secret Service on the bus is keyring_unavailable, not a fallback",
  fn: () =>
    withSession({ keyring: false }, async (session) => {
      const out = await nativeInChild(
        { ...session.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${session.home}/no-bus` },
        `
        await attempt("available", () => keyring.available());
        await attempt("get", () => keyring.get("${KEY_A}"));
        await attempt("set", () => keyring.set("${KEY_A}", ${JSON.stringify(TOKEN)}));
        `,
      );
      assert.equal(out.available.ok, false);
      assert.match(out.available.reason, /Secret Service|DBus|connect/i);
      assert.equal(out.get.error, "keyring_unavailable");
      assert.equal(out.set.error, "keyring_unavailable");
      assert.ok(!JSON.stringify(out).includes(TOKEN));

      const bare = await nativeInChild(
        session.env,
        `await attempt("get", () => keyring.get("${KEY_A}"));`,
      );
      assert.equal(bare.get.error, "keyring_unavailable", JSON.stringify(bare));
    }),
}));

Deno.test(keyringTest({
  name: "disconnect --all also removes the sign-ins the native backend wrote, and says how many",
  fn: () =>
    withSession({}, async (session) => {
      const wrote = await nativeInChild(
        session.env,
        `await attempt("set", () => keyring.set("${KEY_A}", ${JSON.stringify(TOKEN)}));`,
      );
      assert.equal(wrote.set, undefined, JSON.stringify(wrote));
      const stored = await secretTool(
        session.env,
        ["store", "--label=JIM refresh token (x)", "service", "JIM", "url", KEY_B],
        "from-secret-tool",
      );
      assert.equal(stored.code, 0);
      const env = await JimEnv.create({ ...session.env, JIM_KEYRING: "auto" });
      try {
        const out = await env.run(["disconnect", "--all"]);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stderr, /Removed 2 stored JIM sign-ins/);
      } finally {
        await env.dispose();
      }
      const native = await secretTool(session.env, ["lookup", "service", "JIM", "username", KEY_A]);
      assert.equal(native.code, 1, "the addon's entry is gone");
      const module = await secretTool(session.env, ["lookup", "service", "JIM", "url", KEY_B]);
      assert.equal(module.code, 1, "the module's entry is gone");
    }),
}));
