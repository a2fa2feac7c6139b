// Settings jim reads from the environment, each validated where it is read: a bad value is a
// usage error naming the variable and its range, never a silent default or an internal name.

import type { Env } from "./env.ts";
import { usageError } from "./errors.ts";

/** JIM_HTTP_TIMEOUT: seconds per HTTP request, 1-3600, default 30. */
export function httpTimeoutMs(env: Env): number {
  return seconds(env, "JIM_HTTP_TIMEOUT", 30, 1, 3600) * 1000;
}

// setTimeout holds at most 2^31-1 ms (about 24.8 days); longer waits would fire at once.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** JIM_AGENT_IDLE_TIMEOUT: seconds before an idle agent exits, 1 to ~24.8 days, default 8 h. */
export function idleTimeoutMs(env: Env): number {
  return seconds(env, "JIM_AGENT_IDLE_TIMEOUT", 8 * 3600, 1, MAX_TIMER_SECONDS) * 1000;
}

/** JIM_KEYRING_TIMEOUT: seconds (fractions allowed) for each credential-store call, 0.1-300. */
export function keyringTimeoutMs(env: Env): number {
  return Math.round(
    seconds(env, "JIM_KEYRING_TIMEOUT", DEFAULT_KEYRING_TIMEOUT_S, 0.1, 300) * 1000,
  );
}

// Generous for a first unlock prompt, short enough that a hung store does not stall connect.
const DEFAULT_KEYRING_TIMEOUT_S = 5;

function seconds(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env.get(name);
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw usageError(
      `${name} must be a number of seconds from ${min} to ${max}, not '${raw.slice(0, 20)}'`,
    );
  }
  return value;
}
