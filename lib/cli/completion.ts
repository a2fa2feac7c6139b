// `jim completion SHELL`: completion scripts for bash, zsh, fish and PowerShell, each generated
// from the command table (lib/cli/command_defs.ts) through one shared model.

import { bashScript } from "./completion/bash.ts";
import { fishScript } from "./completion/fish.ts";
import { type CompletionModel, completionModel } from "./completion/model.ts";
import { powershellScript } from "./completion/powershell.ts";
import { zshScript } from "./completion/zsh.ts";

export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
export type Shell = typeof SHELLS[number];

export function isShell(name: string): name is Shell {
  return (SHELLS as readonly string[]).includes(name);
}

const GENERATORS: Record<Shell, typeof bashScript> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
  powershell: powershellScript,
};

/** The completion script for one shell, ending in a newline; the model defaults to COMMANDS. */
export function completionScript(shell: Shell, model: CompletionModel = completionModel()): string {
  const script = GENERATORS[shell](model);
  return script.endsWith("\n") ? script : `${script}\n`;
}

export { completionModel };
