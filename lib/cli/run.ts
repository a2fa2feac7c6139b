// The command runner: parse argv, build the command's dependencies (deps.ts), dispatch to the
// command, map errors to exit codes and one line on stderr. Command modules load only when their
// command runs (lazy dynamic imports: see LAZY_IMPORTS_FLAG in runtime_flags.ts).

import { describeError, exitCodeFor, JimError } from "../errors.ts";
import { type ParsedCommand, parseInvocation } from "./parse.ts";
import type { Deps } from "./deps.ts";
import { denoIo, type Io } from "./io.ts";
import { VERSION } from "../version.ts";
import { COMMAND_MODULES } from "./command_modules.ts";
import { AgentClient } from "../session/agent_client.ts";
import { agentEndpoint, currentUid, ensurePrivateDir, parentDir } from "../session/socket_path.ts";

async function main(argv: string[], io: Io): Promise<number> {
  let invocation;
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    io.err(describeError(error));
    return exitCodeFor(error);
  }
  if (invocation.kind === "version") {
    io.out(`jim ${VERSION}`);
    return 0;
  }
  if (invocation.kind === "help") return help(io, invocation.topic);
  const command = invocation.command;
  if (command.values.help) return help(io, command.def.name);
  if (command.def.name === "completion") {
    // Needs no session, network or settings: a bad JIM_CA_CERT must not break a shell's rc file.
    const completion = await import("./commands/completion.ts");
    try {
      return await completion.run(completion.parse(command), { io });
    } catch (error) {
      io.err(`${command.display}: ${describeError(error)}`);
      return exitCodeFor(error);
    }
  }
  try {
    const deps = buildDeps(io, command);
    const load = COMMAND_MODULES[command.def.name];
    if (!load) throw new JimError("usage", `unknown command '${command.def.name}'`);
    const { parse, run } = await load();
    return await run(parse(command, deps.env), deps);
  } catch (error) {
    io.err(`${command.display}: ${describeCommandError(error, command)}`);
    return exitCodeFor(error);
  }
}

async function help(io: Io, topic?: string): Promise<number> {
  const { commandHelp, generalHelp } = await import("./help.ts");
  try {
    io.out(topic ? commandHelp(topic) : generalHelp());
    return 0;
  } catch (error) {
    io.err(describeError(error));
    return exitCodeFor(error);
  }
}

function describeCommandError(error: unknown, command: ParsedCommand): string {
  if (error instanceof JimError && error.code === "not_connected") {
    const advice = command.style === "cmdlet"
      ? "Run Connect-JIM -Url <your JIM URL> to authenticate, then try again."
      : "Run jim connect <your JIM URL> to authenticate, then try again.";
    return `You are not connected to JIM. ${advice}`;
  }
  return describeError(error);
}

function buildDeps(io: Io, command: ParsedCommand): Deps {
  const env = {
    get: (name: string) => Deno.env.get(name),
  };
  const platform = Deno.build.os;
  const uid = currentUid();
  const trace = command.values.verbose ? (line: string) => io.err(`* ${line}`) : undefined;
  const caPath = typeof command.values["ca-cert"] === "string"
    ? {
      path: command.values["ca-cert"],
      source: command.style === "cmdlet" ? "-CaCert" : "--ca-cert",
    }
    : env.get("JIM_CA_CERT")
    ? { path: env.get("JIM_CA_CERT")!, source: "JIM_CA_CERT" }
    : undefined;
  // Only connect and stateless calls make requests from this process; agent commands must not
  // pay for reading the CA file and building its TLS client (measured: ~10 ms per command).
  let network: Promise<{ fetch: typeof fetch; caCertPem?: string }> | undefined;
  const setUpNetwork = async () => {
    let caCertPem: string | undefined;
    let httpClient: Deno.HttpClient | undefined;
    if (caPath) {
      const { caHttpClient, readCaCert } = await import("../api/ca_cert.ts");
      caCertPem = await readCaCert(caPath.path, caPath.source);
      httpClient = caHttpClient(caCertPem, caPath.source);
    }
    if (!trace && !httpClient) return { fetch: globalThis.fetch };
    const { tracedFetch } = await import("../api/traced_fetch.ts");
    return { fetch: tracedFetch(globalThis.fetch, { httpClient, trace }), caCertPem };
  };
  const ready = () => network ??= setUpNetwork();
  const agent = new AgentClient(agentEndpoint(env, uid));
  // The agent's directory: checked to be the user's own and 0700 before anything is put there.
  const privateDir = async () => {
    const dir = parentDir(agent.socketPath);
    await ensurePrivateDir(dir, uid);
    return dir;
  };
  return {
    io,
    env,
    now: Date.now,
    platform,
    fetch: async (input, init) => (await ready()).fetch(input, init),
    trace,
    instanceUrl: typeof command.values.url === "string" ? command.values.url : undefined,
    caCertPem: async () => (await ready()).caCertPem,
    agent,
    startAgent: async () => {
      // The agent reads this too; a bad value is the user's to hear about here, not a silent
      // agent that exits at start.
      const { idleTimeoutMs } = await import("../settings.ts");
      idleTimeoutMs(env);
      const { startAgentProcess } = await import("../session/agent_spawn.ts");
      await startAgentProcess();
    },
    readFile: async (path, limit) => {
      const { readFileBounded } = await import("../read_file.ts");
      return readFileBounded(path, limit);
    },
    credentialStore: async () => {
      const { usableKeyring } = await import("../session/stored_sign_in.ts");
      return usableKeyring(platform, env);
    },
    withInstanceLock: async (instanceKey, fn) => {
      const { withInstanceLock } = await import("../session/instance_lock.ts");
      // Beside the agent's socket, in the private directory (withInstanceLock checks it).
      return withInstanceLock(parentDir(agent.socketPath), uid, instanceKey, fn);
    },
    openBrowser: async (url) => {
      const { openBrowser, runDetached } = await import("../auth/browser_opener.ts");
      return openBrowser(url, { env, platform, run: runDetached });
    },
    handoffDir: privateDir,
    describePortHolder: async (port) => {
      const { describePortHolder } = await import("../auth/port_holder.ts");
      return describePortHolder(port, platform);
    },
    hostName: () => {
      try {
        return Deno.hostname();
      } catch {
        return undefined;
      }
    },
    onInterrupt: (cancel) => {
      Deno.addSignalListener("SIGINT", cancel);
      return () => Deno.removeSignalListener("SIGINT", cancel);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/**
 * Runs one command and ends the process with its exit code. Every line is already written
 * (synchronously), so jim exits at once rather than through the runtime's orderly teardown, which
 * would add to every command (measured: 1.4 ms to `jim api`, 2.7 ms to `jim test-connection`).
 * What a command started and did not wait for ends with it: a browser opener still in its grace
 * period (whose late "could not open" notice no longer matters once sign-in is done), a keyring
 * call already given up on. The session agent instead ends the ordinary way, letting anything
 * still in flight finish.
 */
export async function runCli(argv: string[]): Promise<void> {
  const agent = argv[0] === "__agent";
  const io = denoIo();
  let code: number;
  try {
    code = agent ? await runAgentProcess() : await main(argv, io);
  } catch (error) {
    io.err(`jim: ${describeError(error)}`);
    code = exitCodeFor(error);
  }
  if (agent) Deno.exitCode = code;
  else Deno.exit(code);
}

async function runAgentProcess(): Promise<number> {
  const { agentMain } = await import("../session/agent_main.ts");
  return agentMain();
}
