// The session agents a benchmark run starts: finding their process id over the socket, reading
// their resident memory, and making sure none outlives the run.

import { AgentClient } from "../lib/session/agent_client.ts";
import type { JimEnv } from "../tests/helpers/run_jim.ts";
import { isAlive, killPid, onCleanup } from "./cleanup.ts";

/** Tracks every agent started in one JimEnv so the run can stop them by id. */
export class AgentTracker {
  readonly client: AgentClient;
  readonly #env: JimEnv;
  readonly #pids = new Set<number>();

  constructor(env: JimEnv) {
    this.#env = env;
    this.client = new AgentClient({ kind: "unix", path: env.socketPath, uid: Deno.uid() });
  }

  /** Asks the running agent for its pid (the `hello` operation) and remembers it. */
  async pid(): Promise<number> {
    const hello = await this.client.send({ op: "hello" }) as { pid?: unknown };
    if (typeof hello?.pid !== "number") throw new Error("the agent's hello carried no pid");
    this.#pids.add(hello.pid);
    return hello.pid;
  }

  /** `jim disconnect`, then kills any agent of this environment still alive. */
  async stopAll(): Promise<void> {
    await this.#env.run(["disconnect"], { killAfterMs: 20_000 }).catch(() => {});
    for (const pid of this.#pids) {
      if (this.#isOurs(pid)) await killPid(pid);
      this.#pids.delete(pid);
    }
  }

  /** Waits until no agent answers on the socket (after a disconnect). */
  async waitGone(limitMs = 10_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      try {
        await this.client.send({ op: "hello" });
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stopAll();
  }

  /** Guards against pid reuse: only a live `jim __agent` of this run's runtime dir is ours. */
  #isOurs(pid: number): boolean {
    if (!isAlive(pid)) return false;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      const environ = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
      return cmdline.includes("__agent") &&
        environ.includes(`XDG_RUNTIME_DIR=${this.#env.vars.XDG_RUNTIME_DIR}`);
    } catch {
      return false;
    }
  }
}

/** Registers the environment's agents and directory for stopping; returns the early stop. */
export function trackEnv(env: JimEnv, agents: AgentTracker): () => Promise<void> {
  return onCleanup(`jim environment ${env.dir}`, async () => {
    await agents.stopAll();
    await env.dispose();
  });
}

/** Resident set size of a process in KiB (VmRSS in /proc/<pid>/status). */
export function residentKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
