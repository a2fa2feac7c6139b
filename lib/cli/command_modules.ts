// Which module runs each command of the table in command_defs.ts. Every command module exports
// the same pair: `parse` turns the parsed command line into the command's options (usage errors
// are thrown here), `run` carries them out and returns the exit code. A module is imported when
// its command runs, so a command loads only its own code. `completion` is run apart, before the
// dependencies exist (lib/cli/run.ts); `help` is answered by the parser.

import type { Env } from "../env.ts";
import type { Deps } from "./deps.ts";
import type { ParsedCommand } from "./parse.ts";

export interface CommandModule {
  parse(command: ParsedCommand, env: Env): unknown;
  run(options: unknown, deps: Deps): Promise<number>;
}

export const COMMAND_MODULES: Readonly<Record<string, () => Promise<CommandModule>>> = {
  "connect": () => import("./commands/connect.ts"),
  "disconnect": () => import("./commands/disconnect.ts"),
  "test-connection": () => import("./commands/test_connection.ts"),
  "doctor": () => import("./commands/doctor.ts"),
  "whoami": () => import("./commands/whoami.ts"),
  "connected-system list": () => import("./commands/connected_system.ts"),
  "connected-system get": () => import("./commands/connected_system.ts"),
  "api": () => import("./commands/api.ts"),
};
