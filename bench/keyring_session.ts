// A private Secret Service for the credential-store benchmark: a D-Bus session bus of our own
// (no service activation, so nothing else gets started behind our back) and gnome-keyring
// unlocked with a throwaway password, both in a temporary HOME and stopped at the end.

import { onCleanup, stopChild, timeBox } from "./cleanup.ts";

export interface KeyringSession {
  /** HOME, XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS and PATH for clients of this session. */
  vars: Record<string, string>;
  stop(): Promise<void>;
}

const READY_LIMIT_MS = 10_000;

export function keyringToolsMissing(): string | null {
  for (const tool of ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"]) {
    const found = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").some((dir) => {
      try {
        return Deno.statSync(`${dir}/${tool}`).isFile;
      } catch {
        return false;
      }
    });
    if (!found) return `${tool} is not installed`;
  }
  return null;
}

export async function startKeyringSession(): Promise<KeyringSession> {
  const dir = await Deno.makeTempDir({ prefix: "jim-bench-keyring-" });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (stops.length > 0) await stops.pop()!();
  };
  stops.push(onCleanup(`keyring directory ${dir}`, () => Deno.remove(dir, { recursive: true })));
  try {
    const home = `${dir}/home`;
    const runtime = `${dir}/run`;
    for (const d of [home, runtime]) await Deno.mkdir(d, { mode: 0o700 });
    const busConfig = `${dir}/bus.conf`;
    await Deno.writeTextFile(busConfig, busConfigXml(`${dir}/bus`));
    const base = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
    };

    const bus = new Deno.Command("dbus-daemon", {
      args: [`--config-file=${busConfig}`, "--nofork", "--print-address=1"],
      env: base,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    stops.push(onCleanup("dbus-daemon", () => stopChild(bus)));
    const address = await timeBox(
      firstLine(bus.stdout),
      READY_LIMIT_MS,
      "dbus-daemon did not start in time",
    );
    if (!address.startsWith("unix:")) throw new Error("dbus-daemon printed no address");
    const vars = { ...base, DBUS_SESSION_BUS_ADDRESS: address };

    const keyring = new Deno.Command("gnome-keyring-daemon", {
      args: ["--foreground", "--unlock", "--components=secrets"],
      env: vars,
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    stops.push(onCleanup("gnome-keyring-daemon", () => stopChild(keyring)));
    // --unlock reads the login keyring's password from stdin until end of file.
    const writer = keyring.stdin.getWriter();
    await writer.write(new TextEncoder().encode(crypto.randomUUID()));
    await writer.close();
    await waitForSecretService(vars);
    return { vars, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Stores a secret with secret-tool (the secret goes on stdin, never on argv). */
export async function storeSecret(
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

async function waitForSecretService(vars: Record<string, string>): Promise<void> {
  const deadline = Date.now() + READY_LIMIT_MS;
  while (Date.now() < deadline) {
    const out = await new Deno.Command("dbus-send", {
      args: [
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        "string:org.freedesktop.secrets",
      ],
      env: vars,
      clearEnv: true,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(out.stdout).includes("boolean true")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("gnome-keyring-daemon did not take the Secret Service name in time");
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
    // Keep draining so the daemon never blocks on a full pipe.
    stream.pipeTo(new WritableStream()).catch(() => {});
  }
  return text.split("\n")[0].trim();
}

function busConfigXml(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}
