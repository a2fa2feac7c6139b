// A throwaway second local user, for tests of what another user on the same machine can do to
// jim: squat a port, pre-create a directory. Needs Linux and root (CI runs as root); elsewhere the
// test is ignored with the reason in its name, and with JIM_TEST_REQUIRE_ALL=1 on Linux it fails.

import { needs, onlyOn, toolOnPath } from "./platform_gate.ts";

const TOOLS = ["useradd", "userdel", "setpriv", "id"];

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** A directory this user owns (0700), for its DENO_DIR and files. */
  home: string;
  /** Spawns `args` as this user, with a clean environment of `env` plus HOME and PATH. */
  spawn(args: string[], env?: Record<string, string>): Deno.ChildProcess;
}

/** Why no throwaway user can be made here, or null when one can. */
export function otherUserUnavailable(): string | null {
  if (Deno.build.os !== "linux") return `needs Linux, this is ${Deno.build.os}`;
  if (Deno.uid() !== 0) return "needs root to add a throwaway user";
  const missing = TOOLS.filter((tool) => toolOnPath(tool) === null);
  if (missing.length > 0) return `${missing.join(", ")} not found (Debian: passwd, util-linux)`;
  return null;
}

/** `test`, which needs a second user: a Linux-only part (useradd, setpriv) that needs root. */
export function otherUserTest(test: Deno.TestDefinition): Deno.TestDefinition {
  if (Deno.build.os !== "linux") {
    return { ...test, ...onlyOn(["linux"], "a throwaway second user", test.name) };
  }
  return needs("a throwaway second user", otherUserUnavailable(), test);
}

/** Adds a user with a random name, runs `fn`, and removes the user and its directory. */
export async function withOtherUser<T>(fn: (user: OtherUser) => Promise<T>): Promise<T> {
  const reason = otherUserUnavailable();
  if (reason !== null) throw new Error(`no second user: ${reason}`);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16))
    .join("");
  const name = `jimt${suffix}`;
  // useradd locks /etc/passwd; another test adding its user at the same moment makes it retry.
  await runRetrying(["useradd", "--system", "--no-create-home", "--user-group", name]);
  const home = await Deno.makeTempDir({ prefix: "jim-other-user-" });
  try {
    const uid = Number(await output(["id", "-u", name]));
    const gid = Number(await output(["id", "-g", name]));
    await Deno.chmod(home, 0o700);
    await Deno.chown(home, uid, gid);
    const spawn = (args: string[], env: Record<string, string> = {}) =>
      new Deno.Command("setpriv", {
        args: [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...args],
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, ...env },
        clearEnv: true,
        cwd: "/",
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    return await fn({ name, uid, gid, home, spawn });
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
    await runRetrying(["userdel", name]).catch(() => {});
  }
}

async function output(args: string[]): Promise<string> {
  const [cmd, ...rest] = args;
  const out = await new Deno.Command(cmd, { args: rest, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

async function runRetrying(args: string[]): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await output(args);
      return;
    } catch (error) {
      if (attempt >= 20 || !/lock/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
}
