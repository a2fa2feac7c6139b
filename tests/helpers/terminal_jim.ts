// Runs jim with a pseudo-terminal (util-linux `script`), as a person at an SSH prompt does: to its
// end, with what the terminal shows (runOnTerminal), or live, with stdout and stderr kept apart in
// files, while the test types into the terminal (a pasted line, Ctrl-C) and reads stderr.

import { needs } from "./platform_gate.ts";
import { startJim } from "./run_jim.ts";

export interface TerminalJim {
  /** Resolves with the first stderr line matching `pattern`. */
  waitForLine(pattern: RegExp, limitMs?: number): Promise<string>;
  /** Everything on stderr so far. */
  stderr(): string;
  /** Types `text` on the terminal (a line needs its "\n"; "\x03" is Ctrl-C). */
  type(text: string): Promise<void>;
  /** Waits for jim to end; the exit code, stdout and stderr. */
  done(): Promise<{ code: number; stdout: string; stderr: string }>;
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `script` running `command` (a /bin/sh line) on a new pseudo-terminal, echoing nothing itself. */
function onTerminal(command: string): string[] {
  return ["script", "-qfec", command, "/dev/null"];
}

export async function startOnTerminal(
  args: string[],
  env: Record<string, string>,
  killAfterMs = 120_000,
): Promise<TerminalJim> {
  const dir = await Deno.makeTempDir({ prefix: "jim-tty-" });
  const outFile = `${dir}/stdout`;
  const errFile = `${dir}/stderr`;
  const jim = startJim(args, {
    env: { ...env, SHELL: "/bin/sh" },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
    killAfterMs,
    within: (argv) =>
      onTerminal(`exec ${argv.map(quote).join(" ")} >${quote(outFile)} 2>${quote(errFile)}`),
  });
  const writer = jim.child.stdin.getWriter();
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return "";
    }
  };
  let ended = false;
  const exited = jim.ended().finally(() => ended = true);
  return {
    async waitForLine(pattern, limitMs = 60_000) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const line = read(errFile).split("\n").find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (ended || Date.now() > deadline) {
          throw new Error(`jim printed no line matching ${pattern}; stderr:\n${read(errFile)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stderr: () => read(errFile),
    async type(text) {
      await writer.write(new TextEncoder().encode(text));
    },
    async done() {
      const code = await exited;
      await writer.close().catch(() => {});
      const result = { code, stdout: read(outFile), stderr: read(errFile) };
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return result;
    },
  };
}

/** Runs jim on a pseudo-terminal to its end: the exit code and what the terminal received. */
export async function runOnTerminal(
  args: string[],
  env: Record<string, string>,
  killAfterMs = 60_000,
): Promise<{ code: number; output: string }> {
  const jim = startJim(args, {
    env,
    killAfterMs,
    within: (argv) => onTerminal(argv.map(quote).join(" ")),
  });
  const [code, stdout, stderr] = await Promise.all([
    jim.ended(),
    new Response(jim.child.stdout).text(),
    new Response(jim.child.stderr).text(),
  ]);
  return { code, output: (stdout + stderr).replace(/\r\n/g, "\n") };
}

let terminalMissing: string | null | undefined;

/**
 * `test`, which runs jim on a terminal: it needs util-linux `script` (the BSD one on macOS takes
 * other arguments), so it is skipped where that is missing, or fails under JIM_TEST_REQUIRE_ALL=1.
 */
export function terminalTest(test: Deno.TestDefinition): Deno.TestDefinition {
  terminalMissing ??= utilLinuxScriptMissing();
  return needs("util-linux script", terminalMissing, test);
}

function utilLinuxScriptMissing(): string | null {
  try {
    const out = new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return out.success ? null : "script --version failed (not util-linux's script)";
  } catch {
    return "not found (Debian: util-linux)";
  }
}
