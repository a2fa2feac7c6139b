// Starts the session agent as a detached background process (its own session, no terminal),
// re-running this same program: the compiled binary, or main.ts under the binary's permissions.

import { withDeadline } from "../deadline.ts";
import { JimError } from "../errors.ts";
import { AGENT_V8_FLAGS, denoRunArgs, pathFromFileUrl } from "../runtime_flags.ts";
import { BASE_VARS, childEnv, PROXY_VARS, SESSION_VARS } from "../child_env.ts";

export const AGENT_COMMAND = "__agent";
const READY_TIMEOUT_MS = 20_000;

// The agent's settings (lib/settings.ts, socket_path.ts, keyring/select.ts), what its keyring
// tools and HTTP client need, and what `deno run` needs to find its cache when jim runs from a
// checkout. Never JIM_API_KEY or JIM_URL: a session reaches the agent over its socket only.
export const AGENT_VARS = [
  ...BASE_VARS,
  ...SESSION_VARS,
  ...PROXY_VARS,
  "JIM_AGENT_SOCKET",
  "JIM_AGENT_TRANSPORT",
  "JIM_AGENT_IDLE_TIMEOUT",
  "JIM_HTTP_TIMEOUT",
  "JIM_KEYRING",
  "JIM_KEYRING_TIMEOUT",
  "NAPI_RS_NATIVE_LIBRARY_PATH",
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NO_COLOR",
] as const;

export function agentArgv(): string[] {
  if (Deno.build.standalone) return [Deno.execPath(), AGENT_COMMAND];
  const main = pathFromFileUrl(new URL("../../main.ts", import.meta.url));
  // Without the code cache: the agent's V8 flags differ from the commands' (runtime_flags.ts).
  return [
    Deno.execPath(),
    ...denoRunArgs(AGENT_V8_FLAGS, ["--no-code-cache"]),
    main,
    AGENT_COMMAND,
  ];
}

/** Spawns the agent and waits for its one-line readiness report on stdout. */
export async function startAgentProcess(): Promise<void> {
  const [command, ...args] = agentArgv();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      detached: true,
      // The agent outlives this command: it must not pin the directory it was started in.
      cwd: "/",
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      clearEnv: true,
      // The compiled binary takes its extra V8 flags from the environment.
      env: childEnv(AGENT_VARS, Deno.build.standalone ? { DENO_V8_FLAGS: AGENT_V8_FLAGS } : {}),
    }).spawn();
  } catch (error) {
    throw new JimError("agent", `cannot start the session agent: ${(error as Error).message}`);
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const first = await withDeadline(firstLine(reader), READY_TIMEOUT_MS, () => {
      throw new JimError("agent", "the session agent did not start in time");
    }).catch((error) => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      throw error;
    });
    let report: { ready?: boolean; error?: string } = {};
    try {
      report = JSON.parse(first ?? "{}");
    } catch { /* reported below */ }
    if (!report.ready) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      const status = first === null ? await child.status : null;
      throw new JimError(
        "agent",
        report.error ??
          `the session agent exited during start-up (exit code ${status?.code ?? "unknown"})`,
      );
    }
  } finally {
    await reader.cancel().catch(() => {});
    child.unref();
  }
}

async function firstLine(reader: ReadableStreamDefaultReader<string>): Promise<string | null> {
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return text === "" ? null : text;
    text += value;
    const newline = text.indexOf("\n");
    if (newline >= 0) return text.slice(0, newline);
  }
}
