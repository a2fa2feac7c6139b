// The dependencies object a command receives: built once per command by buildDeps from this
// process (lib/cli/run.ts calls it) and passed down, so a test can build the same object with
// fakes and run the command in process (tests/connect_decisions_test.ts does, for connect).
//
// What goes through it: the streams (io), the environment, the clock, HTTP (to JIM and to the
// identity provider), the session agent and its start, and, for connect, the credential store,
// the per-instance lock, the browser, the terminal's Ctrl-C and the waits of a device-code
// sign-in. What does not: the browser sign-in's loopback listener binds a real port on this
// machine and keeps its own time limit (a test's scripted browser calls that port); disconnect
// opens the credential store itself (lib/session/stored_sign_in.ts); doctor probes the real
// machine, as is its purpose; the agent process keeps its own.
//
// It lives with the commands because it names their streams (Io) and is built here. The session
// layer declares the part it reads (SessionDeps, lib/session/session_deps.ts) and this object
// extends it, so imports run downward: lib/cli → lib/session → lower layers.

import type { ParsedCommand } from "./parse.ts";
import type { Io } from "./io.ts";
import { lazyImport } from "../lazy_import.ts";
import { AgentClient } from "../session/agent_client.ts";
import type { SessionDeps } from "../session/session_deps.ts";
import type { usableKeyring } from "../session/stored_sign_in.ts";
import { agentEndpoint, currentUid, ensurePrivateDir, parentDir } from "../session/socket_path.ts";
import type { OpenResult } from "../auth/browser_opener.ts";
import type { OnInterrupt } from "../auth/waiting.ts";

const load = <T>(path: string): Promise<T> => lazyImport<T>(import.meta.url, path);

export interface Deps extends SessionDeps {
  io: Io;
  /** Epoch ms: connect's reuse decisions, the expiry of signed-in and refreshed tokens. */
  now(): number;
  /** Reads a file as text, refusing one larger than `limit` bytes. */
  readFile(path: string, limit: number): Promise<string>;
  /** The PEM CA from --ca-cert / JIM_CA_CERT, handed to the agent with the session. */
  caCertPem(): Promise<string | undefined>;
  /**
   * The OS credential store that keeps refresh tokens, probed: null with the reason when it is
   * missing, locked, hung, or turned off (JIM_KEYRING=none).
   */
  credentialStore(): ReturnType<typeof usableKeyring>;
  /** Runs `fn` holding this user's lock on the instance, across processes (instance_lock.ts). */
  withInstanceLock<T>(instanceKey: string, fn: () => Promise<T>): Promise<T>;
  /** Starts the user's browser at `url`; returns once it started or failed, not when it closes. */
  openBrowser(url: string): Promise<OpenResult>;
  /**
   * A directory private to the user for the browser's one-time forwarding page
   * (browser_handoff.ts); undefined hands openBrowser the authorization URL itself, which only
   * a browser inside this process may receive.
   */
  handoffDir(): Promise<string | undefined>;
  /** Names the program holding a loopback port, when it can (port_holder.ts). */
  describePortHolder(port: number): Promise<string | undefined>;
  /** This machine's name, for the SSH forwarding advice; undefined when it cannot be read. */
  hostName(): string | undefined;
  /** Subscribes to Ctrl-C for the length of a sign-in's wait. */
  onInterrupt: OnInterrupt;
  /** Waits between a device-code sign-in's polls. */
  sleep(ms: number): Promise<void>;
}

export function buildDeps(io: Io, command: ParsedCommand): Deps {
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
      const { caHttpClient, readCaCert } = await load<typeof import("../api/ca_cert.ts")>(
        "../api/ca_cert.ts",
      );
      caCertPem = await readCaCert(caPath.path, caPath.source);
      httpClient = caHttpClient(caCertPem, caPath.source);
    }
    if (!trace && !httpClient) return { fetch: globalThis.fetch };
    const { tracedFetch } = await load<typeof import("../api/traced_fetch.ts")>(
      "../api/traced_fetch.ts",
    );
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
      const { idleTimeoutMs } = await load<typeof import("../settings.ts")>("../settings.ts");
      idleTimeoutMs(env);
      const { startAgentProcess } = await load<typeof import("../session/agent_spawn.ts")>(
        "../session/agent_spawn.ts",
      );
      await startAgentProcess();
    },
    readFile: async (path, limit) => {
      const { readFileBounded } = await load<typeof import("../read_file.ts")>("../read_file.ts");
      return readFileBounded(path, limit);
    },
    credentialStore: async () => {
      const { usableKeyring } = await load<typeof import("../session/stored_sign_in.ts")>(
        "../session/stored_sign_in.ts",
      );
      return usableKeyring(platform, env);
    },
    withInstanceLock: async (instanceKey, fn) => {
      const { withInstanceLock } = await load<typeof import("../session/instance_lock.ts")>(
        "../session/instance_lock.ts",
      );
      // Beside the agent's socket, in the private directory (withInstanceLock checks it).
      return withInstanceLock(parentDir(agent.socketPath), uid, instanceKey, fn);
    },
    openBrowser: async (url) => {
      const { openBrowser, runDetached } = await load<
        typeof import("../auth/browser_opener.ts")
      >("../auth/browser_opener.ts");
      return openBrowser(url, { env, platform, run: runDetached });
    },
    handoffDir: privateDir,
    describePortHolder: async (port) => {
      const { describePortHolder } = await load<typeof import("../auth/port_holder.ts")>(
        "../auth/port_holder.ts",
      );
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
