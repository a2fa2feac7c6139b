// Section "keyring": what one credential-store read costs per backend available here. The raw
// `secret-tool lookup` against a real gnome-keyring (private D-Bus session) runs under
// hyperfine; jim's own backends (lib/keyring, when present) are timed in process, `none`
// included, each call time-boxed so a hung store cannot stall the run.

import { onCleanup, timeBox } from "./cleanup.ts";
import { selectKeyring } from "../lib/keyring/select.ts";
import { hyperfine, type HyperfineSettings, timeInProcess } from "./hyperfine.ts";
import { newSection, type Row, type Section } from "./report.ts";
import {
  keyringSessionUnavailable,
  startKeyringSession,
} from "../tests/helpers/keyring_session.ts";

// A made-up instance key and token: the store is a throwaway keyring in a temporary HOME.
const INSTANCE_KEY = "http://127.0.0.1:9";
const FAKE_TOKEN = "bench-not-a-real-refresh-token";
const BACKENDS = ["secret-tool", "native", "none"];
const CALL_LIMIT_MS = 5_000;

export async function runKeyring(settings: HyperfineSettings): Promise<Section> {
  const section = newSection("Credential store: one read (lookup of a stored refresh token)");
  const missing = keyringSessionUnavailable();
  if (missing !== null) {
    section.rows.push({ name: "secret-tool lookup (gnome-keyring)", missing });
    section.rows.push(...await jimBackendRows(settings, null));
    return section;
  }
  const session = await startKeyringSession();
  const stop = onCleanup("D-Bus and gnome-keyring (private session)", () => session.close());
  // hyperfine and secret-tool run with this environment only (clearEnv): PATH finds the tools.
  const vars = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...session.env };
  try {
    const stored = await storeSecret(
      vars,
      { service: "JIM", url: INSTANCE_KEY },
      `JIM refresh token (${INSTANCE_KEY})`,
      FAKE_TOKEN,
    );
    if (!stored) throw new Error("secret-tool store failed against the private gnome-keyring");
    const name = "secret-tool lookup (gnome-keyring, private D-Bus)";
    try {
      section.rows.push({
        name,
        timing: await hyperfine(
          name,
          ["secret-tool", "lookup", "service", "JIM", "url", INSTANCE_KEY],
          vars,
          settings,
        ),
      });
    } catch (error) {
      section.rows.push({ name, missing: (error as Error).message });
    }
    section.rows.push(...await jimBackendRows(settings, vars));
  } finally {
    await stop();
  }
  section.notes.push(
    "secret-tool: a process start plus D-Bus round trips to gnome-keyring; the native backend " +
      "talks D-Bus from inside the process (its addon load is in the warm-up). jim pays a probe " +
      "and a read per connect (silent reconnect) and a write per rotated refresh token, never " +
      "per API call; in-process rows have no ratio (no process start to compare).",
  );
  return section;
}

/** Stores a secret with secret-tool (the secret goes on stdin, never on argv). */
async function storeSecret(
  vars: Record<string, string>,
  attributes: Record<string, string>,
  label: string,
  secret: string,
): Promise<boolean> {
  const child = new Deno.Command("secret-tool", {
    args: ["store", `--label=${label}`, ...Object.entries(attributes).flat()],
    env: vars,
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(secret));
  await writer.close();
  return (await child.status).success;
}

/** jim's own backends, chosen through lib/keyring/select.ts as a command chooses them. */
async function jimBackendRows(
  settings: HyperfineSettings,
  sessionVars: Record<string, string> | null,
): Promise<Row[]> {
  // Backends that spawn secret-tool or load libsecret read the bus address from this process.
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(sessionVars ?? {})) {
    if (name === "PATH") continue;
    saved.set(name, Deno.env.get(name));
    Deno.env.set(name, value);
  }
  const rows: Row[] = [];
  try {
    for (const backend of BACKENDS) {
      const name = `jim keyring get, JIM_KEYRING=${backend} (in process)`;
      if (backend !== "none" && !sessionVars) {
        rows.push({ name, missing: "no Secret Service here" });
        continue;
      }
      try {
        const vars: Record<string, string> = { ...sessionVars, JIM_KEYRING: backend };
        const env = { get: (key: string) => vars[key] ?? Deno.env.get(key) };
        const keyring = selectKeyring(Deno.build.os, env);
        // `none` is never "available" by design; its get is still what a command pays.
        if (backend !== "none") {
          const probe = await timeBox(keyring.available(), CALL_LIMIT_MS, "probe timed out");
          if (!probe.ok) {
            rows.push({ name, missing: `unavailable: ${probe.reason}` });
            continue;
          }
          // Each backend has its own entry layout: store the entry the way it reads it.
          await timeBox(keyring.set(INSTANCE_KEY, FAKE_TOKEN), CALL_LIMIT_MS, "set timed out");
          const probeName = `jim keyring available(), JIM_KEYRING=${backend} (in process)`;
          rows.push({
            name: probeName,
            timing: await timeInProcess(
              probeName,
              () => timeBox(keyring.available(), CALL_LIMIT_MS, "probe timed out"),
              settings,
            ),
            ratio: false,
          });
        }
        let found = false;
        const timing = await timeInProcess(name, async () => {
          const value = await timeBox(keyring.get(INSTANCE_KEY), CALL_LIMIT_MS, "get timed out");
          found = value === FAKE_TOKEN;
        }, settings);
        const label = backend === "none" ? name : `${name}${found ? "" : ", entry NOT found"}`;
        rows.push({ name: label, timing, ratio: false });
      } catch (error) {
        rows.push({ name, missing: (error as Error).message });
      }
    }
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
  return rows;
}
