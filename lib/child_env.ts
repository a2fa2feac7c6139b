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
  for (const name of names) {
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
 * Read only by jim's own test stand-ins and test browsers (fixtures/), which are Deno scripts
 * (hence DENO_DIR): none carries a secret, and passing them lets the tests drive the real spawn
 * path instead of a fake.
 */
export const TEST_FIXTURE_VARS = [
  "DENO_DIR",
  "JIM_STANDIN_DENO",
  "JIM_STANDIN_LOG",
  "JIM_STANDIN_PIDFILE",
  "JIM_STANDIN_SLEEP",
  "JIM_STANDIN_STATUS",
  "JIM_STANDIN_STORE",
  "JIM_TEST_DENO",
  "JIM_TEST_BROWSER_LOG",
  "JIM_TEST_BROWSER_MODE",
  "JIM_TEST_LOGIN",
  "JIM_TEST_CHROMIUM",
] as const;
