// Parts that differ per platform. Each real credential store on the lane that has it: the
// macOS Keychain through /usr/bin/security and through the native addon (one item, seen by
// both), and Windows' Credential Manager through advapi32 with the JIM PowerShell module's
// entry layout. CI runs the macOS test against a throwaway keychain it creates, unlocks and
// makes the default; on a developer's machine it touches one uniquely named item and removes
// it. Plus the path and $BROWSER handling that differs on Windows.

import assert from "node:assert/strict";
import { selectKeyring } from "../lib/keyring/select.ts";
import { systemDeps } from "../lib/keyring/system_deps.ts";
import {
  CRED_PERSIST_LOCAL_MACHINE,
  CRED_TYPE_GENERIC,
  openWincredApi,
} from "../lib/keyring/wincred_api.ts";
import { pathFromFileUrl } from "../lib/runtime_flags.ts";
import { onlyOn } from "./helpers/platform_gate.ts";
import { browserCommands } from "../lib/auth/browser_opener.ts";
import { missingAddon } from "../tools/compile.ts";

const TOKEN = `rt.platform-${crypto.randomUUID()}`;

function uniqueKey(): string {
  return `https://jim-platform-test-${crypto.randomUUID().slice(0, 8)}.invalid:443`;
}

function keyring(platform: typeof Deno.build.os, backend: string) {
  const env = { get: (name: string) => name === "JIM_KEYRING" ? backend : Deno.env.get(name) };
  return selectKeyring(platform, env);
}

Deno.test({
  ...onlyOn(
    ["darwin"],
    "the Keychain",
    "Keychain: security writes, the addon reads the same item, and each deletes it",
  ),
  fn: async () => {
    const security = keyring("darwin", "security");
    const native = keyring("darwin", "native");
    assert.deepEqual(await security.available(), { ok: true });
    assert.deepEqual(await native.available(), { ok: true });
    const key = uniqueKey();
    try {
      assert.equal(await security.get(key), null);
      await security.set(key, TOKEN);
      assert.equal(await security.get(key), TOKEN);
      assert.equal(await native.get(key), TOKEN, "service JIM, account <key>: one item");
      await security.set(key, `${TOKEN}-rotated`);
      assert.equal(await native.get(key), `${TOKEN}-rotated`, "-U updated it in place");
      assert.equal(await native.delete(key), true);
      assert.equal(await security.get(key), null);

      await native.set(key, TOKEN);
      assert.equal(await security.get(key), TOKEN, "what the addon writes, security finds");
      assert.equal(await security.delete(key), true);
      assert.equal(await security.delete(key), false);
    } finally {
      await security.delete(key).catch(() => false);
    }
  },
});

Deno.test({
  ...onlyOn(
    ["windows"],
    "advapi32.dll",
    "Credential Manager: the module's entry (generic, JIM:<key>, user <key>, UTF-16, local machine) round trips through advapi32 and cmdkey lists it",
  ),
  fn: async () => {
    const store = keyring("windows", "wincred");
    assert.deepEqual(await store.available(), { ok: true });
    const key = uniqueKey();
    const api = openWincredApi();
    try {
      assert.equal(await store.get(key), null);
      await store.set(key, TOKEN);
      const entry = api.read(`JIM:${key}`);
      assert.ok(entry, "CredReadW finds target JIM:<key>");
      assert.equal(entry.user, key);
      assert.equal(entry.secret, TOKEN, "the blob is the token in UTF-16LE");
      assert.equal(entry.persist, CRED_PERSIST_LOCAL_MACHINE);
      assert.equal(entry.comment, "");
      assert.equal(CRED_TYPE_GENERIC, 1);
      assert.equal(await store.get(key), TOKEN);

      const listing = await systemDeps().run("cmdkey", [`/list:JIM:${key}`], {
        timeoutMs: 10_000,
      });
      assert.equal(listing.kind, "exited");
      if (listing.kind === "exited") assert.ok(listing.stdout.includes(`JIM:${key}`));

      assert.equal(await store.delete(key), true);
      assert.equal(await store.delete(key), false);
      assert.equal(api.read(`JIM:${key}`), null);
    } finally {
      api.remove(`JIM:${key}`);
    }
  },
});

Deno.test("pathFromFileUrl: a Windows drive loses URL.pathname's leading slash; POSIX paths are kept", () => {
  assert.equal(pathFromFileUrl(new URL("file:///D:/a/jim/main.ts"), "windows"), "D:/a/jim/main.ts");
  assert.equal(
    pathFromFileUrl(new URL("file:///home/u/a%20b/main.ts"), "linux"),
    "/home/u/a b/main.ts",
  );
  assert.equal(pathFromFileUrl(new URL("file:///Users/u/jim/"), "darwin"), "/Users/u/jim/");
});

Deno.test("browser opener: on Windows $BROWSER entries split at ';', so a drive path stays one command", () => {
  const url = "http://localhost:8400/auth?x=1";
  assert.deepEqual(
    browserCommands(
      url,
      `"C:/Program Files/deno.exe" run browser.ts;D:\\tools\\open.exe`,
      "windows",
    ),
    [
      { cmd: "C:/Program Files/deno.exe", args: ["run", "browser.ts", url] },
      { cmd: "D:\\tools\\open.exe", args: [url] },
    ],
  );
  assert.deepEqual(browserCommands(url, "firefox:chromium", "linux").map((c) => c.cmd), [
    "firefox",
    "chromium",
  ]);
});

Deno.test("compile refuses a target whose keyring addon is not in node_modules; Windows needs none", async () => {
  const root = await Deno.makeTempDir({ prefix: "jim-compile-addon-" });
  try {
    const pkg =
      `${root}/node_modules/.deno/@napi-rs+keyring-darwin-arm64@2.1.2/node_modules/@napi-rs/keyring-darwin-arm64`;
    await Deno.mkdir(pkg, { recursive: true });
    assert.match(
      (await missingAddon("aarch64-apple-darwin", root)) ?? "",
      /keyring-darwin-arm64, keyring\.darwin-arm64\.node\) is not in node_modules/,
      "the package without its .node file does not count",
    );
    await Deno.writeTextFile(`${pkg}/keyring.darwin-arm64.node`, "");
    assert.equal(await missingAddon("aarch64-apple-darwin", root), null);
    assert.match((await missingAddon("x86_64-apple-darwin", root)) ?? "", /darwin-x64/);
    assert.equal(await missingAddon("x86_64-pc-windows-msvc", root), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
