// GNU-style option parsing (`--name value`, `--name=value`, `-x value`, `-abc`, `--`) for the
// command table. Written here rather than taken from node:util's parseArgs: loading node:util
// costs every command about 5 ms of start-up (measured in bench/), a quarter of the budget.

import { usageError } from "../errors.ts";
import { echoInput } from "../text.ts";

export interface GnuOption {
  name: string;
  type: "boolean" | "string";
  short?: string;
}

export interface GnuParsed {
  values: Record<string, string | boolean>;
  positionals: string[];
}

/** Parses `args`; errors are usage errors prefixed with `display` (e.g. "jim connect"). */
export function parseGnuArgs(
  args: string[],
  options: GnuOption[],
  display: string,
  helpTopic: string,
): GnuParsed {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const fail = (message: string) => usageError(`${display}: ${message}`);
  const byLong = new Map(options.map((opt) => [opt.name, opt]));
  const byShort = new Map(options.filter((opt) => opt.short).map((opt) => [opt.short!, opt]));
  const takeValue = (spelled: string, index: number): string => {
    const next = args[index];
    // As parseArgs in strict mode: an option-looking word is a forgotten value, not a value.
    if (next === undefined || (next.startsWith("-") && next !== "-")) {
      throw fail(`option ${spelled} needs a value`);
    }
    return next;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const opt = byLong.get(name);
      if (!opt) {
        throw fail(`unknown option '${echoInput(`--${name}`)}'; run 'jim help ${helpTopic}'`);
      }
      if (opt.type === "boolean") {
        if (eq >= 0) throw fail(`option --${name} takes no value`);
        values[opt.name] = true;
      } else {
        values[opt.name] = eq >= 0 ? arg.slice(eq + 1) : takeValue(`--${name}`, ++i);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const letters = arg.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const opt = byShort.get(letters[j]);
        if (!opt) {
          throw fail(
            `unknown option '${echoInput(`-${letters[j]}`)}'; run 'jim help ${helpTopic}'`,
          );
        }
        if (opt.type === "boolean") {
          values[opt.name] = true;
          continue;
        }
        // `-Xvalue` or `-X value`: a value option ends the cluster.
        const rest = letters.slice(j + 1);
        values[opt.name] = rest !== "" ? rest : takeValue(`-${letters[j]}`, ++i);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals };
}
