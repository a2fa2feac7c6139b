// `jim completion bash|zsh|fish|powershell`: prints the script on stdout, nothing else.

import type { Io } from "../io.ts";
import type { ParsedCommand } from "../parse.ts";
import { usageError } from "../../errors.ts";
import { echoInput } from "../../text.ts";
import { completionScript, isShell, type Shell, SHELLS } from "../completion.ts";

export function parse(command: ParsedCommand): Shell {
  const shell = String(command.values.shell ?? "");
  if (!isShell(shell)) {
    const valid = SHELLS.join(", ");
    throw usageError(
      shell === ""
        ? `a shell is required: one of ${valid}`
        : `unknown shell '${echoInput(shell)}'; use one of ${valid}`,
    );
  }
  return shell;
}

/** Needs only the output streams: no session, network or settings. */
export function run(shell: Shell, deps: { io: Io }): Promise<number> {
  deps.io.out(completionScript(shell));
  return Promise.resolve(0);
}
