// The real KeyringDeps: a Deno.Command runner that feeds stdin, caps output and kills the child
// at the deadline, a PATH lookup, and the dynamic import of the native addon (so start-up never
// pays for it unless a native backend is actually used).

import type { CommandRunner, KeyringDeps, NativeKeyringModule, RunResult } from "./keyring.ts";
import { BASE_VARS, childEnv, SESSION_VARS } from "../child_env.ts";
import { startDeadline, withDeadline } from "../deadline.ts";
import { openWincredApi, type WincredApi } from "./wincred_api.ts";

const MAX_OUTPUT_BYTES = 1 << 20;
// secret-tool finds the Secret Service through the session bus (or autolaunches it from
// XDG_RUNTIME_DIR or DISPLAY); security and cmdkey need only home and the system dirs.
const STORE_TOOL_VARS = [...BASE_VARS, ...SESSION_VARS];

export interface SystemDepsOptions {
  /** PATH to search for executables; defaults to this process's PATH. */
  path?: string;
  /**
   * Variables added to every child's environment (tests point children at a private bus). The
   * rest of the environment is cleared down to what credential-store tools need.
   */
  env?: Record<string, string>;
}

export function systemDeps(options: SystemDepsOptions = {}): KeyringDeps {
  return {
    run: commandRunner(options.env),
    which: (name) => whichOnPath(name, options.path ?? Deno.env.get("PATH") ?? ""),
    loadNative: loadNativeAddon,
    openWincred,
  };
}

let wincredApi: WincredApi | undefined;

function openWincred(): WincredApi {
  wincredApi ??= openWincredApi();
  return wincredApi;
}

function loadNativeAddon(): Promise<NativeKeyringModule> {
  return import("@napi-rs/keyring") as Promise<NativeKeyringModule>;
}

export function commandRunner(baseEnv: Record<string, string> = {}): CommandRunner {
  return (command, args, options) =>
    runCommand(command, args, { ...options, env: { ...baseEnv, ...options.env } });
}

async function runCommand(
  command: string,
  args: string[],
  options: Parameters<CommandRunner>[2],
): Promise<RunResult> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: options.discardStdout ? "null" : "piped",
      stderr: "piped",
      clearEnv: true,
      env: childEnv(STORE_TOOL_VARS, options.env),
    }).spawn();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? `${command} is not installed`
      : `${command} could not be started: ${error instanceof Error ? error.message : error}`;
    return { kind: "spawn_failed", reason };
  }

  let timedOut = false;
  const deadline = startDeadline(options.timeoutMs, () => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  });

  const stdout = options.discardStdout ? null : drain(child.stdout);
  const stderr = drain(child.stderr);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    // A child that exits without reading stdin makes these reject (broken pipe): that is its
    // exit status's business, not ours.
    await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const status = await child.status;
  deadline.cancel();

  // A grandchild may still hold the pipes open after the child exited; never wait on it for
  // longer than a short grace period.
  const grace = timedOut ? 0 : 250;
  const [out, err] = await Promise.all([
    stdout?.finish(grace) ?? Promise.resolve(""),
    stderr.finish(grace),
  ]);
  if (timedOut) return { kind: "timed_out", stderr: err };
  return { kind: "exited", code: status.code, stdout: out, stderr: err };
}

interface Drain {
  finish(graceMs: number): Promise<string>;
}

function drain(stream: ReadableStream<Uint8Array>): Drain {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const done = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        if (size < MAX_OUTPUT_BYTES) {
          chunks.push(value);
          size += value.length;
        }
      }
    } catch {
      // cancelled
    }
  })();
  return {
    async finish(graceMs) {
      await withDeadline(done, graceMs, () => {});
      await reader.cancel().catch(() => {});
      await done;
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      return new TextDecoder().decode(bytes);
    },
  };
}

/** The first executable called `name` on `path`, or null. */
export function whichOnPath(name: string, path: string): string | null {
  const windows = Deno.build.os === "windows";
  const separator = windows ? ";" : ":";
  const extensions = windows
    ? ["", ...(Deno.env.get("PATHEXT") ?? ".EXE;.CMD;.BAT;.COM").split(";")]
    : [""];
  for (const dir of path.split(separator)) {
    if (dir === "") continue;
    for (const extension of extensions) {
      const candidate = `${dir.replace(/[\\/]+$/, "")}${windows ? "\\" : "/"}${name}${extension}`;
      try {
        const info = Deno.statSync(candidate);
        if (!info.isFile) continue;
        if (!windows && info.mode !== null && (info.mode & 0o111) === 0) continue;
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}
