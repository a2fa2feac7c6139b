// Turns argv into a command and its values, in GNU style (`jim connect URL --force`) or cmdlet
// style (`jim Connect-JIM -Url URL -Force`, case-insensitive, as the PowerShell module takes).

import { parseGnuArgs } from "./gnu_args.ts";
import { usageError } from "../errors.ts";
import { echoInput } from "../text.ts";

import {
  type CommandDef,
  COMMANDS,
  findCmdlet,
  findCommand,
  GLOBAL_OPTIONS,
  type OptionDef,
} from "./command_defs.ts";

export type Values = Record<string, string | boolean | undefined>;

export interface ParsedCommand {
  def: CommandDef;
  style: "gnu" | "cmdlet";
  /** What the user typed to name the command: "jim whoami" or "Get-JIMConnectedSystem". */
  display: string;
  values: Values;
}

export type Invocation =
  | { kind: "version" }
  | { kind: "help"; topic?: string }
  | { kind: "command"; command: ParsedCommand };

const GROUPS = ["connected-system"];

export function parseInvocation(argv: string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h") return { kind: "help" };
  if (first === "--version" || first === "-V" || first === "version") return { kind: "version" };
  if (first === "help") {
    if (rest.length > 2) throw usageError("jim: help takes at most one command name");
    return { kind: "help", topic: rest.length ? rest.join(" ") : undefined };
  }
  if (first.startsWith("-")) {
    throw usageError(`jim: unknown option '${echoInput(first)}'; run 'jim help'`);
  }
  const cmdlet = findCmdlet(first);
  if (cmdlet) return { kind: "command", command: parseCmdlet(cmdlet, first, rest) };

  let name = first;
  let args = rest;
  if (GROUPS.includes(first)) {
    const sub = rest[0];
    if (sub === undefined || sub.startsWith("-")) {
      if (sub === "--help" || sub === "-h") return { kind: "help", topic: first };
      throw usageError(`jim ${first}: needs a subcommand: ${subcommandsOf(first).join(", ")}`);
    }
    name = `${first} ${sub}`;
    args = rest.slice(1);
  }
  const def = findCommand(name);
  if (!def) {
    throw usageError(`jim: unknown command '${echoInput(name)}'; run 'jim help' for the list`);
  }
  return { kind: "command", command: parseGnu(def, args) };
}

export function subcommandsOf(group: string): string[] {
  return COMMANDS.filter((def) => def.name.startsWith(`${group} `))
    .map((def) => def.name.slice(group.length + 1));
}

function parseGnu(def: CommandDef, args: string[]): ParsedCommand {
  const display = `jim ${def.name}`;
  const options = [...def.options, ...GLOBAL_OPTIONS].filter((opt) => !opt.cmdletOnly);
  const parsed = parseGnuArgs(args, options, display, def.name);
  const values: Values = { ...parsed.values };
  assignPositionals(def, display, parsed.positionals, values, "gnu");
  return { def, style: "gnu", display, values };
}

function parseCmdlet(def: CommandDef, typed: string, args: string[]): ParsedCommand {
  const display = def.cmdlet ?? typed;
  const params = [...def.options, ...GLOBAL_OPTIONS].filter((opt) => opt.cmdlet || opt.short);
  const values: Values = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!/^-[A-Za-z]/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = splitInline(arg.slice(1));
    const opt = matchParameter(params, rawName, display);
    if (opt.type === "boolean") {
      values[opt.name] = inline === undefined ? true : parseSwitchValue(inline, display, opt);
    } else {
      const value = inline ?? args[++i];
      if (value === undefined) {
        throw usageError(`${display}: missing a value for parameter -${opt.cmdlet}`);
      }
      values[opt.name] = value;
    }
  }
  assignPositionals(def, display, positionals, values, "cmdlet");
  return { def, style: "cmdlet", display, values };
}

function assignPositionals(
  def: CommandDef,
  display: string,
  positionals: string[],
  values: Values,
  style: "gnu" | "cmdlet",
): void {
  if (positionals.length > def.positionals.length) {
    const extra = positionals[def.positionals.length];
    throw usageError(`${display}: unexpected argument '${echoInput(extra)}'`);
  }
  positionals.forEach((value, index) => {
    const slot = def.positionals[index];
    if (values[slot.name] !== undefined) {
      const how = style === "cmdlet" ? `-${cmdletName(def, slot.name)}` : `--${slot.name}`;
      throw usageError(`${display}: ${slot.value} given twice (positionally and as ${how})`);
    }
    values[slot.name] = value;
  });
}

function matchParameter(params: OptionDef[], rawName: string, display: string): OptionDef {
  const lower = rawName.toLowerCase();
  const exact = params.find((opt) => opt.cmdlet?.toLowerCase() === lower);
  if (exact) return exact;
  // PowerShell accepts any unambiguous prefix of a parameter name.
  const prefixed = params.filter((opt) => opt.cmdlet?.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    const names = prefixed.map((opt) => `-${opt.cmdlet}`).join(", ");
    throw usageError(`${display}: parameter -${echoInput(rawName)} is ambiguous: ${names}`);
  }
  const help = params.find((opt) => opt.name === "help" && (lower === "h" || lower === "help"));
  if (help) return help;
  throw usageError(`${display}: unknown parameter -${echoInput(rawName)}`);
}

function splitInline(text: string): [string, string | undefined] {
  const colon = text.indexOf(":");
  return colon < 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)];
}

function parseSwitchValue(text: string, display: string, opt: OptionDef): boolean {
  const value = text.toLowerCase().replace(/^\$/, "");
  if (value === "true") return true;
  if (value === "false") return false;
  throw usageError(`${display}: -${opt.cmdlet} takes $true or $false, not '${echoInput(text)}'`);
}

function cmdletName(def: CommandDef, option: string): string {
  return def.options.find((opt) => opt.name === option)?.cmdlet ?? option;
}

/** An option as the user spells it in the style they typed: `--no-persist` or `-NoPersist`. */
export function optionName(command: ParsedCommand, option: string): string {
  return command.style === "cmdlet" ? `-${cmdletName(command.def, option)}` : `--${option}`;
}
