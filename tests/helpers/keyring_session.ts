// A throwaway, real Secret Service for tests: a private D-Bus session bus (dbus-daemon with its
// own config: no service activation, so nothing else can answer on it) and gnome-keyring-daemon
// with the secrets component, started with --unlock and a known password on stdin, which
// creates the "login" collection unlocked. `secret-tool store` then works without any prompt.
// Everything lives under one temporary HOME; close() kills both daemons and removes it.

import { type ChildResult, runGuarded, stopChild } from "../../fixtures/child_process.ts";
import { needs, onlyOn, toolOnPath } from "./platform_gate.ts";

export interface KeyringSession {
  /** Variables for subprocesses: HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS. */
  env: Record<string, string>;
  home: string;
  /** Locks the login collection (as a screen lock would), through the Secret Service API. */
  lock(): Promise<void>;
  close(): Promise<void>;
}

export interface KeyringSessionOptions {
  /** false: the bus only, with no Secret Service on it. */
  keyring?: boolean;
  /**
   * false: start gnome-keyring without --unlock, so there is no login collection to write to,
   * as on a headless host where the daemon was started on demand. Default true.
   */
  unlock?: boolean;
}

const KEYRING_PART = "gnome-keyring on D-Bus";
const TOOLS = ["dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"];
const PASSWORD = "jim-test-keyring-password";
const START_TIMEOUT_MS = 10_000;

/** Why a keyring session cannot start on this host, or null when it can. */
export function keyringSessionUnavailable(): string | null {
  if (Deno.build.os !== "linux") return `needs Linux, this is ${Deno.build.os}`;
  const missing = TOOLS.filter((tool) => toolOnPath(tool) === null);
  if (missing.length > 0) {
    return `${
      missing.join(", ")
    } not found (Debian: apt-get install libsecret-tools gnome-keyring dbus)`;
  }
  return null;
}

/**
 * `test`, which needs the session: on Linux where the tools are missing it is skipped with the
 * reason in its name, or fails under JIM_TEST_REQUIRE_ALL=1 (platform_gate.ts's needs).
 */
export function keyringTest(test: Deno.TestDefinition): Deno.TestDefinition {
  // gnome-keyring and D-Bus are Linux parts: elsewhere the test is skipped whatever
  // JIM_TEST_REQUIRE_ALL says, and its name says so.
  if (Deno.build.os !== "linux") return { ...test, ...onlyOn(["linux"], KEYRING_PART, test.name) };
  return needs(KEYRING_PART, keyringSessionUnavailable(), test);
}

export async function startKeyringSession(
  options: KeyringSessionOptions = {},
): Promise<KeyringSession> {
  const reason = keyringSessionUnavailable();
  if (reason !== null) throw new Error(`unavailable: ${reason}`);

  const dir = await Deno.makeTempDir({ prefix: "jim-keyring-" });
  const home = `${dir}/home`;
  const runtime = `${dir}/run`;
  await Deno.mkdir(`${home}/.local/share`, { recursive: true });
  await Deno.mkdir(runtime, { mode: 0o700 });
  await Deno.chmod(runtime, 0o700);
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_CACHE_HOME: `${home}/.cache`,
    XDG_RUNTIME_DIR: runtime,
  };

  const children: Deno.ChildProcess[] = [];
  const close = async () => {
    for (const child of children.reverse()) await stopChild(child);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    const config = `${dir}/bus.conf`;
    await Deno.writeTextFile(config, busConfig(`${runtime}/bus`));
    const bus = new Deno.Command("dbus-daemon", {
      args: [`--config-file=${config}`, "--nofork", "--print-address=1"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      env,
    }).spawn();
    children.push(bus);
    env.DBUS_SESSION_BUS_ADDRESS = await firstLine(bus.stdout, START_TIMEOUT_MS, "dbus-daemon");

    if (options.keyring !== false) {
      const unlock = options.unlock !== false;
      const keyring = new Deno.Command("gnome-keyring-daemon", {
        args: ["--foreground", ...(unlock ? ["--unlock"] : []), "--components=secrets"],
        stdin: unlock ? "piped" : "null",
        stdout: "null",
        stderr: "null",
        env,
      }).spawn();
      children.push(keyring);
      if (unlock) {
        // --unlock reads the login password from stdin up to EOF; a new login collection is
        // created with it, an existing one is unlocked.
        const writer = keyring.stdin.getWriter();
        await writer.write(new TextEncoder().encode(PASSWORD));
        await writer.close();
        await waitUntilStoreWorks(env);
      } else {
        await waitUntilServiceAnswers(env);
      }
    }
  } catch (error) {
    await close();
    throw error;
  }

  return {
    env,
    home,
    lock: () => lockLogin(env),
    close,
  };
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function firstLine(
  stream: ReadableStream<Uint8Array>,
  timeoutMs: number,
  what: string,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!text.includes("\n")) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<"expired">((resolve) =>
        timer = setTimeout(() => resolve("expired"), Math.max(0, deadline - Date.now()))
      );
      const next = await Promise.race([reader.read(), expired]);
      clearTimeout(timer);
      if (next === "expired") throw new Error(`${what} printed no address in ${timeoutMs} ms`);
      if (next.done) throw new Error(`${what} exited before printing its address`);
      text += next.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.split("\n")[0].trim();
}

// Ready means a real write goes through: the service owns its bus name and the login
// collection exists and is unlocked.
async function waitUntilStoreWorks(env: Record<string, string>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const probe = ["service", "jim-session-probe", "probe", "1"];
  let last = "";
  while (Date.now() < deadline) {
    const stored = await run("secret-tool", ["store", "--label=probe", ...probe], env, "probe");
    if (stored.code === 0) {
      await run("secret-tool", ["clear", ...probe], env);
      return;
    }
    last = stored.stderr.trim();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gnome-keyring did not accept a secret within ${START_TIMEOUT_MS} ms: ${last}`);
}

// Without a login collection nothing can be stored; a lookup answering "not found" (exit 1,
// no message) shows the service owns its bus name.
async function waitUntilServiceAnswers(env: Record<string, string>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    const result = await run("secret-tool", ["lookup", "service", "jim-session-probe"], env);
    if (result.code === 1 && result.stderr.trim() === "") return;
    last = result.stderr.trim();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gnome-keyring did not answer within ${START_TIMEOUT_MS} ms: ${last}`);
}

async function lockLogin(env: Record<string, string>): Promise<void> {
  const result = await run("dbus-send", [
    "--session",
    "--dest=org.freedesktop.secrets",
    "--print-reply",
    "/org/freedesktop/secrets",
    "org.freedesktop.Secret.Service.Lock",
    "array:objpath:/org/freedesktop/secrets/collection/login",
  ], env);
  if (result.code !== 0) throw new Error(`could not lock the login collection: ${result.stderr}`);
}

/** Runs secret-tool against a session's bus; the secret, if any, goes on stdin. */
export async function secretTool(
  env: Record<string, string>,
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string }> {
  const { code, stdout } = await run("secret-tool", args, env, stdin);
  return { code, stdout };
}

/** A tool run against the session's bus, killed if it hangs (a locked store may wait for a prompt). */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<ChildResult> {
  return runGuarded([command, ...args], { env, input: stdin, killAfterMs: 10_000 });
}
