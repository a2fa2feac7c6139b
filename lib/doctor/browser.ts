// Doctor's browser check: whether browser sign-in can open a browser here (an SSH session, a
// display), and which opener would run — $BROWSER, else the platform's, as connect tries them.

import type { Env } from "../env.ts";
import { browserCommands } from "../auth/browser_opener.ts";
import { whichOnPath } from "../keyring/system_deps.ts";
import { type Check, fail, pass } from "./check.ts";

const HEADLESS_FIX =
  "sign in with jim connect URL --device-code, or with --no-browser and the port forwarded " +
  "from your desktop (ssh -L 8400:localhost:8400 this-host)";

export function checkBrowser(env: Env, platform: typeof Deno.build.os): Check {
  const ssh = Boolean(env.get("SSH_CONNECTION") || env.get("SSH_CLIENT") || env.get("SSH_TTY"));
  const where = ssh ? "SSH session" : "local session";
  const path = env.get("PATH") ?? "";
  const browser = env.get("BROWSER");
  const candidates = browserCommands("https://example.invalid/", browser, platform);
  if (browser !== undefined && browser.trim() !== "") {
    const first = candidates[0];
    if (!first) {
      return fail(
        "browser",
        `${where}; $BROWSER names no command`,
        "set BROWSER to a program, or unset it",
      );
    }
    const found = first.cmd.includes("/") ? first.cmd : whichOnPath(first.cmd, path);
    if (found === null) {
      return fail(
        "browser",
        `${where}; $BROWSER names ${first.cmd}, which is not on PATH`,
        `install it or fix BROWSER; else ${HEADLESS_FIX}`,
      );
    }
    return pass("browser", `${where}; $BROWSER would run ${found}`);
  }
  if (platform === "darwin" || platform === "windows") {
    const opener = candidates[0].cmd;
    return ssh
      ? fail(
        "browser",
        `${where}: ${opener} would open a browser on the remote desktop, not yours`,
        HEADLESS_FIX,
      )
      : pass("browser", `${where}; ${opener} would open the default browser`);
  }
  const display = env.get("WAYLAND_DISPLAY")
    ? `Wayland display ${env.get("WAYLAND_DISPLAY")}`
    : env.get("DISPLAY")
    ? `display ${env.get("DISPLAY")}`
    : null;
  if (display === null) {
    return fail(
      "browser",
      `${where} without a display (DISPLAY and WAYLAND_DISPLAY are not set)`,
      HEADLESS_FIX,
    );
  }
  for (const { cmd } of candidates) {
    const found = whichOnPath(cmd, path);
    if (found !== null) return pass("browser", `${where}, ${display}; ${found} would open it`);
  }
  return fail(
    "browser",
    `${where}, ${display}, but no opener is installed (${candidates.map((c) => c.cmd).join(", ")})`,
    `install xdg-utils, or set BROWSER to your browser; else ${HEADLESS_FIX}`,
  );
}
