// Doctor's credential-store checks: which backend, the D-Bus session bus it needs on Linux,
// whether the Secret Service answers and its collection is unlocked, and a round trip of a
// throwaway entry within the store's time bound. Reasons are said in plain words: what libsecret
// and D-Bus print ("Cannot autolaunch D-Bus without X11 $DISPLAY") means nothing to most users.

import { withDeadline } from "../deadline.ts";
import type { Env } from "../env.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { openKeyring } from "../session/stored_sign_in.ts";
import { keyringTimeoutMs } from "../settings.ts";
import { type Check, fail, pass } from "./check.ts";

// A key no JIM instance can have (.invalid is reserved, RFC 6761), so the probe can never
// overwrite or remove a real sign-in.
const PROBE_KEY = "https://jim-doctor-probe.invalid:1";

const ROUND_TRIP = "store round trip";
const IN_MEMORY = "without it jim keeps each sign-in in the agent's memory only";
const START_BUS =
  'start a session bus with a keyring: run "dbus-run-session -- $SHELL", then in it ' +
  '"gnome-keyring-daemon --unlock --components=secrets" (it reads the password on stdin)';

export async function checkStore(platform: typeof Deno.build.os, env: Env): Promise<Check[]> {
  let keyring: Keyring;
  try {
    keyring = await openKeyring(platform, env);
  } catch (error) {
    return [
      fail(
        "credential store",
        error instanceof Error ? error.message : String(error),
        "set JIM_KEYRING to auto, secret-tool, native, security, wincred or none",
      ),
    ];
  }
  if (keyring.name === "none") {
    return [pass("credential store", "disabled (JIM_KEYRING=none): sign-ins stay in memory")];
  }
  const checks: Check[] = [pass("credential store", describeBackend(keyring.name, platform))];
  const usesDbus = platform === "linux" || platform === "freebsd";
  if (usesDbus) {
    const bus = checkBus(env);
    checks.push(bus);
    if (!bus.passed) return checks;
  }
  const probe = await keyring.available();
  if (!probe.ok) {
    const failure = storeFailure(probe.reason, usesDbus);
    // An address that looked fine but leads nowhere: the bus line itself was wrong.
    const bus = checks.findIndex((check) => check.name === failure.name);
    if (bus >= 0) checks[bus] = failure;
    else checks.push(failure);
    return checks;
  }
  // A search cannot tell a locked collection without JIM entries in it: the round trip can.
  checks.push(pass(usesDbus ? "Secret Service" : "store access", "answers"));
  checks.push(await roundTrip(keyring, keyringTimeoutMs(env), usesDbus));
  return checks;
}

function describeBackend(name: string, platform: string): string {
  switch (name) {
    case "secret-tool":
      return "secret-tool (Secret Service through libsecret)";
    case "native":
      return platform === "darwin"
        ? "native (login Keychain)"
        : platform === "windows"
        ? "native (Credential Manager)"
        : "native (Secret Service through the keyring addon)";
    case "security":
      return "security (login Keychain)";
    case "wincred":
      return "wincred (Credential Manager)";
    default:
      return name;
  }
}

function checkBus(env: Env): Check {
  const address = env.get("DBUS_SESSION_BUS_ADDRESS");
  if (!address) {
    return fail(
      "D-Bus session",
      "no session bus: DBUS_SESSION_BUS_ADDRESS is not set (usual over SSH without a desktop login), so no Secret Service can be reached",
      `${START_BUS}; ${IN_MEMORY}`,
    );
  }
  // Only a plain socket path can be checked without speaking D-Bus; abstract sockets and other
  // transports are left to the Secret Service check.
  const path = /(?:^|;)unix:path=([^,;]+)/.exec(address)?.[1];
  if (path) {
    const socket = decodeDbusValue(path);
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.statSync(socket);
    } catch { /* missing */ }
    if (info === null || !info.isSocket) {
      return fail(
        "D-Bus session",
        `the session bus named by DBUS_SESSION_BUS_ADDRESS is gone (no socket at ${socket}); the session that started it has ended`,
        `${START_BUS}, or log in again so the address is set afresh`,
      );
    }
    return pass("D-Bus session", `bus at ${socket}`);
  }
  return pass("D-Bus session", "DBUS_SESSION_BUS_ADDRESS is set");
}

/** D-Bus addresses escape bytes as %XX. */
function decodeDbusValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The store's reason, said in plain words, with the fix. */
export function storeFailure(
  reason: string,
  dbus: boolean,
  name = dbus ? "Secret Service" : "store access",
): Check {
  if (/not installed|not found/i.test(reason) && !/org\.freedesktop|\.service/i.test(reason)) {
    return fail(
      "credential store",
      reason.replace(/\s*\(Debian\/Ubuntu: [^)]*\)/, ""),
      dbus
        ? "install libsecret's tool (Debian/Ubuntu: apt-get install libsecret-tools gnome-keyring)"
        : "install the platform's credential tool, or set JIM_KEYRING=native",
    );
  }
  if (
    /autolaunch|X11|\$DISPLAY|DBUS_SESSION_BUS_ADDRESS|Could not connect|Failed to connect|Cannot connect|No such file or directory/i
      .test(reason)
  ) {
    return fail(
      "D-Bus session",
      "no session bus could be reached, so no Secret Service can be asked",
      `${START_BUS}; ${IN_MEMORY}`,
    );
  }
  if (
    /not provided by any|ServiceUnknown|org\.freedesktop\.secrets|Object does not exist|No such (object|interface)/i
      .test(reason)
  ) {
    return fail(
      name,
      "no Secret Service is running on the session bus (no keyring daemon such as gnome-keyring or KeePassXC)",
      `start one in this session: "gnome-keyring-daemon --unlock --components=secrets" (it reads the password on stdin); ${IN_MEMORY}`,
    );
  }
  if (/\blocked\b/i.test(reason)) {
    return fail(
      name,
      "the keyring collection that holds the JIM entries is locked",
      'unlock it: log in to the desktop, or run "gnome-keyring-daemon --replace --unlock --components=secrets" and type the keyring password',
    );
  }
  if (/did not answer|timed out|timeout/i.test(reason)) {
    return fail(
      name,
      `the store did not answer in time (${
        /within ([\d.]+ s)/.exec(reason)?.[1] ?? "its time bound"
      }); it may be waiting for an unlock prompt nobody can see`,
      `unlock the keyring from a desktop session, or raise JIM_KEYRING_TIMEOUT; ${IN_MEMORY}`,
    );
  }
  if (/prompt|dismissed/i.test(reason)) {
    return fail(
      name,
      "the store wants to show a prompt (to unlock or create a keyring) and cannot here",
      `create and unlock a keyring from a desktop session; ${IN_MEMORY}`,
    );
  }
  return fail(name, `the store cannot be used: ${reason}`, IN_MEMORY);
}

/** Writes, reads back and removes a throwaway entry, all within the store's time bound. */
async function roundTrip(keyring: Keyring, timeoutMs: number, dbus: boolean): Promise<Check> {
  const secret = `probe-${crypto.randomUUID()}`;
  const started = performance.now();
  // Each call is bounded by the store itself; three of them get three bounds.
  const bound = timeoutMs * 3;
  const work = (async () => {
    try {
      await keyring.set(PROBE_KEY, secret);
      const back = await keyring.get(PROBE_KEY);
      return back === secret ? "ok" : "mismatch";
    } finally {
      await keyring.delete(PROBE_KEY).catch(() => false);
    }
  })();
  try {
    const outcome = await withDeadline(work, bound, () => "expired" as const);
    if (outcome === "expired") {
      return storeFailure(`did not answer within ${bound / 1000} s`, dbus, ROUND_TRIP);
    }
    if (outcome === "mismatch") {
      return fail(
        ROUND_TRIP,
        "a throwaway entry was written but read back differently",
        "check which program answers as the credential store; set JIM_KEYRING to another backend",
      );
    }
    const ms = Math.round(performance.now() - started);
    return pass(
      "store round trip",
      `a throwaway entry was written, read back and removed (${ms} ms)`,
    );
  } catch (error) {
    return storeFailure(
      error instanceof Error ? error.message : String(error),
      dbus,
      ROUND_TRIP,
    );
  }
}
