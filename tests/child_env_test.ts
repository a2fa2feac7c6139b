// Secrets in jim's own environment stay there: the agent, the credential-store tools and the
// browser start with a cleared environment plus the variables each needs. Each test sets
// JIM_API_KEY (where the command allows it) and token-like variables in jim's environment and
// reads what the child actually received.

import assert from "node:assert/strict";
import { withCli } from "./helpers/cli_fixture.ts";
import { JimEnv, ROOT_DIR } from "./helpers/run_jim.ts";
import { withSso } from "./helpers/sso_fixture.ts";
import { onlyOn, UNIX } from "./helpers/platform_gate.ts";
import { childEnv } from "../lib/child_env.ts";

const API_KEY = "jim_ak_childenv0123456789abcdefghijklmnopq";
const CI_TOKEN = "ghp_childEnvTokenThatMustNotLeak0123456789";
const CLOUD_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SECRETS = { GITHUB_TOKEN: CI_TOKEN, AWS_SECRET_ACCESS_KEY: CLOUD_SECRET };

/** `env` output (NAME=value lines) as a map. */
function parseEnv(text: string, separator = "\n"): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split(separator)) {
    const eq = line.indexOf("=");
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

function assertNoSecret(vars: Map<string, string>, what: string) {
  for (const name of ["JIM_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"]) {
    assert.ok(!vars.has(name), `${name} reached ${what}`);
  }
  for (const value of vars.values()) {
    for (const secret of [API_KEY, CI_TOKEN, CLOUD_SECRET]) {
      assert.ok(!value.includes(secret), `a secret reached ${what}`);
    }
  }
}

/** A stand-in executable that writes its environment to `log`, then runs `then` (or exits 0). */
async function recordingScript(dir: string, name: string, log: string, then = "exit 0") {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\nenv > '${log}'\n${then}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("childEnv keeps only the named variables that are set, extra on top", () => {
  const source = { PATH: "/bin", HOME: "/h", JIM_API_KEY: API_KEY, LANG: "C" };
  const env = childEnv(
    ["PATH", "HOME", "DISPLAY", "LANG"],
    { LANG: "C.UTF-8" },
    (n) => source[n as keyof typeof source],
  );
  assert.deepEqual(env, { PATH: "/bin", HOME: "/h", LANG: "C.UTF-8" });
});

Deno.test({
  ...onlyOn(
    UNIX,
    "a /bin/sh stand-in secret-tool",
    "secret-tool starts with a cleared environment: no JIM_API_KEY or token variable, the session bus kept",
  ),
  fn: async () => {
    const env = await JimEnv.create({
      ...SECRETS,
      JIM_API_KEY: API_KEY,
      JIM_KEYRING: "secret-tool",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/jim-test-bus",
    });
    try {
      const bin = `${env.dir}/bin`;
      await Deno.mkdir(bin);
      const log = `${env.dir}/secret-tool.env`;
      await recordingScript(bin, "secret-tool", log);
      env.vars.PATH = `${bin}:${env.vars.PATH}`;
      const result = await env.run(["disconnect", "--all"]);
      assert.equal(result.code, 0, result.stderr);
      const seen = parseEnv(await Deno.readTextFile(log));
      assertNoSecret(seen, "secret-tool");
      assert.equal(seen.get("DBUS_SESSION_BUS_ADDRESS"), "unix:path=/nonexistent/jim-test-bus");
      assert.equal(seen.get("HOME"), env.vars.HOME);
      assert.equal(seen.get("LC_ALL"), "C.UTF-8", "secret-tool's untranslated messages");
    } finally {
      await env.dispose();
    }
  },
});

Deno.test({
  ...onlyOn(
    UNIX,
    "a /bin/sh stand-in browser",
    "the browser starts with a cleared environment: no token variable, the display and HOME kept",
  ),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "jim-browser-env-" });
    try {
      const log = `${dir}/browser.env`;
      const browser = await recordingScript(
        dir,
        "recording-browser",
        log,
        `exec '${ROOT_DIR}/fixtures/scripted-browser' "$@"`,
      );
      // JIM_API_KEY would make connect use the key instead of the browser, so the secrets here
      // are the token variables a CI job or a cloud shell exports.
      await withSso(async ({ env, signIn }) => {
        await signIn();
        const seen = parseEnv(await Deno.readTextFile(log));
        assertNoSecret(seen, "the browser");
        assert.equal(seen.get("DISPLAY"), ":99");
        assert.equal(seen.get("HOME"), env.vars.HOME);
        assert.equal(seen.get("BROWSER"), browser);
      }, { env: { ...SECRETS, BROWSER: browser, DISPLAY: ":99" } });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  ...onlyOn(
    ["linux"],
    "/proc/<pid>/environ",
    "the agent starts with a cleared environment: no JIM_API_KEY or token variable, its settings kept",
  ),
  fn: async () => {
    await withCli(
      async ({ server, env, jim }) => {
        const result = await jim(["connect", server.url]);
        assert.equal(result.code, 0, result.stderr);
        const agent = await findAgent(env.vars.XDG_RUNTIME_DIR);
        assert.ok(agent, "the agent process was found");
        assertNoSecret(agent, "the agent");
        assert.equal(agent.get("JIM_AGENT_IDLE_TIMEOUT"), "600");
        assert.equal(agent.get("XDG_RUNTIME_DIR"), env.vars.XDG_RUNTIME_DIR);
        const whoami = await jim(["whoami"]);
        assert.equal(whoami.code, 0, "the agent holds the session it was handed");
      },
      {},
      {
        ...SECRETS,
        JIM_API_KEY: "jim_ak_test0123456789abcdefghijklmnopqrstuv",
        JIM_AGENT_IDLE_TIMEOUT: "600",
      },
    );
  },
});

/** The environment of the agent process started for `runtimeDir`, read from /proc. */
async function findAgent(runtimeDir: string): Promise<Map<string, string> | null> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (!cmdline.split("\0").includes("__agent")) continue;
      const vars = parseEnv(await Deno.readTextFile(`/proc/${entry.name}/environ`), "\0");
      if (vars.get("XDG_RUNTIME_DIR") === runtimeDir) return vars;
    } catch {
      // gone, or not ours
    }
  }
  return null;
}
