// `jim completion`: each script names everything in the command table, parses in its shell, and
// (bash, fish) completes the right words when driven the way the shell drives it.

import assert from "node:assert/strict";
import { JimEnv } from "./helpers/run_jim.ts";
import { type CommandDef, COMMANDS, GLOBAL_OPTIONS } from "../lib/cli/command_defs.ts";
import { completionModel, completionScript, SHELLS } from "../lib/cli/completion.ts";
import { needsTool, toolOnPath } from "./helpers/platform_gate.ts";
import { parseInvocation } from "../lib/cli/parse.ts";
import { parse as parseApi } from "../lib/cli/commands/api.ts";
import { parseRequest } from "../lib/session/request_check.ts";
import { PROTOCOL_VERSION } from "../lib/session/protocol.ts";
import { checkMethod } from "../lib/api/request_input.ts";
import { JimError } from "../lib/errors.ts";

// Each script comes from a real `jim completion` run, once per shell for the whole file.
const scripts = new Map<string, Promise<string>>();

function scriptFor(shell: string): Promise<string> {
  let script = scripts.get(shell);
  if (!script) scripts.set(shell, script = runCompletion(shell));
  return script;
}

async function runCompletion(shell: string): Promise<string> {
  const env = await JimEnv.create();
  try {
    const result = await env.run(["completion", shell]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.ok(result.stdout.endsWith("\n"));
    return result.stdout;
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
}

/** Every word the table says a user can type: command words, aliases, cmdlets, flags. */
function tableNames(commands: CommandDef[], globals = GLOBAL_OPTIONS): string[] {
  const names = new Set<string>();
  for (const def of commands) {
    for (const word of [...def.name.split(" "), ...def.aliases]) names.add(word);
    if (def.cmdlet) names.add(def.cmdlet);
    for (const opt of [...def.options, ...globals]) {
      if (!opt.cmdletOnly) names.add(`--${opt.name}`);
      if (opt.short && !opt.cmdletOnly) names.add(`-${opt.short}`);
      if (opt.cmdlet && def.cmdlet) names.add(`-${opt.cmdlet}`);
    }
  }
  return [...names];
}

/** Whether `name` stands as a word in the script; fish spells flags `-l x`, `-s x`, `-o X`. */
function mentions(shell: string, script: string, name: string): boolean {
  const word = (text: string) =>
    new RegExp(`(^|[^A-Za-z0-9-])${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^A-Za-z0-9-])`)
      .test(script);
  if (shell !== "fish" || !name.startsWith("-")) return word(name);
  if (name.startsWith("--")) return word(`-l ${name.slice(2)}`);
  return word(name.length === 2 ? `-s ${name.slice(1)}` : `-o ${name.slice(1)}`);
}

function missingNames(shell: string, script: string, names: string[]): string[] {
  return names.filter((name) => !mentions(shell, script, name));
}

for (const shell of SHELLS) {
  Deno.test(`jim completion ${shell}: exit 0, the script alone on stdout, naming every command, option and cmdlet parameter`, async () => {
    const script = await scriptFor(shell);
    assert.deepEqual(missingNames(shell, script, tableNames(COMMANDS)), []);
  });
}

Deno.test("completion scripts follow the table: a new command, option and cmdlet parameter appear in all four", () => {
  const extra: CommandDef = {
    name: "zz-probe",
    aliases: ["zz-alias"],
    cmdlet: "Get-ZzProbe",
    summary: "a command that exists only in this test",
    positionals: [{ name: "zz-kind", value: "alpha|beta", required: true }],
    options: [
      {
        name: "zz-level",
        type: "string",
        short: "Z",
        cmdlet: "ZzLevel",
        value: "METHOD",
        description: "a valued option with known values",
      },
      { name: "zz-flag", type: "boolean", cmdlet: "ZzFlag", description: "it's a switch" },
    ],
  };
  const commands = [...COMMANDS, extra];
  const model = completionModel(commands, GLOBAL_OPTIONS);
  for (const shell of SHELLS) {
    const script = completionScript(shell, model);
    assert.deepEqual(missingNames(shell, script, tableNames(commands)), [], shell);
    for (const value of ["alpha", "beta"]) assert.ok(mentions(shell, script, value), shell);
    assert.ok(!mentions(shell, completionScript(shell), "zz-flag"), shell);
  }
});

Deno.test("the shells jim completion accepts are the ones its help names", () => {
  const def = COMMANDS.find((d) => d.name === "completion");
  assert.equal(def?.positionals[0]?.value, SHELLS.join("|"));
});

Deno.test("jim completion tcsh, and with no shell: exit 2, one line naming the valid shells, no stdout", async () => {
  const env = await JimEnv.create();
  try {
    for (const args of [["completion", "tcsh"], ["completion"]]) {
      const result = await env.run(args);
      assert.equal(result.code, 2, args.join(" "));
      assert.equal(result.stdout, "");
      const lines = result.stderr.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, result.stderr);
      for (const shell of SHELLS) assert.match(lines[0], new RegExp(`\\b${shell}\\b`));
      assert.match(lines[0], /^jim completion: /);
    }
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});

// ---- syntax, in the shells themselves ----

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { code: output.code, out: text };
}

async function withScriptFile<T>(shell: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ prefix: `jim-completion-${shell}-` });
  try {
    await Deno.writeTextFile(path, await scriptFor(shell));
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

const SYNTAX_CHECKS = [
  { shell: "bash", program: "bash", args: ["-n"] },
  { shell: "zsh", program: "zsh", args: ["-n"] },
  { shell: "fish", program: "fish", args: ["--no-execute"] },
];

for (const check of SYNTAX_CHECKS) {
  Deno.test(needsTool(check.program, {
    name: `${check.program} ${check.args.join(" ")} accepts the ${check.shell} script`,
    async fn() {
      const result = await withScriptFile(
        check.shell,
        (file) => run(check.program, [...check.args, file]),
      );
      assert.equal(result.code, 0, result.out);
    },
  }));
}

// ---- behaviour: the shells asked to complete ----

/** Runs the bash script's function the way `complete -F` does, one line of replies per case. */
async function bashReplies(lines: string[][]): Promise<string[]> {
  const cases = lines.map((words) => `t ${words.map((w) => `'${w}'`).join(" ")}`).join("\n");
  const driver = `source "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _jim; echo "\${COMPREPLY[*]}"; }
${cases}`;
  const result = await withScriptFile(
    "bash",
    (file) => run("bash", ["--norc", "--noprofile", "-c", driver, "bash", file]),
  );
  assert.equal(result.code, 0, result.out);
  return result.out.split("\n").slice(0, lines.length);
}

Deno.test(needsTool("bash", {
  name: "bash completes commands, subcommands, flags, values and cmdlet parameters",
  fn: async () => {
    const cases: [string[], string][] = [
      [["jim", "con"], "connect connected-system"],
      [["jim", "Con"], "Connect-JIM"],
      [["jim", "connect", "--api"], "--api-key --api-key-stdin"],
      [["jim", "connected-system", ""], "list get"],
      [["jim", "connected-system", "list", "--n"], "--name"],
      [["jim", "status", "-q"], "-q"],
      [["jim", "api", "--method", "P"], "POST PUT PATCH"],
      [["jim", "api", "--method", "=", "D"], "DELETE"],
      [["jim", "api", "--data", ""], "- @"],
      [["jim", "connect", "--redirect-host", ""], "localhost 127.0.0.1"],
      [["jim", "connect", "--redirect-host", "=", "l"], "localhost"],
      [["jim", "completion", ""], SHELLS.join(" ")],
      [["jim", "completion", "bash", ""], ""],
      [["jim", "connect-jim", "-api"], "-ApiKey -ApiKeyStdin"],
      [["jim", "Connect-JIM", "-RedirectHost", "127"], "127.0.0.1"],
      [["jim", "Get-JIMConnectedSystem", "-i"], "-Id"],
      [["jim", "help", "dis"], "disconnect"],
      [["jim", "--h"], "--help"],
    ];
    const replies = await bashReplies(cases.map(([words]) => words));
    cases.forEach(([words, want], i) => assert.equal(replies[i], want, words.join(" ")));
  },
}));

Deno.test(needsTool("bash", {
  name: "completion offers exactly the HTTP methods jim api, the agent and the client accept",
  fn: async () => {
    const [reply] = await bashReplies([["jim", "api", "--method", ""]]);
    const offered = reply.split(" ");
    // Every method a caller might name (RFC 9110 section 9, PATCH, WebDAV's, a typo), and whatever
    // completion offers: each is accepted by all three checks, or by none and is not offered.
    const names = new Set([
      ...offered,
      ..."GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH QUERY PROPFIND TRACK BREW".split(
        " ",
      ),
    ]);
    const takes = (check: () => unknown) => {
      try {
        check();
        return true;
      } catch (error) {
        if (error instanceof JimError) return false;
        throw error;
      }
    };
    for (const method of names) {
      const invocation = parseInvocation(["api", "/x", "-X", method]);
      assert.equal(invocation.kind, "command");
      const byApi = takes(() => parseApi(invocation.command));
      const byAgent = takes(() =>
        parseRequest(JSON.stringify({
          v: PROTOCOL_VERSION,
          op: "request",
          call: { method, path: "/x" },
        }))
      );
      const byClient = takes(() => checkMethod(method));
      const isOffered = offered.includes(method);
      assert.deepEqual({ byApi, byAgent, byClient }, {
        byApi: isOffered,
        byAgent: isOffered,
        byClient: isOffered,
      }, method);
    }
    assert.deepEqual(offered, ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
  },
}));

Deno.test(needsTool("bash", {
  name: "bash completes file names after --ca-cert and after --data @",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "jim-completion-files-" });
    try {
      await Deno.writeTextFile(`${dir}/body.json`, "{}");
      await Deno.writeTextFile(`${dir}/ca.pem`, "");
      const replies = await bashReplies([
        ["jim", "api", "/x", "--data", `@${dir}/bo`],
        ["jim", "connect", "--ca-cert", `${dir}/c`],
        ["jim", "whoami", "--ca-cert", "=", `${dir}/c`],
      ]);
      assert.deepEqual(replies, [`@${dir}/body.json`, `${dir}/ca.pem`, `${dir}/ca.pem`]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needsTool("fish", {
  name: "fish completes commands, flags, values and cmdlet parameters",
  async fn() {
    const cases: [string, string[]][] = [
      ["jim con", ["Connect-JIM", "connect", "connected-system"]],
      ["jim connect --api", ["--api-key", "--api-key-stdin"]],
      ["jim connected-system ", ["get", "list"]],
      ["jim api -X P", ["PATCH", "POST", "PUT"]],
      ["jim completion ", ["bash", "fish", "powershell", "zsh"]],
      ["jim Connect-JIM -RedirectHost ", ["127.0.0.1", "localhost"]],
      ["jim get-jimconnectedsystem -I", ["-Id"]],
    ];
    const driver = cases.map(([line]) => `complete -C '${line}'; echo '=='`).join("\n");
    const result = await withScriptFile(
      "fish",
      (file) => run("fish", ["--no-config", "-c", `source '${file}'\n${driver}`]),
    );
    assert.equal(result.code, 0, result.out);
    const blocks = result.out.split("==\n").map((block) =>
      block.split("\n").filter((l) => l !== "").map((l) => l.split("\t")[0]).sort()
    );
    cases.forEach(([line, want], i) => assert.deepEqual(blocks[i], [...want].sort(), line));
  },
}));

// ---- PowerShell: pwsh cannot be installed on these machines (no Microsoft package source) ----

Deno.test("powershell script: structural check only, pwsh cannot be installed here", async () => {
  console.log("powershell: pwsh is not installable here; checking the script's structure instead");
  const script = await scriptFor("powershell");
  assert.match(
    script,
    /^Register-ArgumentCompleter -Native -CommandName jim -ScriptBlock \{\n\s+param\(\$wordToComplete, \$commandAst, \$cursorPosition\)$/m,
  );
  assert.deepEqual(powershellProblems(script), []);
  const pwsh = toolOnPath("pwsh");
  if (pwsh) {
    const result = await withScriptFile("powershell", (file) =>
      run(pwsh, [
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        `$t = $null; $e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$t, [ref]$e); if ($e) { $e | ForEach-Object { $_.ToString() }; exit 1 }`,
      ]));
    assert.equal(result.code, 0, result.out);
  }
});

/**
 * Brackets balanced outside strings and comments, strings closed, and every variable read is
 * one the script sets (or PowerShell does): the mistakes a generator makes, short of a parser.
 */
function powershellProblems(script: string): string[] {
  const problems: string[] = [];
  const stack: { char: string; line: number }[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  let code = ""; // the script with strings and comments blanked, for the variable check
  let line = 1;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === "\n") line++;
    if (c === "#") {
      while (i < script.length && script[i] !== "\n") i++;
      code += "\n";
      line++;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = line;
      let j = i + 1;
      let body = "";
      for (; j < script.length; j++) {
        if (c === '"' && script[j] === "`") {
          body += script[j] + script[++j];
          continue;
        }
        if (script[j] === c && script[j + 1] === c) {
          body += c;
          j++;
          continue;
        }
        if (script[j] === c) break;
        if (script[j] === "\n") line++;
        body += script[j];
      }
      if (j >= script.length) problems.push(`line ${start}: unterminated ${c} string`);
      // Double-quoted strings expand variables, so their `$name`s count as reads.
      code += c === '"' ? ` ${body.replace(/`./g, "")} ` : " '' ";
      i = j;
      continue;
    }
    code += c;
    if ("([{".includes(c)) stack.push({ char: c, line });
    if (")]}".includes(c)) {
      const open = stack.pop();
      if (open?.char !== pairs[c]) problems.push(`line ${line}: '${c}' closes '${open?.char}'`);
    }
  }
  for (const open of stack) problems.push(`line ${open.line}: '${open.char}' never closed`);
  const assigned = new Set(["_", "true", "false", "null", "Matches"]);
  for (const m of code.matchAll(/\$([A-Za-z_]\w*)\s*=(?!=)/g)) assigned.add(m[1]);
  for (const m of code.matchAll(/foreach\s*\(\s*\$(\w+)\s+in\b/g)) assigned.add(m[1]);
  for (const m of code.matchAll(/param\(([^)]*)\)/g)) {
    for (const v of m[1].matchAll(/\$(\w+)/g)) assigned.add(v[1]);
  }
  for (const m of code.matchAll(/\$([A-Za-z_]\w*)/g)) {
    if (!assigned.has(m[1])) problems.push(`$${m[1]} is read but never set`);
  }
  return [...new Set(problems)];
}
