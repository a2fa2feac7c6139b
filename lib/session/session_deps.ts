// The part of a command's dependencies the session layer reads: the agent, and the environment,
// HTTP and stderr its own steps use (adopting a session, verifying a server, a stateless call).
// It is declared here rather than beside the whole object (lib/cli/deps.ts), which names the
// command's streams and is built by the command runner: the commands' Deps extends this one, so
// session modules import nothing from the layer above them.

import type { Env } from "../env.ts";
import type { AgentClient } from "./agent_client.ts";

/** The session agent as commands reach it: AgentClient's surface, which a test's fake can fill. */
export type Agent = Pick<
  AgentClient,
  "endpoint" | "socketPath" | "send" | "stream" | "hello" | "shutdownOlder"
>;

export interface SessionDeps {
  /** Notices, warnings and progress, one line each, for stderr. */
  io: { err(text: string): void };
  env: Env;
  platform: typeof Deno.build.os;
  /** Every HTTP request of the command: to JIM and to the identity provider. */
  fetch: typeof fetch;
  agent: Agent;
  /** Starts a session agent in the background and returns once it listens. */
  startAgent(): Promise<void>;
  /** --verbose: a line per HTTP step and per retry, already redacted. */
  trace?: (line: string) => void;
  /** --url / -Url: the instance whose session the command uses (see session_port.ts). */
  instanceUrl?: string;
}
