// The stored sign-in: the OAuth refresh token kept in the OS credential store under the
// instance key. Reading, writing back rotated tokens, and forgetting (disconnect).

import type { SessionDeps } from "./session_deps.ts";
import type { Env } from "../env.ts";
import { JimError } from "../errors.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { busIsOwn, commandBusAddress } from "./bus_address.ts";

export async function openKeyring(
  platform: typeof Deno.build.os,
  env: Env,
  /** Variables for the store's helper processes (the agent's chosen D-Bus session). */
  childEnv?: Record<string, string>,
): Promise<Keyring> {
  const { selectKeyring } = await import("../keyring/select.ts");
  if (!childEnv) return selectKeyring(platform, env);
  const { systemDeps } = await import("../keyring/system_deps.ts");
  return selectKeyring(platform, env, systemDeps({ path: env.get("PATH") ?? "", env: childEnv }));
}

/** The store if it answers, else null with the reason (missing, locked, disabled, hung). */
export async function usableKeyring(
  platform: typeof Deno.build.os,
  env: Env,
): Promise<{ keyring: Keyring } | { keyring: null; reason: string; disabled: boolean }> {
  const keyring = await openKeyring(platform, env);
  const probe = await keyring.available();
  // "disabled": the user chose JIM_KEYRING=none, so there is nothing to tell them about.
  return probe.ok
    ? { keyring }
    : { keyring: null, reason: probe.reason, disabled: keyring.name === "none" };
}

/** The store connect chose, as the agent keeps it with the session. */
export interface KeyringChoice {
  backend: string;
  timeout?: string;
  bus?: string;
}

/**
 * Used by the agent after a refresh rotated the token, with the store the connecting command
 * chose (the agent's own environment is whatever the first command that started it had), through
 * the D-Bus session `bus` when one is given.
 */
export async function storeRefreshToken(
  key: string,
  refreshToken: string,
  choice?: KeyringChoice,
  bus?: string,
): Promise<void> {
  await (await agentKeyring(choice, bus)).set(key, refreshToken);
}

/** The agent's removal of a stored token it knows to be spent (the new one could not be stored). */
export async function forgetRefreshToken(
  key: string,
  choice?: KeyringChoice,
  bus?: string,
): Promise<void> {
  await (await agentKeyring(choice, bus)).delete(key);
}

function agentKeyring(choice: KeyringChoice | undefined, bus: string | undefined) {
  if (bus !== undefined && !busIsOwn(bus)) {
    return Promise.reject(
      new JimError("keyring_unavailable", "that D-Bus session is gone or is not this user's"),
    );
  }
  const env = {
    get: (name: string) =>
      name === "JIM_KEYRING" && choice
        ? choice.backend
        : name === "JIM_KEYRING_TIMEOUT" && choice
        ? choice.timeout
        : Deno.env.get(name),
  };
  return openKeyring(Deno.build.os, env, bus ? { DBUS_SESSION_BUS_ADDRESS: bus } : undefined);
}

/** The store choice to hand the agent with a persisted session. */
export function keyringChoice(env: Env): KeyringChoice {
  const bus = commandBusAddress(env);
  return {
    backend: env.get("JIM_KEYRING") || "auto",
    timeout: env.get("JIM_KEYRING_TIMEOUT"),
    ...(bus ? { bus } : {}),
  };
}

/** What forgetting did; the command says it (this layer prints nothing). */
export interface Forgotten {
  /** How many stored sign-ins were removed. */
  removed: number;
  /** Every entry was removed without revoking: the store cannot list its entries. */
  unlisted: boolean;
  /** Set when the credential store did not answer, and nothing was removed: why. */
  unavailable?: string;
}

/**
 * Removes the stored sign-in of one instance, or every one. `revoke`, when given, sees each
 * stored token first (disconnect revokes them at the provider); where the store cannot list its
 * entries, --all removes them without it and `unlisted` says so.
 */
export async function forgetStoredSignIns(
  deps: Pick<SessionDeps, "platform" | "env">,
  target: { all: true } | { key: string },
  revoke?: (key: string, refreshToken: string) => Promise<void>,
): Promise<Forgotten> {
  const store = await usableKeyring(deps.platform, deps.env);
  if (!store.keyring) return { removed: 0, unlisted: false, unavailable: store.reason };
  const keyring = store.keyring;
  try {
    if ("all" in target) {
      const unlisted = revoke !== undefined && keyring.keys === undefined;
      if (revoke && keyring.keys) {
        // Read one by one (a store answers one call at a time), then revoke all at once: each
        // provider gets its own bound, not the sum of everyone's.
        const found: [string, string][] = [];
        for (const key of await keyring.keys()) {
          const token = await keyring.get(key).catch(() => null);
          if (token) found.push([key, token]);
        }
        await Promise.all(found.map(([key, token]) => revoke(key, token)));
      }
      return { removed: await keyring.deleteAll(), unlisted };
    }
    if (revoke) {
      const token = await keyring.get(target.key).catch(() => null);
      if (token) await revoke(target.key, token);
    }
    return { removed: await keyring.delete(target.key) ? 1 : 0, unlisted: false };
  } catch (error) {
    if (error instanceof JimError) {
      throw new JimError(error.code, `could not remove the stored sign-in: ${error.message}`);
    }
    throw error;
  }
}
