// Linux Secret Service backend driven through libsecret's `secret-tool`. Entries carry the
// attributes `service=JIM url=<key>` and the label `JIM refresh token (<key>)`, the layout the
// JIM PowerShell module uses, so both tools share one sign-in. The secret travels on stdin only.

import {
  type Availability,
  checkKey,
  checkSecret,
  diagnosticLine,
  JIM_SERVICE,
  type Keyring,
  type KeyringDeps,
  keyringFailed,
  keyringUnavailable,
  requireExited,
  type RunResult,
  seconds,
} from "./keyring.ts";
import type { JimError } from "../errors.ts";

const TOOL = "secret-tool";
// libsecret's messages are translated; the classification below reads the untranslated ones.
const CHILD_ENV = { LC_ALL: "C.UTF-8", LANGUAGE: "C" };
const URL_ATTRIBUTE = "attribute.url = ";
const USERNAME_ATTRIBUTE = "attribute.username = ";

export class SecretToolKeyring implements Keyring {
  readonly name = "secret-tool";

  constructor(
    private readonly path: string | null,
    private readonly deps: Pick<KeyringDeps, "run">,
    private readonly timeoutMs: number,
  ) {}

  async available(): Promise<Availability> {
    // A search answers only when a Secret Service is on the session bus, and it reports JIM
    // items it cannot read because their collection is locked. Its stdout would carry the
    // secrets, so it goes to /dev/null: only the attribute lines on stderr are needed.
    const result = await this.exec(["search", "--all", "service", JIM_SERVICE], {
      discardStdout: true,
    });
    if (result.kind === "timed_out") return { ok: false, reason: this.timeoutText() };
    if (result.kind === "spawn_failed") return { ok: false, reason: result.reason };
    const problem = errorLines(result.stderr);
    if (problem.some(isLockedText)) {
      return { ok: false, reason: "the Secret Service keyring holding the JIM entries is locked" };
    }
    if (result.code !== 0 || problem.length > 0) {
      return { ok: false, reason: diagnosticLine(problem.join("\n"), TOOL) || "search failed" };
    }
    return { ok: true };
  }

  async get(key: string): Promise<string | null> {
    checkKey(key);
    const result = await this.exec(["lookup", ...attributes(key)]);
    const { code, stdout, stderr } = this.exited(result, "lookup");
    if (code === 0) return stdout === "" ? null : stdout;
    if (errorLines(stderr).length > 0) throw this.toolError("lookup", stderr);
    // secret-tool answers a locked item exactly like a missing one (exit 1, no message).
    await this.refuseIfLocked(key);
    return null;
  }

  async set(key: string, secret: string): Promise<void> {
    checkKey(key);
    checkSecret(secret);
    const result = await this.exec(
      ["store", `--label=JIM refresh token (${key})`, ...attributes(key)],
      { stdin: secret },
    );
    const { code, stderr } = this.exited(result, "store");
    if (code !== 0) throw this.toolError("store", stderr, secret);
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const result = await this.exec(["clear", ...attributes(key)]);
    const { code, stderr } = this.exited(result, "clear");
    if (code === 0) return true;
    if (errorLines(stderr).length > 0) throw this.toolError("clear", stderr);
    await this.refuseIfLocked(key);
    return false;
  }

  async deleteAll(): Promise<number> {
    const perMatch = await this.itemsPerMatch();
    let removed = 0;
    for (const [match, count] of perMatch) {
      const [name, value] = match.split("\n");
      const cleared = await this.exec(["clear", "service", JIM_SERVICE, name, value]);
      const outcome = this.exited(cleared, "clear");
      if (outcome.code === 0) removed += count;
      else if (errorLines(outcome.stderr).length > 0) throw this.toolError("clear", outcome.stderr);
    }
    return removed;
  }

  async keys(): Promise<string[]> {
    const values = [...(await this.itemsPerMatch()).keys()].map((match) => match.split("\n")[1]);
    return [...new Set(values)];
  }

  /**
   * How many JIM items each attribute value has: one attribute.url line per item the module or
   * secret-tool wrote, one attribute.username line per item the native addon (keyring-rs) wrote
   * for the same instance key. Several items may share a value and one clear removes them all,
   * so deleteAll counts lines but clears each value once. Keys are "url\n<value>" or
   * "username\n<value>".
   */
  private async itemsPerMatch(): Promise<Map<string, number>> {
    const result = await this.exec(["search", "--all", "service", JIM_SERVICE], {
      discardStdout: true,
    });
    const { code, stderr } = this.exited(result, "search");
    const problems = errorLines(stderr);
    if (code !== 0 || problems.length > 0) throw this.toolError("search", stderr);
    const perMatch = new Map<string, number>();
    for (const line of stderr.split("\n")) {
      const attribute = [URL_ATTRIBUTE, USERNAME_ATTRIBUTE].find((a) => line.startsWith(a));
      if (attribute === undefined) continue;
      const match = `${attribute === URL_ATTRIBUTE ? "url" : "username"}\n${
        line.slice(attribute.length)
      }`;
      perMatch.set(match, (perMatch.get(match) ?? 0) + 1);
    }
    return perMatch;
  }

  private async refuseIfLocked(key: string): Promise<void> {
    const result = await this.exec(["search", ...attributes(key)], {
      discardStdout: true,
    });
    const { stderr } = this.exited(result, "search");
    if (errorLines(stderr).some(isLockedText)) {
      throw keyringUnavailable("the Secret Service keyring holding the JIM entry is locked");
    }
  }

  private exec(
    args: string[],
    extra: { stdin?: string; discardStdout?: boolean } = {},
  ): Promise<RunResult> {
    if (this.path === null) {
      return Promise.resolve({
        kind: "spawn_failed",
        reason: "secret-tool is not installed (Debian/Ubuntu: libsecret-tools)",
      });
    }
    return this.deps.run(this.path, args, { ...extra, timeoutMs: this.timeoutMs, env: CHILD_ENV });
  }

  private exited(result: RunResult, what: string) {
    return requireExited(result, `${this.timeoutText()} (${what})`);
  }

  private timeoutText(): string {
    return `secret-tool did not answer within ${seconds(this.timeoutMs)}; ` +
      "the Secret Service may be waiting for an unlock prompt nobody can see";
  }

  private toolError(what: string, stderr: string, secret?: string): JimError {
    const line = diagnosticLine(errorLines(stderr).join("\n"), TOOL, secret) || "no message";
    const message = `secret-tool ${what} failed: ${line}`;
    return isServiceProblem(stderr) ? keyringUnavailable(message) : keyringFailed(message);
  }
}

function attributes(key: string): string[] {
  return ["service", JIM_SERVICE, "url", key];
}

/**
 * stderr lines that report an error: not the attribute listing `search` prints there, and
 * not GLib's own log lines ("(secret-tool:123): GLib-GIO-CRITICAL **: ...", "** Message: ...").
 */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").map((line) => line.trim()).filter((line) =>
    line !== "" && !line.startsWith("attribute.") && !/^\(.*:\d+\): .*\*\*/.test(line) &&
    !line.startsWith("** ")
  );
}

function isLockedText(line: string): boolean {
  return /\blocked\b/i.test(line);
}

// No bus, no Secret Service on it, no collection to write to, a locked one, or a prompt that
// cannot be shown: all mean "no usable store here", not a failure of the operation itself.
function isServiceProblem(stderr: string): boolean {
  return /locked|org\.freedesktop\.|D-?Bus|autolaunch|address|not provided by any|Object does not exist|No such (object|interface)|prompt|Could not connect|Cannot connect|Failed to connect|dismissed/i
    .test(stderr);
}
