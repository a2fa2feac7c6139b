// The backend for JIM_KEYRING=none: nothing is stored, nothing is found. Sessions then live
// only in the agent's memory.

import { type Availability, type Keyring, keyringUnavailable } from "./keyring.ts";

export class NoKeyring implements Keyring {
  readonly name = "none";

  available(): Promise<Availability> {
    return Promise.resolve({ ok: false, reason: "disabled by JIM_KEYRING=none" });
  }

  get(_key: string): Promise<string | null> {
    return Promise.resolve(null);
  }

  set(_key: string, _secret: string): Promise<void> {
    return Promise.reject(
      keyringUnavailable("the credential store is disabled by JIM_KEYRING=none"),
    );
  }

  delete(_key: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  deleteAll(): Promise<number> {
    return Promise.resolve(0);
  }
}
