// Where the browser sign-in runs: an SSH session without a local display (a jump host) cannot
// show a browser, so jim starts none there and says how to finish from the user's own computer.

import type { Env } from "../env.ts";

export interface RemoteSession {
  /** The account to name in the forwarding command (USER), if known. */
  readonly user?: string;
  /** This host as the user's computer reaches it: its name, else the address SSH used. */
  readonly host: string;
  /** The SSH server's port when it is not 22. */
  readonly sshPort?: number;
}

/**
 * The SSH session jim runs in when it has no local display, else null. Linux and the BSDs have
 * a display only with DISPLAY or WAYLAND_DISPLAY (X11 forwarding sets DISPLAY); on macOS and
 * Windows a program started from SSH opens its window on the console, where the user is not.
 */
export function remoteSessionWithoutDisplay(
  env: Env,
  platform: string,
  hostname: string | undefined,
): RemoteSession | null {
  const connection = env.get("SSH_CONNECTION")?.trim();
  if (!connection && !env.get("SSH_TTY")) return null;
  const hasDisplay = platform !== "darwin" && platform !== "windows" &&
    Boolean(env.get("DISPLAY") || env.get("WAYLAND_DISPLAY"));
  if (hasDisplay) return null;
  // SSH_CONNECTION: "<client address> <client port> <server address> <server port>"
  const [, , serverAddress, serverPort] = connection?.split(/\s+/) ?? [];
  const name = hostname?.trim();
  const host = name && name !== "localhost" ? name : serverAddress || "<this host>";
  const port = Number(serverPort);
  const user = env.get("USER")?.trim();
  return {
    user: user && /^[\w.@-]+$/.test(user) ? user : undefined,
    host: /^[\w.:%-]+$/.test(host) ? host : "<this host>",
    sshPort: Number.isInteger(port) && port > 0 && port !== 22 ? port : undefined,
  };
}

/** The command the user runs on their own computer so the redirect reaches this listener. */
export function forwardingCommand(session: RemoteSession | null, port: number): string {
  const target = session
    ? `${session.user ? `${session.user}@` : ""}${session.host}`
    : "<this host>";
  const sshPort = session?.sshPort ? `-p ${session.sshPort} ` : "";
  return `ssh ${sshPort}-L ${port}:localhost:${port} ${target}`;
}
