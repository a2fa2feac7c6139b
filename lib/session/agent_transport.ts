// How the CLI and the agent reach each other: a Unix socket (0600, in the private directory),
// or where there are none (Windows) a loopback TCP port whose number and per-start secret sit in
// a 0600 file at the same path. Every request over TCP must carry that secret.

import { JimError } from "../errors.ts";
import {
  type AgentEndpoint,
  checkPrivateDir,
  checkPrivateEntry,
  ensurePrivateDir,
  parentDir,
} from "./socket_path.ts";

export class AgentNotRunning extends Error {}

export interface AgentListener {
  listener: Deno.Listener;
  /** The secret every request must carry (TCP only). */
  secret: string | null;
  /** Removes the socket or the port file, if it is still ours. */
  cleanup(): Promise<void>;
}

interface PortFile {
  port: number;
  secret: string;
  pid: number;
}

export async function openAgentListener(
  endpoint: AgentEndpoint,
  uid: number | null,
  alive: (endpoint: AgentEndpoint) => Promise<boolean>,
): Promise<AgentListener> {
  const { path } = endpoint;
  await ensurePrivateDir(parentDir(path), uid);
  await removeStale(endpoint, alive);
  if (endpoint.kind === "unix") {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (error) {
      throw new JimError("agent", `cannot listen on ${path}: ${(error as Error).message}`);
    }
    await Deno.chmod(path, 0o600);
    const { ino } = await Deno.lstat(path);
    return {
      listener,
      secret: null,
      // A newer agent may already listen at this path: remove only the socket this one made.
      cleanup: async () => {
        const current = await Deno.lstat(path).catch(() => null);
        if (current && current.ino === ino) await Deno.remove(path).catch(() => {});
      },
    };
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const secret = randomHex(32);
  const info: PortFile = { port: (listener.addr as Deno.NetAddr).port, secret, pid: Deno.pid };
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(info), { mode: 0o600 });
  await Deno.rename(temp, path);
  return {
    listener,
    secret,
    cleanup: async () => {
      const current = await readPortFile(path).catch(() => null);
      if (current?.secret === secret) await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * Connects to the agent; throws AgentNotRunning when nothing answers there. Before anything is
 * sent, the directory and the socket (or port file) must be the user's own and private: in a
 * shared /tmp another user could otherwise stand up a fake agent and collect the credentials.
 */
export async function connectAgent(
  endpoint: AgentEndpoint,
): Promise<{ conn: Deno.Conn; auth?: string }> {
  const dir = parentDir(endpoint.path);
  let entry: Deno.FileInfo;
  try {
    entry = Deno.lstatSync(endpoint.path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new AgentNotRunning();
    throw new JimError(
      "agent",
      `cannot inspect the session agent's socket: ${(error as Error).message}`,
    );
  }
  checkPrivateDir(dir, endpoint.uid);
  checkPrivateEntry(endpoint.path, entry, endpoint);
  try {
    if (endpoint.kind === "unix") {
      return { conn: await Deno.connect({ transport: "unix", path: endpoint.path }) };
    }
    const info = await readPortFile(endpoint.path);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: info.port });
    return { conn, auth: info.secret };
  } catch (error) {
    if (
      error instanceof AgentNotRunning || error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.ConnectionRefused || error instanceof Deno.errors.ConnectionReset
    ) {
      throw new AgentNotRunning();
    }
    throw new JimError("agent", `cannot reach the session agent: ${(error as Error).message}`);
  }
}

/** Constant-time comparison, so the secret cannot be guessed a byte at a time. */
export function secretMatches(given: unknown, secret: string): boolean {
  if (typeof given !== "string" || given.length !== secret.length) return false;
  let diff = 0;
  for (let i = 0; i < secret.length; i++) diff |= given.charCodeAt(i) ^ secret.charCodeAt(i);
  return diff === 0;
}

async function readPortFile(path: string): Promise<PortFile> {
  const text = await Deno.readTextFile(path);
  let info: Partial<PortFile>;
  try {
    info = JSON.parse(text);
  } catch {
    throw new AgentNotRunning();
  }
  if (typeof info.port !== "number" || typeof info.secret !== "string") throw new AgentNotRunning();
  return info as PortFile;
}

async function removeStale(
  endpoint: AgentEndpoint,
  alive: (endpoint: AgentEndpoint) => Promise<boolean>,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(endpoint.path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  checkPrivateEntry(endpoint.path, info, endpoint);
  if (await alive(endpoint)) {
    throw new JimError("agent", "another session agent is already running");
  }
  await Deno.remove(endpoint.path).catch(() => {});
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}
