// Backend over npm:@napi-rs/keyring (keyring-rs) for Linux and macOS: entry (service `JIM`,
// account `<key>`). On macOS that is the same login-Keychain item `security` reads and writes.
// On Linux the addon's Secret Service items carry `service`/`username` attributes, not the
// `url` attribute secret-tool uses, so the two Linux backends do not read each other's entries
// (secret-tool's deleteAll removes both kinds, so `disconnect --all` leaves none behind).
// The addon is imported only when this backend is first used.

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
  type NativeEntry,
  type NativeKeyringModule,
  seconds,
} from "./keyring.ts";
import { startHeldDeadline, withDeadline } from "../deadline.ts";
import { JimError } from "../errors.ts";

const PROBE_ACCOUNT = "jim:availability-probe";

export class NativeKeyring implements Keyring {
  readonly name = "native";

  constructor(
    private readonly platform: typeof Deno.build.os,
    private readonly deps: Pick<KeyringDeps, "loadNative">,
    private readonly timeoutMs: number,
  ) {}

  async available(): Promise<Availability> {
    try {
      const addon = await loadAddon(this.deps);
      await this.call("probe", (signal) => this.entry(addon, PROBE_ACCOUNT).getPassword(signal));
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  async get(key: string): Promise<string | null> {
    checkKey(key);
    const addon = await loadAddon(this.deps);
    const secret = await this.call("read", (signal) => this.entry(addon, key).getPassword(signal));
    return secret === "" ? null : secret;
  }

  async set(key: string, secret: string): Promise<void> {
    checkKey(key);
    checkSecret(secret);
    const addon = await loadAddon(this.deps);
    await this.call(
      "write",
      (signal) => this.entry(addon, key).setPassword(secret, signal),
      secret,
    );
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    const addon = await loadAddon(this.deps);
    return await this.call("delete", (signal) => this.entry(addon, key).deleteCredential(signal));
  }

  async keys(): Promise<string[]> {
    const addon = await loadAddon(this.deps);
    if (typeof addon.findCredentialsAsync !== "function") {
      throw keyringFailed("the native keyring addon cannot list entries");
    }
    const found = await this.call(
      "list",
      (signal) => addon.findCredentialsAsync(JIM_SERVICE, null, signal),
    );
    return [...new Set(found.map((credential) => credential.account))];
  }

  async deleteAll(): Promise<number> {
    const addon = await loadAddon(this.deps);
    if (typeof addon.findCredentialsAsync !== "function") {
      throw keyringFailed("the native keyring addon cannot list entries, so it cannot remove all");
    }
    const found = await this.call(
      "list",
      (signal) => addon.findCredentialsAsync(JIM_SERVICE, null, signal),
    );
    let removed = 0;
    for (const account of new Set(found.map((credential) => credential.account))) {
      if (
        await this.call("delete", (signal) => this.entry(addon, account).deleteCredential(signal))
      ) removed++;
    }
    return removed;
  }

  private entry(addon: NativeKeyringModule, account: string): NativeEntry {
    // Pin Linux to the Secret Service: the addon would otherwise fall back silently to the
    // kernel keyring, which forgets everything at reboot.
    const options = this.platform === "linux"
      ? { linux: { store: "secret-service" as const } }
      : {};
    return new addon.AsyncEntry(JIM_SERVICE, account, options);
  }

  private call<T>(what: string, work: (signal: AbortSignal) => Promise<T>, secret?: string) {
    return callNative(what, this.timeoutMs, work, secret);
  }
}

/** Loads the addon, turning any failure into keyring_unavailable. */
export async function loadAddon(deps: Pick<KeyringDeps, "loadNative">) {
  try {
    return await deps.loadNative();
  } catch (error) {
    const detail = error instanceof Error ? diagnosticLine(error.message, "") : String(error);
    throw keyringUnavailable(
      `the native keyring addon (@napi-rs/keyring) could not be loaded: ${detail}`,
      error,
    );
  }
}

/**
 * One time-boxed addon call. The addon's async work runs on a worker thread that a deadline
 * cannot stop; the caller gets keyring_unavailable on time and the thread finishes on its own.
 */
export async function callNative<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  secret?: string,
): Promise<T> {
  const controller = new AbortController();
  try {
    // `work` may throw before it returns a promise (a constructor: no Secret Service).
    const working = (async () => await work(controller.signal))();
    // Held: a pending addon promise need not keep the process alive, and a hang must be
    // reported as one, not end the process under it.
    return await withDeadline(working, timeoutMs, () => {
      controller.abort();
      throw keyringUnavailable(
        `the native keyring (${what}) did not answer within ${seconds(timeoutMs)}`,
      );
    }, startHeldDeadline);
  } catch (error) {
    if (error instanceof JimError) throw error;
    const detail = diagnosticLine(
      error instanceof Error ? error.message : String(error),
      "",
      secret,
    ) || "unknown error";
    const message = `native keyring ${what} failed: ${detail}`;
    // keyring-rs reports "Ambiguous" when a third party wrote duplicate entries: that is this
    // operation failing, not the store being unusable.
    throw /ambiguous/i.test(detail)
      ? keyringFailed(message, error)
      : keyringUnavailable(message, error);
  }
}
