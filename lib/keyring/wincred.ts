// Windows Credential Manager backend: generic credentials with target `JIM:<key>` and user
// `<key>`, the JIM PowerShell module's layout, read and written through npm:@napi-rs/keyring.
// When the addon cannot load, `cmdkey` still lists and deletes JIM entries; it cannot read a
// secret and must never be handed one on argv, so get and set then report the store unusable.

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
  type NativeKeyringModule,
  requireExited,
  type RunResult,
  seconds,
} from "./keyring.ts";
import { callNative, loadAddon } from "./native.ts";
import { JimError } from "../errors.ts";

const TARGET_PREFIX = `${JIM_SERVICE}:`;
// CRED_MAX_CREDENTIAL_BLOB_SIZE; the addon stores passwords as UTF-16, two bytes per ASCII char.
export const MAX_BLOB_BYTES = 2560;

export function wincredTarget(key: string): string {
  return `${TARGET_PREFIX}${key}`;
}

export interface WincredOptions {
  name: "wincred" | "native";
  /** cmdkey's path for list and delete without the addon; null disables the fallback. */
  cmdkeyPath: string | null;
}

export class WincredKeyring implements Keyring {
  readonly name: "wincred" | "native";
  private readonly cmdkeyPath: string | null;

  constructor(
    options: WincredOptions,
    private readonly deps: Pick<KeyringDeps, "loadNative" | "run">,
    private readonly timeoutMs: number,
  ) {
    this.name = options.name;
    this.cmdkeyPath = options.cmdkeyPath;
  }

  async available(): Promise<Availability> {
    let addon: NativeKeyringModule;
    try {
      addon = await loadAddon(this.deps);
    } catch (error) {
      const reason = (error as Error).message;
      return {
        ok: false,
        reason: this.cmdkeyPath === null
          ? reason
          : `${reason}; cmdkey can only list and delete JIM entries`,
      };
    }
    try {
      await this.list(addon);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  async get(key: string): Promise<string | null> {
    checkKey(key);
    const addon = await this.requireAddon("read");
    // Read by enumeration, not through an entry: the addon's withTarget() writes an empty
    // placeholder credential when the entry is created, which would overwrite the token.
    const match = (await this.list(addon)).find((credential) => credential.account === key);
    return match && match.password !== "" ? match.password : null;
  }

  async set(key: string, secret: string): Promise<void> {
    checkKey(key);
    checkSecret(secret);
    const bytes = secret.length * 2;
    if (bytes > MAX_BLOB_BYTES) {
      throw keyringFailed(
        `the token needs ${bytes} bytes; Windows Credential Manager holds at most ${MAX_BLOB_BYTES}`,
      );
    }
    const addon = await this.requireAddon("write");
    await callNative(
      "write",
      this.timeoutMs,
      async (signal) =>
        await addon.AsyncEntry.withTarget(wincredTarget(key), JIM_SERVICE, key)
          .setPassword(secret, signal),
      secret,
    );
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const addon = await this.optionalAddon();
    if (addon === null) {
      if (!(await this.cmdkeyList()).includes(key)) return false;
      return await this.cmdkeyDelete(key);
    }
    if (!(await this.list(addon)).some((credential) => credential.account === key)) return false;
    return await this.removeWithAddon(addon, key);
  }

  async deleteAll(): Promise<number> {
    const addon = await this.optionalAddon();
    const keys = addon === null
      ? await this.cmdkeyList()
      : [...new Set((await this.list(addon)).map((credential) => credential.account))];
    let removed = 0;
    for (const key of keys) {
      const gone = addon === null
        ? await this.cmdkeyDelete(key)
        : await this.removeWithAddon(addon, key);
      if (gone) removed++;
    }
    return removed;
  }

  private list(addon: NativeKeyringModule) {
    return callNative(
      "list",
      this.timeoutMs,
      (signal) => addon.findCredentialsAsync(JIM_SERVICE, `${TARGET_PREFIX}*`, signal),
    );
  }

  private removeWithAddon(addon: NativeKeyringModule, key: string): Promise<boolean> {
    return callNative(
      "delete",
      this.timeoutMs,
      async (signal) =>
        await addon.AsyncEntry.withTarget(wincredTarget(key), JIM_SERVICE, key)
          .deleteCredential(signal),
    );
  }

  private async optionalAddon(): Promise<NativeKeyringModule | null> {
    try {
      return await loadAddon(this.deps);
    } catch (error) {
      if (this.cmdkeyPath === null) throw error;
      return null;
    }
  }

  private async requireAddon(what: "read" | "write"): Promise<NativeKeyringModule> {
    try {
      return await loadAddon(this.deps);
    } catch (error) {
      if (this.cmdkeyPath === null || !(error instanceof JimError)) throw error;
      throw keyringUnavailable(
        `${error.message}; cmdkey cannot ${what} a stored token (it only lists and deletes)`,
        error,
      );
    }
  }

  /** Instance keys of the JIM entries cmdkey lists. */
  private async cmdkeyList(): Promise<string[]> {
    const result = this.exited(await this.cmdkey([`/list:${TARGET_PREFIX}*`]));
    if (result.code !== 0) {
      throw keyringUnavailable(
        `cmdkey /list failed: ${diagnosticLine(result.stdout + result.stderr, "CMDKEY")}`,
      );
    }
    return parseCmdkeyList(result.stdout);
  }

  private async cmdkeyDelete(key: string): Promise<boolean> {
    const result = this.exited(await this.cmdkey([`/delete:${wincredTarget(key)}`]));
    return result.code === 0;
  }

  private cmdkey(args: string[]): Promise<RunResult> {
    return this.deps.run(this.cmdkeyPath ?? "cmdkey", args, { timeoutMs: this.timeoutMs });
  }

  private exited(result: RunResult) {
    return requireExited(result, `cmdkey did not answer within ${seconds(this.timeoutMs)}`);
  }
}

// cmdkey prints one "Target: ..." line per credential, its label translated and, for generic
// credentials, the name often prefixed ("LegacyGeneric:target=JIM:https://..."). Match the
// JIM: name wherever it starts a word or follows "=", and keep only well-formed keys.
export function parseCmdkeyList(output: string): string[] {
  const keys: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const match = /(?:^|[\s=])JIM:(\S+)\s*$/.exec(line);
    if (!match) continue;
    try {
      checkKey(match[1]);
    } catch {
      continue;
    }
    if (!keys.includes(match[1])) keys.push(match[1]);
  }
  return keys;
}
