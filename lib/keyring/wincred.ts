// Windows Credential Manager backend: generic credentials with target `JIM:<key>` and user
// `<key>`, the JIM PowerShell module's layout, read and written through advapi32
// (wincred_api.ts) so both tools share one sign-in. When advapi32 cannot be opened, `cmdkey`
// still lists and deletes JIM entries; it cannot read a secret and must never be handed one on
// argv, so get and set then report the store unusable.
// The Cred* calls are synchronous and cannot be time-boxed like the other backends' tools; they
// are local calls to the Credential Manager service, which has no prompt to wait on.

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
import { type WincredApi, WincredCallError } from "./wincred_api.ts";
import { JimError } from "../errors.ts";

const TARGET_PREFIX = `${JIM_SERVICE}:`;
// CRED_MAX_CREDENTIAL_BLOB_SIZE; the token is stored as UTF-16, two bytes per ASCII char.
export const MAX_BLOB_BYTES = 2560;
// Windows errors that mean "no credential store for this logon", not a failed operation.
const STORE_UNAVAILABLE = new Map<number, string>([
  [1312, "this logon session has no credential store (ERROR_NO_SUCH_LOGON_SESSION)"],
  [5, "access to the credential store was denied (ERROR_ACCESS_DENIED)"],
]);

export function wincredTarget(key: string): string {
  return `${TARGET_PREFIX}${key}`;
}

export interface WincredOptions {
  name: "wincred" | "native";
  /** cmdkey's path for list and delete without advapi32; null disables the fallback. */
  cmdkeyPath: string | null;
}

export class WincredKeyring implements Keyring {
  readonly name: "wincred" | "native";
  private readonly cmdkeyPath: string | null;

  constructor(
    options: WincredOptions,
    private readonly deps: Pick<KeyringDeps, "openWincred" | "run">,
    private readonly timeoutMs: number,
  ) {
    this.name = options.name;
    this.cmdkeyPath = options.cmdkeyPath;
  }

  available(): Promise<Availability> {
    let api: WincredApi;
    try {
      api = this.open();
    } catch (error) {
      const reason = (error as Error).message;
      return Promise.resolve({
        ok: false,
        reason: this.cmdkeyPath === null
          ? reason
          : `${reason}; cmdkey can only list and delete JIM entries`,
      });
    }
    try {
      this.call("list", () => api.list(`${TARGET_PREFIX}*`));
      return Promise.resolve({ ok: true });
    } catch (error) {
      return Promise.resolve({ ok: false, reason: (error as Error).message });
    }
  }

  get(key: string): Promise<string | null> {
    return attempt(() => {
      checkKey(key);
      const api = this.requireApi("read");
      const found = this.call("read", () => api.read(wincredTarget(key)));
      return found && found.secret !== "" ? found.secret : null;
    });
  }

  set(key: string, secret: string): Promise<void> {
    return attempt(() => {
      checkKey(key);
      checkSecret(secret);
      const bytes = secret.length * 2;
      if (bytes > MAX_BLOB_BYTES) {
        throw keyringFailed(
          `the token needs ${bytes} bytes; Windows Credential Manager holds at most ${MAX_BLOB_BYTES}`,
        );
      }
      const api = this.requireApi("write");
      this.call("write", () => api.write(wincredTarget(key), key, secret));
    });
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const api = await attempt(() => this.optionalApi());
    if (api === null) {
      if (!(await this.cmdkeyList()).includes(key)) return false;
      return await this.cmdkeyDelete(key);
    }
    return this.call("delete", () => api.remove(wincredTarget(key)));
  }

  async deleteAll(): Promise<number> {
    const api = await attempt(() => this.optionalApi());
    if (api === null) {
      let removed = 0;
      for (const key of await this.cmdkeyList()) if (await this.cmdkeyDelete(key)) removed++;
      return removed;
    }
    let removed = 0;
    for (const { target } of this.call("list", () => api.list(`${TARGET_PREFIX}*`))) {
      if (this.call("delete", () => api.remove(target))) removed++;
    }
    return removed;
  }

  private open(): WincredApi {
    try {
      return this.deps.openWincred();
    } catch (error) {
      const detail = error instanceof Error ? diagnosticLine(error.message, "") : String(error);
      throw keyringUnavailable(
        `the Windows credential API (advapi32) could not be opened: ${detail}`,
        error,
      );
    }
  }

  /** One Cred* call, its Windows error turned into a one-line JimError. */
  private call<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      const known = error instanceof WincredCallError
        ? STORE_UNAVAILABLE.get(error.lastError)
        : undefined;
      const message = `Credential Manager ${what} failed: ${known ?? (error as Error).message}`;
      throw known === undefined
        ? keyringFailed(message, error)
        : keyringUnavailable(message, error);
    }
  }

  private optionalApi(): WincredApi | null {
    try {
      return this.open();
    } catch (error) {
      if (this.cmdkeyPath === null) throw error;
      return null;
    }
  }

  private requireApi(what: "read" | "write"): WincredApi {
    try {
      return this.open();
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

/** Runs synchronous work, its throw becoming the promise's rejection. */
function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
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
