// What every completion script knows, derived once from the command table: the words that name
// a command, each command's flags in the style it is typed, and what an option's value or a
// positional can be. The shell generators only translate this into their own syntax, so an
// option added to COMMANDS shows up in all four scripts without touching them.

import {
  type CommandDef,
  COMMANDS,
  GLOBAL_OPTIONS,
  type OptionDef,
  REDIRECT_HOSTS,
} from "../command_defs.ts";
import { HTTP_METHODS } from "../../api/request_input.ts";

/** What to offer for an option's value or a positional argument. */
export type ValueKind =
  | { kind: "none" } // free text (a URL, an id): nothing sensible to offer
  | { kind: "words"; words: string[] }
  | { kind: "files" }
  | { kind: "at-files" }; // `-` or `@` followed by a file name, as `--data` takes

export interface Word {
  name: string;
  description: string;
}

export interface Flag {
  /** As typed: ["--quiet", "-q"] in GNU style, ["-Quiet"] in cmdlet style. */
  names: string[];
  description: string;
  /** Present when the flag takes a value (the next word). */
  value?: ValueKind;
}

export interface CommandSpec {
  /** "connect", "connected-system list", or a cmdlet name such as "Connect-JIM". */
  key: string;
  /** Cmdlet style matches command and parameter names ignoring case, as PowerShell does. */
  fold: boolean;
  flags: Flag[];
  positionals: ValueKind[];
}

export interface CompletionModel {
  /** What may come first after `jim`: commands, aliases, groups, cmdlets. */
  topLevel: Word[];
  /** Flags accepted where a command is expected (`jim --help`, standing for `jim help`). */
  globalFlags: Flag[];
  /** A typed word and the spec it selects; `fold` words are cmdlet names. */
  commandWords: { word: string; key: string; fold: boolean }[];
  /** Words that need a subcommand, e.g. connected-system → list, get. */
  groups: { name: string; subcommands: Word[] }[];
  commands: CommandSpec[];
}

// The table names what a value is (its help placeholder) but not the values themselves; these
// are the placeholders whose values are known. Literal lists such as `bash|zsh|fish|powershell`
// and anything mentioning @FILE are recognised without an entry here.
const PLACEHOLDER_VALUES: Record<string, ValueKind> = {
  METHOD: { kind: "words", words: [...HTTP_METHODS] },
  HOST: { kind: "words", words: [...REDIRECT_HOSTS] },
  FILE: { kind: "files" },
};

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function completionModel(commands = COMMANDS, globals = GLOBAL_OPTIONS): CompletionModel {
  const groups = new Map<string, Word[]>();
  const commandWords: CompletionModel["commandWords"] = [];
  const topLevel: Word[] = [];
  const specs: CommandSpec[] = [];
  for (const def of commands) {
    const [first, sub] = def.name.split(" ");
    if (sub !== undefined) {
      if (!groups.has(first)) {
        groups.set(first, []);
        topLevel.push({ name: first, description: "" });
      }
      groups.get(first)!.push({ name: sub, description: def.summary });
    } else {
      for (const word of [def.name, ...def.aliases]) {
        topLevel.push({ name: word, description: def.summary });
        commandWords.push({ word, key: def.name, fold: false });
      }
    }
    if (def.cmdlet) {
      topLevel.push({ name: def.cmdlet, description: def.summary });
      commandWords.push({ word: def.cmdlet, key: def.cmdlet, fold: true });
    }
  }
  // Specs second: `help COMMAND` offers the whole top level, known only now.
  for (const def of commands) {
    specs.push(gnuSpec(def, globals, topLevel));
    if (def.cmdlet) specs.push(cmdletSpec(def, globals, topLevel));
  }
  for (const word of topLevel) {
    const subs = groups.get(word.name);
    if (subs) word.description = `subcommands: ${subs.map((s) => s.name).join(", ")}`;
  }
  const model: CompletionModel = {
    topLevel,
    // Before a command only a flag standing for a command works: `jim --help` is `jim help`.
    globalFlags: globals.filter((opt) => commands.some((def) => def.name === opt.name))
      .map((opt) => gnuFlag(opt, topLevel)),
    commandWords,
    groups: [...groups].map(([name, subcommands]) => ({ name, subcommands })),
    commands: specs,
  };
  assertSafeNames(model);
  return model;
}

function gnuSpec(def: CommandDef, globals: OptionDef[], topLevel: Word[]): CommandSpec {
  const options = [...def.options, ...globals].filter((opt) => !opt.cmdletOnly);
  return {
    key: def.name,
    fold: false,
    flags: options.map((opt) => gnuFlag(opt, topLevel)),
    positionals: def.positionals.map((pos) => valueKind(pos.value, topLevel)),
  };
}

function cmdletSpec(def: CommandDef, globals: OptionDef[], topLevel: Word[]): CommandSpec {
  return {
    key: def.cmdlet!,
    fold: true,
    flags: [...def.options, ...globals].filter((opt) => opt.cmdlet).map((opt) => ({
      names: [`-${opt.cmdlet}`],
      description: opt.description,
      ...(opt.type === "string" ? { value: valueKind(opt.value, topLevel) } : {}),
    })),
    positionals: def.positionals.map((pos) => valueKind(pos.value, topLevel)),
  };
}

function gnuFlag(opt: OptionDef, topLevel: Word[]): Flag {
  const names = [`--${opt.name}`, ...(opt.short ? [`-${opt.short}`] : [])];
  const flag: Flag = { names, description: opt.description };
  if (opt.type === "string") flag.value = valueKind(opt.value, topLevel);
  return flag;
}

/** Reads a help placeholder: "bash|zsh" lists its values, "JSON|@FILE|-" takes @file. */
function valueKind(placeholder: string | undefined, topLevel: Word[]): ValueKind {
  if (placeholder === undefined) return { kind: "none" };
  if (/^[a-z0-9.-]+(\|[a-z0-9.-]+)+$/.test(placeholder)) {
    return { kind: "words", words: placeholder.split("|") };
  }
  if (placeholder.split("|").includes("@FILE")) return { kind: "at-files" };
  // `jim help COMMAND` takes what may follow `jim` (cmdlets and groups included).
  if (placeholder === "COMMAND") return { kind: "words", words: topLevel.map((w) => w.name) };
  return PLACEHOLDER_VALUES[placeholder] ?? { kind: "none" };
}

// The scripts put names in case patterns and word lists unquoted; refuse a table entry that
// would need quoting rather than emit a script that breaks.
function assertSafeNames(model: CompletionModel): void {
  const names = [
    ...model.topLevel.map((w) => w.name),
    ...model.groups.flatMap((g) => g.subcommands.map((s) => s.name)),
    ...model.commands.flatMap((c) => c.flags.flatMap((f) => f.names.map((n) => n.slice(1)))),
    ...model.commands.flatMap((c) =>
      [...c.positionals, ...c.flags.map((f) => f.value ?? { kind: "none" as const })]
        .flatMap((v) => (v.kind === "words" ? v.words : []))
    ),
  ];
  const bad = names.find((name) => !SAFE_NAME.test(name.replace(/^-/, "")));
  if (bad !== undefined) throw new Error(`completion: unsafe name in the command table: ${bad}`);
}

/** Puts generated text into a script template at each @NAME@ (no `$` patterns, unlike replace). */
export function fill(template: string, parts: Record<string, string>): string {
  return template.replace(/@([A-Z]+)@/g, (match, name: string) => parts[name] ?? match);
}

/** The flags of a spec that take a value, as the scripts compare them (lower case if folded). */
export function valuedNames(spec: CommandSpec): string[] {
  return spec.flags.filter((f) => f.value).flatMap((f) => f.names)
    .map((name) => (spec.fold ? name.toLowerCase() : name));
}

/**
 * Every place a value can be offered, for scripts that switch on one string: "KEY FLAG" after a
 * flag that takes a value, "KEY #N" at the Nth positional. Free-text values are left out.
 */
export function offerCases(model: CompletionModel): { patterns: string[]; value: ValueKind }[] {
  return model.commands.flatMap((spec) => [
    ...spec.flags.filter((f) => f.value).map((f) => ({
      patterns: f.names.map((n) => `${spec.key} ${spec.fold ? n.toLowerCase() : n}`),
      value: f.value!,
    })),
    ...spec.positionals.map((value, i) => ({ patterns: [`${spec.key} #${i}`], value })),
  ]).filter((c) => c.value.kind !== "none");
}
