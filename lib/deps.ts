// The one dependencies object: built once per command in lib/cli/run.ts, passed down, and
// replaced field by field in tests. Commands reach the outside world through it.

import type { Env } from "./env.ts";
import type { Io } from "./cli/io.ts";
import type { AgentClient } from "./session/agent_client.ts";

export interface Deps {
  io: Io;
  env: Env;
  now(): number;
  platform: typeof Deno.build.os;
  fetch: typeof fetch;
  /** The session agent's socket client. */
  agent: AgentClient;
  /** Starts a session agent in the background and returns once it listens. */
  startAgent(): Promise<void>;
  /** Reads a file as text, refusing one larger than `limit` bytes. */
  readFile(path: string, limit: number): Promise<string>;
  /** --verbose: one line per HTTP step, already redacted. */
  trace?: (line: string) => void;
  /** --url / -Url: the instance whose session the command uses (see session_port.ts). */
  instanceUrl?: string;
  /** The PEM CA from --ca-cert / JIM_CA_CERT, handed to the agent with the session. */
  caCertPem(): Promise<string | undefined>;
}
