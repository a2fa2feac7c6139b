// Who holds a loopback port jim wanted for the sign-in redirect, so the line saying it was busy
// can name the program ("another jim sign-in (pid 1234)") when it is the user's own. Linux only,
// through iproute2's `ss` (a listening socket's owner uid, and for the user's own processes the
// program and pid) and `ps` (that pid's command line): Deno grants /proc itself only to programs
// with every permission. Where either is missing, slow or says nothing, no one is named.

import { printable } from "./safe_text.ts";

/** Runs a command (no shell) and returns its stdout, or undefined when it fails. */
export type RunForOutput = (cmd: string, args: string[]) => Promise<string | undefined>;

/** Who listens on a port: one of the user's own processes, or another user's (by uid). */
export type PortHolder =
  | { readonly kind: "own"; readonly pid: number; readonly name: string; readonly args: string }
  | { readonly kind: "other"; readonly uid: number };

export async function findPortHolder(
  port: number,
  platform: string,
  run: RunForOutput = runForOutput,
): Promise<PortHolder | undefined> {
  if (platform !== "linux") return undefined;
  const listing = await run("ss", ["-Hltnpe", `sport = :${port}`]);
  const line = listing?.split("\n").find((l) => l.trim() !== "");
  if (!line) return undefined;
  const user = /\busers:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(line);
  if (!user) {
    // ss shows a process only to its owner (and root); the uid it always shows.
    const uid = /\buid:(\d+)/.exec(line)?.[1];
    return uid !== undefined && Number(uid) !== Deno.uid()
      ? { kind: "other", uid: Number(uid) }
      : undefined;
  }
  const pid = Number(user[2]);
  const args = (await run("ps", ["-o", "args=", "-p", String(pid)]))?.trim() ?? "";
  return { kind: "own", pid, name: printable(user[1], 60) || "a program", args };
}

export async function describePortHolder(
  port: number,
  platform: string,
  run: RunForOutput = runForOutput,
): Promise<string | undefined> {
  const holder = await findPortHolder(port, platform, run);
  if (holder === undefined) return undefined;
  if (holder.kind === "other") return `a program of another user (uid ${holder.uid})`;
  return `${programName(holder.name, holder.args)} (pid ${holder.pid})`;
}

/** "another jim sign-in" when the holder runs this program's code with connect. */
function programName(comm: string, args: string): string {
  const words = args.split(/\s+/);
  const main = Deno.mainModule.startsWith("file://")
    ? decodeURIComponent(new URL(Deno.mainModule).pathname)
    : undefined;
  const exe = Deno.execPath().split(/[\\/]/).pop();
  const isJim = (main !== undefined && /\/main\.ts$/.test(main) && words.includes(main)) ||
    (exe !== undefined && exe !== "deno" && words[0]?.split("/").pop() === exe);
  if (isJim) {
    return words.some((w) => /^(connect|connect-jim)$/i.test(w)) ? "another jim sign-in" : "jim";
  }
  return comm;
}

async function runForOutput(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const output = await new Deno.Command(cmd, {
      args,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(2000),
    }).output();
    return output.success ? new TextDecoder().decode(output.stdout) : undefined;
  } catch {
    return undefined;
  }
}
