// Opens the sign-in URL in the user's browser: $BROWSER when set (a colon-separated list of
// commands, each may carry arguments and a %s for the URL), else the platform's opener. The URL
// is passed as an argument and never through a shell. Every local user can read that argument,
// so the sign-in hands this module a file:// page, never the authorization URL with its state
// (browser_handoff.ts). A browser that keeps running is left running: the flow never waits for it.

import { BASE_VARS, childEnv, SESSION_VARS } from "../child_env.ts";
import { withDeadline } from "../deadline.ts";
import type { Env } from "../env.ts";

export type RunOutcome =
  /** The command ended within the grace period with this exit code. */
  | { readonly status: "exited"; readonly code: number }
  /** Still running after the grace period (a browser started in the foreground): success. */
  | { readonly status: "running" }
  /** No such program. */
  | { readonly status: "not_found" }
  | { readonly status: "failed"; readonly reason: string };

export interface BrowserOpenerDeps {
  readonly env: Env;
  readonly platform: string;
  /** Starts a command without a shell; see runDetached for the real one. */
  run(cmd: string, args: readonly string[]): Promise<RunOutcome>;
}

export interface OpenResult {
  readonly opened: boolean;
  readonly reason?: string;
}

export interface BrowserCommand {
  readonly cmd: string;
  readonly args: readonly string[];
}

export async function openBrowser(url: string, deps: BrowserOpenerDeps): Promise<OpenResult> {
  const candidates = browserCommands(url, deps.env.get("BROWSER"), deps.platform);
  if (candidates.length === 0) return { opened: false, reason: "$BROWSER names no command" };
  const failures: string[] = [];
  for (const { cmd, args } of candidates) {
    let outcome: RunOutcome;
    try {
      outcome = await deps.run(cmd, args);
    } catch (error) {
      outcome = {
        status: "failed",
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (outcome.status === "running" || (outcome.status === "exited" && outcome.code === 0)) {
      return { opened: true };
    }
    failures.push(
      outcome.status === "exited"
        ? `${cmd} exited with status ${outcome.code}`
        : outcome.status === "not_found"
        ? `${cmd} not found`
        : `${cmd} failed: ${outcome.reason}`,
    );
  }
  return { opened: false, reason: failures.join("; ") };
}

/** The commands to try, in order. With $BROWSER set, only its entries are tried. */
export function browserCommands(
  url: string,
  browserEnv: string | undefined,
  platform: string,
): BrowserCommand[] {
  if (browserEnv !== undefined && browserEnv.trim() !== "") {
    // The list separator is the platform's PATH separator, so "C:\..." stays one entry.
    return browserEnv.split(platform === "windows" ? ";" : ":").map((entry) =>
      fromBrowserEntry(entry, url)
    ).filter((c) => c !== undefined);
  }
  switch (platform) {
    case "darwin":
      return [{ cmd: "open", args: [url] }];
    case "windows":
      return [{ cmd: "rundll32", args: ["url.dll,FileProtocolHandler", url] }];
    default:
      return [
        { cmd: "xdg-open", args: [url] },
        { cmd: "x-www-browser", args: [url] },
        { cmd: "sensible-browser", args: [url] },
        { cmd: "gio", args: ["open", url] },
        { cmd: "wslview", args: [url] },
      ];
  }
}

/** One $BROWSER entry: words (quotes group, as in a shell), %s replaced, else URL appended. */
function fromBrowserEntry(entry: string, url: string): BrowserCommand | undefined {
  const words = splitWords(entry);
  if (words.length === 0) return undefined;
  let placed = false;
  const expanded = words.map((word) =>
    word.replace(/%([s%])/g, (_, c: string) => {
      if (c === "%") return "%";
      placed = true;
      return url;
    })
  );
  if (!placed) expanded.push(url);
  return { cmd: expanded[0], args: expanded.slice(1) };
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

// What a browser or opener needs: the desktop session (display, bus, XDG dirs), WSL's bridge
// for wslview, and BROWSER for xdg-open. Nothing else of jim's environment reaches the browser.
const BROWSER_VARS = [
  ...BASE_VARS,
  ...SESSION_VARS,
  "SHELL",
  "BROWSER",
  "WSL_DISTRO_NAME",
  "WSL_INTEROP",
];

/**
 * The real `run`: starts the command with no stdio, waits at most `graceMs` for it to exit, and
 * otherwise leaves it running (unreferenced, so jim can exit; its exit is still collected).
 */
export async function runDetached(
  cmd: string,
  args: readonly string[],
  graceMs = 1500,
): Promise<RunOutcome> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args: [...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      clearEnv: true,
      env: childEnv(BROWSER_VARS),
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { status: "not_found" };
    return { status: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
  const result = await withDeadline(child.status, graceMs, () => "running" as const);
  if (result === "running") {
    child.unref();
    child.status.catch(() => {});
    return { status: "running" };
  }
  return { status: "exited", code: result.code };
}
