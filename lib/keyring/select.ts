// Chooses the credential-store backend from JIM_KEYRING and the platform. Nothing is probed or
// loaded here: selection is a PATH lookup at most, and backends probe when asked.

import type { Env } from "../env.ts";
import { usageError } from "../errors.ts";
import { keyringTimeoutMs } from "../settings.ts";
import { type Keyring, KEYRING_NAMES, type KeyringDeps, type KeyringName } from "./keyring.ts";
import { NativeKeyring } from "./native.ts";
import { NoKeyring } from "./none.ts";
import { SecretToolKeyring } from "./secret_tool.ts";
import { SecurityKeyring } from "./security.ts";
import { systemDeps } from "./system_deps.ts";
import { WincredKeyring } from "./wincred.ts";
import { echoInput } from "../text.ts";

export type { Keyring, KeyringDeps } from "./keyring.ts";

export function selectKeyring(
  platform: typeof Deno.build.os,
  env: Env,
  deps?: Partial<KeyringDeps>,
): Keyring {
  const choice = keyringChoice(env.get("JIM_KEYRING"));
  const all: KeyringDeps = { ...systemDeps({ path: env.get("PATH") ?? "" }), ...deps };
  const timeoutMs = keyringTimeoutMs(env);
  const name = choice === "auto" ? autoChoice(platform, all) : choice;
  switch (name) {
    case "none":
      return new NoKeyring();
    case "secret-tool":
      return new SecretToolKeyring(all.which("secret-tool"), all, timeoutMs);
    case "security":
      return new SecurityKeyring(all.which("security"), all, timeoutMs);
    case "wincred":
      return new WincredKeyring(
        { name: "wincred", cmdkeyPath: all.which("cmdkey") },
        all,
        timeoutMs,
      );
    case "native":
      // On Windows the native API is advapi32, with the Credential Manager layout (JIM:<key>).
      return platform === "windows"
        ? new WincredKeyring({ name: "native", cmdkeyPath: null }, all, timeoutMs)
        : new NativeKeyring(platform, all, timeoutMs);
  }
}

function keyringChoice(value: string | undefined): KeyringName | "auto" {
  const text = (value ?? "").trim().toLowerCase();
  if (text === "" || text === "auto") return "auto";
  if ((KEYRING_NAMES as readonly string[]).includes(text)) return text as KeyringName;
  throw usageError(
    `JIM_KEYRING must be one of auto, ${KEYRING_NAMES.join(", ")}; got '${echoInput(value ?? "")}'`,
  );
}

function autoChoice(platform: typeof Deno.build.os, deps: KeyringDeps): KeyringName {
  switch (platform) {
    case "darwin":
      return "security";
    case "windows":
      return "wincred";
    default:
      // Linux, FreeBSD and friends: libsecret's tool if present, else what the addon supports.
      return deps.which("secret-tool") === null ? "native" : "secret-tool";
  }
}
