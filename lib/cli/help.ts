// Help text, generated from the command table so it always matches what the parser accepts.

import { usageError } from "../errors.ts";
import {
  type CommandDef,
  COMMANDS,
  findCmdlet,
  findCommand,
  type OptionDef,
} from "./command_defs.ts";
import { subcommandsOf } from "./parse.ts";
import { echoInput } from "../text.ts";

export function generalHelp(): string {
  const visible = COMMANDS.filter((def) => def.name !== "help");
  const width = Math.max(...visible.map((def) => usageOf(def).length));
  return [
    "jim — sign in to JIM (Junctional Identity Manager) and keep the session for later commands.",
    "",
    "Usage: jim <command> [options]",
    "",
    "Commands:",
    ...visible.map((def) => `  ${usageOf(def).padEnd(width)}  ${def.summary}`),
    "",
    "PowerShell style works too: jim Connect-JIM -Url <url> [-ApiKey <key>] [-Force] [-NoPersist]",
    "  [-TimeoutSeconds N], jim Disconnect-JIM [-Url <url>] [-All], jim Test-JIMConnection [-Quiet],",
    "  jim Get-JIMConnectedSystem [-Id N] [-Name PATTERN]",
    "",
    "Environment:",
    "  JIM_URL + JIM_API_KEY     stateless mode: every command uses them directly, no agent",
    "  JIM_API_KEY               API key for jim connect",
    "  JIM_KEYRING               credential store: auto, secret-tool, native, security, wincred, none",
    "  JIM_HTTP_TIMEOUT          seconds per HTTP request (default 30)",
    "  JIM_AGENT_IDLE_TIMEOUT    seconds before an idle session agent exits (default 28800)",
    "  JIM_AGENT_SOCKET          path of the session agent's socket",
    "  BROWSER                   program that opens the sign-in page",
    "",
    "Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 not connected.",
    "Run 'jim help <command>' for a command's options.",
  ].join("\n");
}

export function commandHelp(topic: string): string {
  const def = findCommand(topic) ?? findCmdlet(topic);
  if (!def) {
    const subs = subcommandsOf(topic);
    if (subs.length > 0) {
      return [
        `Usage: jim ${topic} <${subs.join("|")}> [options]`,
        "",
        ...subs.map((sub) => `  jim ${topic} ${sub}: ${findCommand(`${topic} ${sub}`)?.summary}`),
      ].join("\n");
    }
    throw usageError(`jim: no help for '${echoInput(topic)}': unknown command; run 'jim help'`);
  }
  const options = def.options.filter((opt) => !opt.cmdletOnly);
  const labels = options.map(optionLabel);
  const width = Math.max(0, ...labels.map((label) => label.length));
  const lines = [
    `Usage: jim ${usageOf(def)}${options.length ? " [options]" : ""}`,
    "",
    `${capital(def.summary)}.`,
  ];
  if (def.aliases.length) lines.push("", `Alias: ${def.aliases.map((a) => `jim ${a}`).join(", ")}`);
  if (options.length) {
    lines.push("", "Options:");
    options.forEach((opt, i) => lines.push(`  ${labels[i].padEnd(width)}  ${opt.description}`));
  }
  if (def.cmdlet) {
    const params = def.options.filter((opt) => opt.cmdlet && opt.name !== "json");
    lines.push(
      "",
      `Cmdlet style: jim ${def.cmdlet} ${params.map((opt) => cmdletUsage(opt)).join(" ")}`
        .trimEnd(),
    );
  }
  if (def.details) lines.push("", def.details);
  return lines.join("\n");
}

function usageOf(def: CommandDef): string {
  const positionals = def.positionals.map((p) => (p.required ? `<${p.value}>` : `[${p.value}]`));
  return [def.name, ...positionals].join(" ");
}

function optionLabel(opt: OptionDef): string {
  const short = opt.short ? `-${opt.short}, ` : "    ";
  return `${short}--${opt.name}${opt.type === "string" ? ` ${opt.value ?? "VALUE"}` : ""}`;
}

function cmdletUsage(opt: OptionDef): string {
  return opt.type === "string" ? `[-${opt.cmdlet} <${opt.value ?? "value"}>]` : `[-${opt.cmdlet}]`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
