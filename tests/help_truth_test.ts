// Help tells the truth: for every command, the options `jim help <command>` lists, the flags
// the completion scripts offer and the options the parser accepts are one set, in both styles;
// and help and the README name every environment variable jim's source reads.

import assert from "node:assert/strict";
import { JimEnv, ROOT_DIR } from "./helpers/run_jim.ts";
import { COMMANDS, GLOBAL_OPTIONS } from "../lib/cli/command_defs.ts";
import { completionModel } from "../lib/cli/completion.ts";
import { parseInvocation } from "../lib/cli/parse.ts";

/** Options in help's "Options:" and "Global options:" sections: `-q`, `--quiet`. */
function gnuOptionsInHelp(text: string): Set<string> {
  const names = new Set<string>();
  let inSection = false;
  for (const line of text.split("\n")) {
    if (/^(Global options|Options)\b.*:$/.test(line)) inSection = true;
    else if (line.trim() === "" || !line.startsWith("  ")) inSection = false;
    else if (inSection) {
      const match = /^ {2}(?:-([A-Za-z]), )?\s*--([a-z][a-z-]*)/.exec(line);
      assert.ok(match, `not an option line: ${line}`);
      if (match[1]) names.add(`-${match[1]}`);
      names.add(`--${match[2]}`);
    }
  }
  return names;
}

/** Parameters in help's "Cmdlet style:" section: `-Url`, `-Force`. */
function cmdletParamsInHelp(text: string): Set<string> {
  const at = text.indexOf("\nCmdlet style:\n");
  if (at < 0) return new Set();
  const section = text.slice(at).split("\n\n")[0];
  return new Set(section.match(/(?<![\w-])-[A-Z][A-Za-z]+/g) ?? []);
}

/** Whether the parser takes `flag` on the command typed as `words`. */
function parserAccepts(words: string[], flag: string): boolean {
  try {
    parseInvocation([...words, flag, "value"]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== "usage") throw error;
    return !/unknown (option|parameter)|is ambiguous/.test((error as Error).message);
  }
}

const allOptions = [...COMMANDS.flatMap((def) => def.options), ...GLOBAL_OPTIONS];
const gnuUniverse = new Set(allOptions.flatMap((opt) => [
  `--${opt.name}`,
  ...(opt.short ? [`-${opt.short}`] : []),
]));
const cmdletUniverse = new Set(
  allOptions.filter((opt) => opt.cmdlet).map((opt) => `-${opt.cmdlet}`),
);

async function helpOf(env: JimEnv, topic: string): Promise<string> {
  const result = await env.run(["help", topic]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("help, completion and the parser name the same options for every command, in both styles", async () => {
  const env = await JimEnv.create();
  const model = completionModel();
  try {
    // `jim help` takes a topic, not options: it is checked by every other command's help.
    for (const def of COMMANDS.filter((def) => def.name !== "help")) {
      const words = def.name.split(" ");
      const helped = gnuOptionsInHelp(await helpOf(env, def.name));
      const completed = new Set(
        model.commands.find((spec) => spec.key === def.name)!.flags.flatMap((flag) => flag.names),
      );
      const parsed = new Set([...gnuUniverse].filter((flag) => parserAccepts(words, flag)));
      assert.deepEqual([...helped].sort(), [...parsed].sort(), `jim help ${def.name} vs parser`);
      assert.deepEqual([...completed].sort(), [...parsed].sort(), `completion ${def.name}`);
      for (const global of ["--verbose", "-v", "--ca-cert", "--help", "-h"]) {
        assert.ok(helped.has(global), `jim help ${def.name} lists ${global}`);
      }
      const cmdlet = def.cmdlet;
      if (!cmdlet) continue;
      const cmdletHelp = cmdletParamsInHelp(await helpOf(env, cmdlet));
      const cmdletCompleted = new Set(
        model.commands.find((spec) => spec.key === cmdlet)!.flags.flatMap((f) => f.names),
      );
      const cmdletParsed = new Set(
        [...cmdletUniverse].filter((flag) => parserAccepts([cmdlet], flag)),
      );
      assert.deepEqual([...cmdletHelp].sort(), [...cmdletParsed].sort(), `help ${cmdlet}`);
      assert.deepEqual([...cmdletCompleted].sort(), [...cmdletParsed].sort(), cmdlet);
    }
  } finally {
    await env.dispose();
  }
});

Deno.test("jim help, jim help <command> and the README name every environment variable jim reads", async () => {
  const read = new Set<string>();
  const sources = [`${ROOT_DIR}/main.ts`];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) sources.push(path);
    }
  };
  await walk(`${ROOT_DIR}/lib`);
  for (const path of sources) {
    for (const match of (await Deno.readTextFile(path)).matchAll(/"(JIM_[A-Z_]+)"/g)) {
      read.add(match[1]);
    }
  }
  assert.ok(read.size >= 9, `found ${[...read]}`);
  const readme = await Deno.readTextFile(`${ROOT_DIR}/README.md`);
  const env = await JimEnv.create();
  try {
    const general = (await env.run(["help"])).stdout;
    const connect = await helpOf(env, "connect");
    for (const name of read) {
      const word = new RegExp(`(^|[^A-Z_])${name}([^A-Z_]|$)`);
      for (const [where, text] of [["jim help", general], ["jim help connect", connect]]) {
        const environment = text.slice(text.indexOf("\nEnvironment:\n"));
        assert.match(environment, word, `${where} names ${name} under Environment`);
      }
      const table = readme.slice(readme.indexOf("### Environment"));
      assert.match(table.slice(0, table.indexOf("\n## ")), word, `README names ${name}`);
    }
  } finally {
    await env.dispose();
  }
});
