// Help text, generated from the command table so it always matches what the parser accepts:
// every option of a command in both styles, the global options, and every environment
// variable jim reads (tests/help_truth_test.ts checks all three against parser, completion and
// source).

import { usageError } from "../errors.ts";
import {
  type CommandDef,
  COMMANDS,
  findCmdlet,
  findCommand,
  GLOBAL_OPTIONS,
  type OptionDef,
} from "./command_defs.ts";
import { subcommandsOf } from "./parse.ts";
import { echoInput } from "../text.ts";

/** Every environment variable jim reads, and what it does. */
export const ENVIRONMENT: [string, string][] = [
  ["JIM_URL + JIM_API_KEY", "both set: stateless mode, every command uses them directly"],
  ["JIM_URL", "alone: the URL jim connect uses when none is given, and the session to use"],
  ["JIM_API_KEY", "alone: the API key for jim connect"],
  ["JIM_CA_CERT", "PEM CA file to trust (as --ca-cert)"],
  ["JIM_KEYRING", "credential store: auto, secret-tool, native, security, wincred, none"],
  [
    "JIM_KEYRING_TIMEOUT",
    "seconds before a silent credential store counts as unavailable (default 5)",
  ],
  ["JIM_HTTP_TIMEOUT", "seconds per HTTP request (default 30)"],
  ["JIM_AGENT_IDLE_TIMEOUT", "seconds before an idle session agent exits (default 28800)"],
  [
    "JIM_AGENT_TRANSPORT",
    "how commands reach the agent: unix (default), or tcp (default on Windows)",
  ],
  ["JIM_AGENT_SOCKET", "path of the session agent's socket"],
  [
    "JIM_CHILD_ENV",
    "more variables (comma-separated) for the programs jim starts; never JIM_API_KEY",
  ],
  ["HTTPS_PROXY, NO_PROXY", "proxy for HTTPS (also https_proxy, ALL_PROXY); hosts that bypass it"],
  ["BROWSER", "program that opens the sign-in page"],
];

export function generalHelp(): string {
  const visible = COMMANDS.filter((def) => def.name !== "help");
  const width = Math.max(...visible.map((def) => usageOf(def).length));
  const cmdlets = COMMANDS.filter((def) => def.cmdlet);
  return [
    "jim — sign in to JIM (Junctional Identity Manager) and keep the session for later commands.",
    "",
    "Usage: jim <command> [options]",
    "",
    "Commands:",
    ...visible.map((def) => `  ${usageOf(def).padEnd(width)}  ${def.summary}`),
    "",
    ...optionSection("Global options (every command):", [...GLOBAL_OPTIONS, VERSION_OPTION]),
    "",
    "PowerShell style works too, parameter names case-insensitive:",
    ...cmdlets.flatMap((def) => wrap(cmdletLine(def), "  ", "      ")),
    "",
    ...environmentSection(),
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
  const lines = [
    `Usage: jim ${usageOf(def)}${options.length ? " [options]" : ""}`,
    "",
    `${capital(def.summary)}.`,
  ];
  if (def.aliases.length) lines.push("", `Alias: ${def.aliases.map((a) => `jim ${a}`).join(", ")}`);
  if (options.length) lines.push("", ...optionSection("Options:", options));
  lines.push("", ...optionSection("Global options:", GLOBAL_OPTIONS));
  if (def.cmdlet) {
    lines.push("", "Cmdlet style:", ...wrap(cmdletLine(def), "  ", "      "));
    const only = def.options.filter((opt) => opt.cmdletOnly);
    for (const opt of only) lines.push(`  -${opt.cmdlet}: ${opt.description} (cmdlet style only)`);
  }
  if (def.details) lines.push("", def.details);
  lines.push("", ...environmentSection());
  return lines.join("\n");
}

// Only before a command (`jim --version`), so it is not in the command table's globals.
const VERSION_OPTION: OptionDef = {
  name: "version",
  type: "boolean",
  short: "V",
  description: "print jim's version (also: jim version)",
};

// Help lines stay readable in an 100-column terminal.
const WIDTH = 100;

/** `text` on lines of at most WIDTH characters, broken before a `[` (one parameter each). */
function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/ (?=\[)/)) {
    const candidate = line.trim() === "" ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length > WIDTH && line.trim() !== "") {
      lines.push(line);
      line = `${rest}${word}`;
    } else line = candidate;
  }
  lines.push(line);
  return lines;
}

function optionSection(title: string, options: OptionDef[]): string[] {
  const labels = options.map(optionLabel);
  const width = Math.max(0, ...labels.map((label) => label.length));
  return [title, ...options.map((opt, i) => `  ${labels[i].padEnd(width)}  ${opt.description}`)];
}

function environmentSection(): string[] {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  return ["Environment:", ...ENVIRONMENT.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`)];
}

function usageOf(def: CommandDef): string {
  const positionals = def.positionals.map((p) => (p.required ? `<${p.value}>` : `[${p.value}]`));
  return [def.name, ...positionals].join(" ");
}

function optionLabel(opt: OptionDef): string {
  const short = opt.short ? `-${opt.short}, ` : "    ";
  return `${short}--${opt.name}${opt.type === "string" ? ` ${opt.value ?? "VALUE"}` : ""}`;
}

/** `jim Connect-JIM [-Url <URL>] ...`: every parameter cmdlet style takes, globals included. */
function cmdletLine(def: CommandDef): string {
  const params = [...def.options, ...GLOBAL_OPTIONS].filter((opt) => opt.cmdlet);
  return `jim ${def.cmdlet} ${params.map(cmdletUsage).join(" ")}`.trimEnd();
}

function cmdletUsage(opt: OptionDef): string {
  return opt.type === "string" ? `[-${opt.cmdlet} <${opt.value ?? "value"}>]` : `[-${opt.cmdlet}]`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
