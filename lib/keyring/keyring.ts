// The credential-store contract every backend implements, the dependencies they share (a
// time-boxed command runner, a PATH lookup, the lazily loaded native addon), and the checks
// and error wording common to all of them. Only refresh tokens go through here.

import { JimError } from "../errors.ts";
import type { WincredApi } from "./wincred_api.ts";

/** The service name every JIM entry is stored under (shared with the JIM PowerShell module). */
export const JIM_SERVICE = "JIM";

export const KEYRING_NAMES = ["secret-tool", "native", "security", "wincred", "none"] as const;
export type KeyringName = (typeof KEYRING_NAMES)[number];

export type Availability = { ok: true } | { ok: false; reason: string };

export interface Keyring {
  readonly name: string; // "secret-tool" | "native" | "security" | "wincred" | "none"
  /** Probed, time-boxed, never hangs. */
  available(): Promise<Availability>;
  /** null = not found (every backend normalises this). */
  get(key: string): Promise<string | null>;
  set(key: string, secret: string): Promise<void>;
  /** true if something was removed. */
  delete(key: string): Promise<boolean>;
  /** Removes every JIM entry, returns how many. */
  deleteAll(): Promise<number>;
  /** The keys of every JIM entry, where the backend can list them (disconnect --all revokes). */
  keys?(): Promise<string[]>;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** The child is killed (SIGKILL) when it has not exited after this many milliseconds. */
  timeoutMs: number;
  /** Send stdout to /dev/null, for commands whose stdout carries secrets we do not need. */
  discardStdout?: boolean;
  /** Variables set on top of the cleared-down environment every store tool gets. */
  env?: Record<string, string>;
}

export type RunResult =
  | { kind: "exited"; code: number; stdout: string; stderr: string }
  | { kind: "timed_out"; stderr: string }
  | { kind: "spawn_failed"; reason: string };

/** The tool's exit, or the store reported unavailable: it hung (`timedOut` says how) or is missing. */
export function requireExited(
  result: RunResult,
  timedOut: string,
): Extract<RunResult, { kind: "exited" }> {
  if (result.kind === "timed_out") throw keyringUnavailable(timedOut);
  if (result.kind === "spawn_failed") throw keyringUnavailable(result.reason);
  return result;
}

export type CommandRunner = (
  command: string,
  args: string[],
  options: RunOptions,
) => Promise<RunResult>;

/** The part of npm:@napi-rs/keyring this code uses (its AsyncEntry API). */
export interface NativeEntry {
  getPassword(signal?: AbortSignal | null): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal | null): Promise<void>;
  deleteCredential(signal?: AbortSignal | null): Promise<boolean>;
}

export interface NativeEntryOptions {
  linux?: { store?: "secret-service" | "keyutils" };
}

export interface NativeKeyringModule {
  AsyncEntry: {
    new (service: string, username: string, options?: NativeEntryOptions | null): NativeEntry;
    withTarget(
      target: string,
      service: string,
      username: string,
      options?: NativeEntryOptions | null,
    ): NativeEntry;
  };
  findCredentialsAsync(
    service: string,
    target?: string | null,
    signal?: AbortSignal | null,
  ): Promise<Array<{ account: string; password: string }>>;
}

export interface KeyringDeps {
  /** Spawns a command with optional stdin and a hard timeout. */
  run: CommandRunner;
  /** Absolute path of an executable found on PATH, or null. */
  which(name: string): string | null;
  /** Loads the native addon; called only when a backend that needs it is used. */
  loadNative(): Promise<NativeKeyringModule>;
  /** Opens Windows' Credential Manager API (advapi32); throws where there is none. */
  openWincred(): WincredApi;
}

export function keyringUnavailable(message: string, cause?: unknown): JimError {
  return new JimError("keyring_unavailable", message, cause === undefined ? undefined : { cause });
}

export function keyringFailed(message: string, cause?: unknown): JimError {
  return new JimError("failed", message, cause === undefined ? undefined : { cause });
}

// Instance keys are normalised origins (scheme://host:port). Anything else is a caller bug;
// refusing quotes, backslashes, whitespace and controls also keeps keys safe inside the quoted
// command lines of `security -i` and in cmdkey's /delete:TARGET argument.
// The character class is printable ASCII without space, `"`, `'` and `\`.
const KEY_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[!#-&(-[\]-~]+$/i;
const MAX_KEY_LENGTH = 512;

export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw keyringFailed("invalid credential-store key: expected scheme://host:port");
  }
}

// Refresh tokens are VSCHAR strings (RFC 6749 appendix A): printable ASCII. Holding every
// backend to that keeps the token intact through stdin, `security -i` quoting and UTF-16 blobs.
const SECRET_PATTERN = /^[\x20-\x7e]+$/;
const MAX_SECRET_LENGTH = 16384;

export function checkSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length === 0) {
    throw keyringFailed("refusing to store an empty token");
  }
  if (secret.length > MAX_SECRET_LENGTH) {
    throw keyringFailed(`refusing to store a token longer than ${MAX_SECRET_LENGTH} characters`);
  }
  if (!SECRET_PATTERN.test(secret)) {
    throw keyringFailed("refusing to store a token with characters outside printable ASCII");
  }
}

/**
 * One line of a tool's diagnostic output, fit for an error message: the secret (if any) is
 * masked, control characters dropped, length capped. Prefers the tool's own "name: ..." line
 * over library warnings (GLib prints CRITICAL lines to stderr too).
 */
export function diagnosticLine(text: string, tool: string, secret?: string): string {
  let masked = text;
  if (secret) masked = masked.split(secret).join("[redacted]");
  const lines = masked.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  const own = lines.filter((line) => line.startsWith(`${tool}:`));
  const chosen = own.at(-1) ?? lines.find((line) => !/CRITICAL|WARNING/.test(line)) ??
    lines[0] ?? "";
  // deno-lint-ignore no-control-regex
  const clean = chosen.replace(/[\x00-\x1f\x7f]/g, " ");
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
