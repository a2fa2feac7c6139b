// The environment jim hands a child process: nothing inherited except the variables named for
// that kind of child, so an API key, a CI token or anything else a script exported never
// reaches the agent, a credential-store tool or a browser. Each caller names what its child
// needs; these lists are the parts they share.

/** What any program needs to start at all: the search path, home, locale and temp dirs. */
export const BASE_VARS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TZ",
  "TMPDIR",
  // Windows: without SystemRoot a process cannot load Winsock or most system DLLs.
  "SystemRoot",
  "SYSTEMDRIVE",
  "windir",
  "COMSPEC",
  "PATHEXT",
  "USERPROFILE",
  "USERNAME",
  "APPDATA",
  "LOCALAPPDATA",
  "PROGRAMDATA",
  "TEMP",
  "TMP",
] as const;

/** The desktop session: the display, the session bus and the XDG directories. */
export const SESSION_VARS = [
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XAUTHORITY",
  "DBUS_SESSION_BUS_ADDRESS",
  "XDG_RUNTIME_DIR",
  "XDG_DATA_HOME",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_STATE_HOME",
  "XDG_DATA_DIRS",
  "XDG_CONFIG_DIRS",
  "XDG_CURRENT_DESKTOP",
  "XDG_SESSION_TYPE",
] as const;

/** The outbound-proxy settings (lib/api/proxy_env.ts reads the same names). */
export const PROXY_VARS = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

export type EnvSource = (name: string) => string | undefined;

/**
 * The named variables that are set in `source`, plus `extra` on top. A name jim has no
 * permission to read counts as unset: the child then starts without it.
 */
export function childEnv(
  names: readonly string[],
  extra: Record<string, string> = {},
  source: EnvSource = readOwnEnv,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...names, ...passThroughNames(source)]) {
    const value = source(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function readOwnEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * JIM_CHILD_ENV: further variables, comma-separated, that every program jim starts receives
 * too (a $BROWSER wrapper, a credential-store tool, the agent and what it starts), for setups
 * that need more than the lists above; the list itself goes along so the agent's children get
 * them as well. Only names jim may read (its permission set) can pass, and JIM_API_KEY never.
 */
export function passThroughNames(source: EnvSource = readOwnEnv): string[] {
  const list = source("JIM_CHILD_ENV");
  if (list === undefined) return [];
  const names = list.split(",").map((name) => name.trim()).filter((name) =>
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) && name.toUpperCase() !== "JIM_API_KEY"
  );
  return ["JIM_CHILD_ENV", ...names.slice(0, 64)];
}
