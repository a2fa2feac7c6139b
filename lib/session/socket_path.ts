// Where the session agent listens ($XDG_RUNTIME_DIR/jim, else ~/.cache/jim), and the checks that
// keep that place private to the user:
// a 0700 directory owned by the user (not a symlink) and a 0600 socket. Where Unix sockets are
// missing (Windows), the same path holds a 0600 file naming the agent's loopback port and a
// per-start secret instead.

import type { Env } from "../env.ts";
import { JimError } from "../errors.ts";

export interface AgentEndpoint {
  /** "unix": a socket at `path`; "tcp": 127.0.0.1, port and secret in the file at `path`. */
  kind: "unix" | "tcp";
  path: string;
  /** Who must own the directory and the socket (null where the platform has no uids). */
  uid: number | null;
}

// sun_path holds 108 bytes on Linux (104 on macOS) including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 103;

export function agentEndpoint(
  env: Env,
  uid: number | null,
  os: typeof Deno.build.os = Deno.build.os,
): AgentEndpoint {
  const transport = env.get("JIM_AGENT_TRANSPORT") || (os === "windows" ? "tcp" : "unix");
  if (transport !== "unix" && transport !== "tcp") {
    throw new JimError("usage", "JIM_AGENT_TRANSPORT must be unix or tcp");
  }
  const path = agentSocketPath(env, os);
  // The agent binds its socket under a temporary name beside `path` first: both must fit.
  const bytes = (p: string) => new TextEncoder().encode(p).length;
  const longest = Math.max(bytes(path), bytes(boundSocketPath(path, 0x7fffffff)));
  if (transport === "unix" && longest > MAX_SOCKET_PATH_BYTES) {
    throw new JimError(
      "usage",
      `the session agent's socket path is too long for a Unix socket (${path.length} characters, at most ${MAX_SOCKET_PATH_BYTES}); set JIM_AGENT_SOCKET or XDG_RUNTIME_DIR to a shorter path`,
    );
  }
  return { kind: transport, path, uid };
}

export function agentSocketPath(
  env: Env,
  os: typeof Deno.build.os = Deno.build.os,
): string {
  const explicit = env.get("JIM_AGENT_SOCKET");
  if (explicit) return os === "windows" ? slashes(explicit) : explicit;
  if (os === "windows") {
    const base = env.get("LOCALAPPDATA") || env.get("TEMP") || ".";
    return `${slashes(base).replace(/\/+$/, "")}/jim/agent.sock`;
  }
  const runtime = env.get("XDG_RUNTIME_DIR");
  if (runtime) return `${runtime.replace(/\/+$/, "")}/jim/agent.sock`;
  // Not a fixed name in the shared temporary directory: another user could create it first and
  // lock this one out for good. Nobody else can create anything in the home directory.
  const home = env.get("HOME");
  if (home) return `${home.replace(/\/+$/, "")}/.cache/jim/agent.sock`;
  throw new JimError(
    "usage",
    "no place for the session agent's socket: set XDG_RUNTIME_DIR, HOME or JIM_AGENT_SOCKET",
  );
}

function slashes(path: string): string {
  return path.replace(/\\/g, "/");
}

/** Where the agent binds its socket before renaming it to `path`: beside it, as short as can be. */
export function boundSocketPath(path: string, pid: number): string {
  return `${parentDir(path)}/.${pid.toString(36)}`;
}

export function parentDir(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Creates the socket directory if missing; refuses one that others could tamper with. */
export async function ensurePrivateDir(dir: string, uid: number | null): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new JimError("agent", `cannot create the session directory ${dir}: ${reason(error)}`);
    }
  }
  checkPrivateDir(dir, uid);
}

// Synchronous: a local lstat answers in microseconds, while an async op costs a trip through the
// event loop on every command's path to the agent.
export function checkPrivateDir(dir: string, uid: number | null): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(dir);
  } catch (error) {
    throw new JimError("agent", `cannot inspect the session directory ${dir}: ${reason(error)}`);
  }
  if (info.isSymlink) {
    throw new JimError("agent", `refusing the session directory ${dir}: it is a symbolic link`);
  }
  if (!info.isDirectory) {
    throw new JimError("agent", `refusing the session directory ${dir}: it is not a directory`);
  }
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw new JimError(
      "agent",
      `refusing the session directory ${dir}: it is owned by uid ${info.uid}, not you (${uid})`,
    );
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, "0");
    throw new JimError(
      "agent",
      `refusing the session directory ${dir}: its mode is ${mode}; it must be 700 (chmod 700 ${dir})`,
    );
  }
}

/** The socket or port file itself: ours, private, and of the kind expected. */
export function checkPrivateEntry(
  path: string,
  info: Deno.FileInfo,
  endpoint: AgentEndpoint,
): void {
  const refuse = (why: string) =>
    new JimError("agent", `refusing the session agent at ${path}: ${why}`);
  if (info.isSymlink) throw refuse("it is a symbolic link");
  if (info.isDirectory) throw refuse("it is a directory");
  if (endpoint.kind === "unix" ? !info.isSocket : !info.isFile) {
    throw refuse(endpoint.kind === "unix" ? "it is not a socket" : "it is not a regular file");
  }
  if (endpoint.uid !== null && info.uid !== null && info.uid !== endpoint.uid) {
    throw refuse(`it is owned by uid ${info.uid}, not you (${endpoint.uid})`);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw refuse(`its mode is ${(info.mode & 0o777).toString(8)}; only you may use it`);
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

export function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}
