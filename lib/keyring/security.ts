// macOS login Keychain backend driven through `/usr/bin/security -i`: each command line goes to
// the tool's stdin, so the token never appears on any process's argv. Entries are generic
// passwords with service `JIM` and account `<key>`, as the JIM PowerShell module writes them.

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

const TOOL = "security";
// security exits with the low byte of the Security framework's OSStatus.
const NOT_FOUND = 44; // errSecItemNotFound (-25300)
const UNAVAILABLE_CODES = new Map<number, string>([
  [36, "the keychain is locked and cannot prompt here (errSecInteractionNotAllowed)"],
  [37, "there is no default keychain (errSecNoDefaultKeychain)"],
  [50, "the keychain does not exist (errSecNoSuchKeychain)"],
  [51, "the keychain refused the credentials (errSecAuthFailed)"],
  [128, "the keychain prompt was cancelled (userCanceledErr)"],
]);
// security's interactive reader takes lines of at most 4096 bytes (MAX_LINE_LEN).
const MAX_LINE_BYTES = 4000;
const MAX_DELETE_ALL = 1000;

export class SecurityKeyring implements Keyring {
  readonly name = "security";

  constructor(
    private readonly path: string | null,
    private readonly deps: Pick<KeyringDeps, "run">,
    private readonly timeoutMs: number,
  ) {}

  async available(): Promise<Availability> {
    // Looking up an account nobody uses answers quickly, and fails when the keychain is
    // missing or locked without a way to prompt (SSH sessions).
    const result = await this.command([
      "find-generic-password",
      "-s",
      JIM_SERVICE,
      "-a",
      "jim-availability-probe",
    ]);
    if (result.kind === "timed_out") return { ok: false, reason: this.timeoutText() };
    if (result.kind === "spawn_failed") return { ok: false, reason: result.reason };
    if (result.code === 0 || result.code === NOT_FOUND) return { ok: true };
    return { ok: false, reason: this.explain(result.code, result.stderr) };
  }

  async get(key: string): Promise<string | null> {
    checkKey(key);
    const result = this.exited(
      await this.command(["find-generic-password", "-s", JIM_SERVICE, "-a", key, "-w"]),
    );
    if (result.code === NOT_FOUND) return null;
    if (result.code !== 0) throw this.error("find-generic-password", result);
    // -w prints the password followed by one newline.
    const secret = result.stdout.replace(/\r?\n$/, "");
    return secret === "" ? null : secret;
  }

  async set(key: string, secret: string): Promise<void> {
    checkKey(key);
    checkSecret(secret);
    const result = this.exited(
      await this.command(
        ["add-generic-password", "-U", "-s", JIM_SERVICE, "-a", key, "-w", secret],
        secret,
      ),
    );
    if (result.code !== 0) throw this.error("add-generic-password", result, secret);
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const result = this.exited(
      await this.command(["delete-generic-password", "-s", JIM_SERVICE, "-a", key]),
    );
    if (result.code === NOT_FOUND) return false;
    if (result.code !== 0) throw this.error("delete-generic-password", result);
    return true;
  }

  async deleteAll(): Promise<number> {
    // delete-generic-password removes the first match; repeat until nothing matches.
    for (let removed = 0; removed < MAX_DELETE_ALL; removed++) {
      const result = this.exited(
        await this.command(["delete-generic-password", "-s", JIM_SERVICE]),
      );
      if (result.code === NOT_FOUND) return removed;
      if (result.code !== 0) throw this.error("delete-generic-password", result);
    }
    throw keyringFailed(`security kept finding JIM entries after deleting ${MAX_DELETE_ALL}`);
  }

  /** Runs one command through `security -i`, its line written to stdin. */
  private command(words: string[], secret?: string): Promise<RunResult> {
    if (this.path === null) {
      return Promise.resolve({
        kind: "spawn_failed",
        reason: "the macOS security tool was not found",
      });
    }
    const line = words.map(quoteForSecurity).join(" ");
    if (new TextEncoder().encode(line).length > MAX_LINE_BYTES) {
      // Never echo the line: it may hold the token.
      throw keyringFailed(
        secret === undefined
          ? "the keychain command is too long for security -i"
          : "the token is too long to pass to security -i",
      );
    }
    return this.deps.run(this.path, ["-i"], { stdin: `${line}\n`, timeoutMs: this.timeoutMs });
  }

  private exited(result: RunResult) {
    return requireExited(result, this.timeoutText());
  }

  private error(what: string, result: { code: number; stderr: string }, secret?: string) {
    const text = `security ${what} failed: ${this.explain(result.code, result.stderr, secret)}`;
    return UNAVAILABLE_CODES.has(result.code) ? keyringUnavailable(text) : keyringFailed(text);
  }

  private explain(code: number, stderr: string, secret?: string): string {
    return UNAVAILABLE_CODES.get(code) ??
      (diagnosticLine(stderr, TOOL, secret) || `exit status ${code}`);
  }

  private timeoutText(): string {
    return `security did not answer within ${seconds(this.timeoutMs)} ` +
      "(the keychain may be waiting for a prompt)";
  }
}

/**
 * Quotes one word for security's interactive line splitter: a word opening with a double quote
 * runs to the next unescaped double quote, and a backslash makes the next character literal.
 * Callers have already refused control characters (a newline would end the command line).
 */
export function quoteForSecurity(word: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(word)) {
    throw keyringFailed("cannot pass control characters to security -i");
  }
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
