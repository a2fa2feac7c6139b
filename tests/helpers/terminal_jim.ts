// Runs jim with a pseudo-terminal as its standard input (util-linux `script`), as a person at an
// SSH prompt does, with stdout and stderr kept apart in files. The test types into the terminal
// (a pasted line, Ctrl-C) and reads stderr while jim runs.

import { killAfter } from "../../fixtures/child_process.ts";
import { jimCommand } from "./run_jim.ts";

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

export async function startOnTerminal(
  args: string[],
  env: Record<string, string>,
  killAfterMs = 120_000,
): Promise<TerminalJim> {
  const dir = await Deno.makeTempDir({ prefix: "jim-tty-" });
  const outFile = `${dir}/stdout`;
  const errFile = `${dir}/stderr`;
  const command = `exec ${[...jimCommand(), ...args].map(quote).join(" ")} >${quote(outFile)} 2>${
    quote(errFile)
  }`;
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    env: { ...env, SHELL: "/bin/sh" },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const timer = killAfter(child, killAfterMs);
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return "";
    }
  };
  let ended = false;
  const status = child.status.then((s) => {
    ended = true;
    clearTimeout(timer);
    return s;
  });
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
      const { code, signal } = await status;
      await writer.close().catch(() => {});
      const result = { code: signal ? -1 : code, stdout: read(outFile), stderr: read(errFile) };
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return result;
    },
  };
}

/** `script` is util-linux; the tests that need a terminal say so when it is missing. */
export async function haveScript(): Promise<boolean> {
  try {
    const out = await new Deno.Command("script", { args: ["--version"], stdout: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}
