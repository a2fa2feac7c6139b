// Runs the jim CLI as a subprocess with exactly the permission set the compiled binary gets
// (deno.json "permissions.jim"), or $JIM_BIN when a compiled binary is at hand. The one place
// tests start jim and stop it: to its end (runJim), or live, read and killed while it runs
// (startJim, spawnJim), inside a shell or a terminal when the test needs one.

import {
  type ChildResult,
  type GuardedChild,
  runGuarded,
  startGuarded,
} from "../../fixtures/child_process.ts";
import { denoRunArgs, pathFromFileUrl } from "../../lib/runtime_flags.ts";
import { PROTOCOL_VERSION } from "../../lib/session/protocol.ts";
import { rawExchange } from "./agent_socket.ts";
import { FIXTURE_CHILD_ENV } from "../../fixtures/child_env_names.ts";

const ROOT = new URL("../../", import.meta.url);
export const ROOT_DIR = pathFromFileUrl(ROOT).replace(/\/$/, "");
export const MAIN = `${ROOT_DIR}/main.ts`;
export const CONFIG = `${ROOT_DIR}/deno.json`;

/** The argv prefix that starts jim: compiled binary, or deno run with the binary's permissions. */
export function jimCommand(): string[] {
  const bin = Deno.env.get("JIM_BIN");
  if (bin) return [bin];
  return [...denoRunFlags(), MAIN];
}

/** `deno run` with the flags jim runs with (permissions, V8 flags, config); add a script. */
export function denoRunFlags(): string[] {
  return [Deno.execPath(), ...denoRunArgs()];
}

export type JimResult = ChildResult;

export interface RunOptions {
  /** jim's whole environment (nothing else is inherited); without it, this process's. */
  env?: Record<string, string>;
  stdin?: string;
  /** Kill the process after this many ms (a guard against hangs, not a timing assert). */
  killAfterMs?: number;
  cwd?: string;
  /** The argv that starts jim instead of jimCommand(): an installed launcher, other deno flags. */
  command?: string[];
}

const KILL_AFTER_MS = 60_000;
// Only the bound past which a stopped agent counts as hung, not a timing assert.
const AGENT_EXIT_BOUND_MS = 30_000;

/** A throwaway environment: its own HOME, runtime dir (agent socket) and temp dir. */
export class JimEnv {
  readonly dir: string;
  readonly vars: Record<string, string>;

  private constructor(dir: string, vars: Record<string, string>) {
    this.dir = dir;
    this.vars = vars;
  }

  static async create(extra: Record<string, string> = {}): Promise<JimEnv> {
    const dir = await Deno.makeTempDir({ prefix: "jim-test-" });
    const home = `${dir}/home`;
    const runtime = `${dir}/run`;
    const tmp = `${dir}/tmp`;
    for (const d of [home, runtime, tmp]) await Deno.mkdir(d, { mode: 0o700 });
    // Windows has no POSIX modes (Deno.chmod throws there); the temp dir is the user's own.
    if (Deno.build.os !== "windows") await Deno.chmod(runtime, 0o700);
    const vars: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      TMPDIR: tmp,
      JIM_KEYRING: "none",
      NO_COLOR: "1",
      JIM_CHILD_ENV: FIXTURE_CHILD_ENV,
      ...windowsVars(home, tmp, runtime),
      ...extra,
    };
    const denoDir = Deno.env.get("DENO_DIR");
    if (denoDir) vars.DENO_DIR = denoDir;
    else vars.DENO_DIR = `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
    return new JimEnv(dir, vars);
  }

  get socketPath(): string {
    return `${this.vars.XDG_RUNTIME_DIR}/jim/agent.sock`;
  }

  run(args: string[], options: RunOptions = {}): Promise<JimResult> {
    return runJim(args, { ...options, env: { ...this.vars, ...options.env } });
  }

  /**
   * Ends this environment's agent the way logout or a crash would, without disconnecting (so
   * nothing is revoked or forgotten): a bare shutdown, then its socket gone. No agent: nothing.
   */
  async stopAgent(): Promise<void> {
    const answered = await rawExchange(
      { path: this.socketPath },
      `{"v":${PROTOCOL_VERSION},"op":"shutdown"}\n`,
    ).then(() => true, () => false);
    if (!answered) return;
    const deadline = Date.now() + AGENT_EXIT_BOUND_MS;
    while (await Deno.lstat(this.socketPath).then(() => true, () => false)) {
      if (Date.now() > deadline) {
        throw new Error(`the agent's socket is still there ${AGENT_EXIT_BOUND_MS / 1000} s later`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Ends any agent this environment started, then removes the directory. */
  async dispose(): Promise<void> {
    // No socket or port file: no agent was ever started here, nothing to end.
    const agentStarted = await Deno.lstat(this.socketPath).then(() => true, () => false);
    if (agentStarted) await this.run(["disconnect"], { killAfterMs: 20_000 }).catch(() => {});
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * On Windows a process needs SystemRoot and friends to start at all (Winsock, DLL loading), and
 * the agent's port file lives under LOCALAPPDATA: pin it where socketPath looks.
 */
function windowsVars(home: string, tmp: string, runtime: string): Record<string, string> {
  if (Deno.build.os !== "windows") return {};
  const vars: Record<string, string> = {
    USERPROFILE: home,
    TEMP: tmp,
    TMP: tmp,
    LOCALAPPDATA: runtime,
    JIM_AGENT_SOCKET: `${runtime}/jim/agent.sock`,
  };
  for (const name of ["SystemRoot", "SYSTEMDRIVE", "windir", "COMSPEC", "PATHEXT"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}

export function runJim(args: string[], options: RunOptions = {}): Promise<JimResult> {
  return runGuarded([...(options.command ?? jimCommand()), ...args], {
    env: options.env,
    clearEnv: options.env !== undefined,
    cwd: options.cwd,
    input: options.stdin,
    killAfterMs: options.killAfterMs ?? KILL_AFTER_MS,
  });
}

export interface StartOptions {
  /** jim's whole environment: nothing else is inherited. */
  env: Record<string, string>;
  stdin?: "null" | "piped";
  stdout?: "null" | "piped";
  stderr?: "null" | "piped";
  /** Kill jim after this many ms (a guard against hangs, not a timing assert). */
  killAfterMs?: number;
  /** Runs jim inside another program (a shell, a terminal): jim's argv in, the argv to run out. */
  within?: (jimArgv: string[]) => string[];
}

/** Starts jim and leaves it running: the test reads its pipes, and `ended` or `kill` stop it. */
export function startJim(args: string[], options: StartOptions): GuardedChild {
  const argv = [...jimCommand(), ...args];
  return startGuarded(options.within ? options.within(argv) : argv, {
    env: options.env,
    clearEnv: true,
    stdin: options.stdin,
    stdout: options.stdout,
    stderr: options.stderr,
    killAfterMs: options.killAfterMs ?? KILL_AFTER_MS,
  });
}

/** A running jim whose stderr can be read line by line while it runs (device code, prompts). */
export interface LiveJim {
  /** Resolves with the first stderr line matching `pattern` (the lines seen so far stay readable). */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Waits for exit and returns everything it wrote. */
  done(): Promise<JimResult>;
}

export function spawnJim(
  args: string[],
  env: Record<string, string>,
  killAfterMs = KILL_AFTER_MS,
): LiveJim {
  const jim = startJim(args, { env, killAfterMs });
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const line = stderr.split("\n").find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  const stderrDone = (async () => {
    for await (const chunk of jim.child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      check();
    }
  })();
  const stdoutDone = new Response(jim.child.stdout).text();
  return {
    waitForLine(pattern) {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        stderrDone.then(() => {
          if (waiters.some((w) => w.resolve === resolve)) {
            reject(new Error(`jim ended without printing ${pattern}; stderr:\n${stderr}`));
          }
        });
      });
    },
    async done() {
      const [code, stdout] = await Promise.all([jim.ended(), stdoutDone, stderrDone]);
      return { code, stdout, stderr };
    },
  };
}
