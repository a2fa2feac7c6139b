// `jim completion bash|zsh|fish|powershell`: prints the script on stdout, nothing else.

import type { Io } from "../io.ts";
import { usageError } from "../../errors.ts";
import { echoInput } from "../../text.ts";
import { completionScript, isShell, SHELLS } from "../completion.ts";

export function runCompletion(shell: string, io: Io): Promise<number> {
  if (!isShell(shell)) {
    const valid = SHELLS.join(", ");
    throw usageError(
      shell === ""
        ? `a shell is required: one of ${valid}`
        : `unknown shell '${echoInput(shell)}'; use one of ${valid}`,
    );
  }
  io.out(completionScript(shell));
  return Promise.resolve(0);
}
