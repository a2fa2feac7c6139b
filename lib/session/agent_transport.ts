// How the CLI and the agent reach each other: a Unix socket (0600, in the private directory),
// or where there are none (Windows) a loopback TCP port whose number and per-start secret sit in
// a 0600 file at the same path. Over TCP both sides prove they hold that secret before anything
// else is said (agent_handshake.ts). The agent lives only as long as its socket or port file is
// still the one it made: logind removes /run/user/UID at the last logout, and a newer agent may
// have taken the path.

import { JimError } from "../errors.ts";
import type { HandshakeOutcome } from "./agent_handshake.ts";

const BUSY_ATTEMPTS = 5;
const BUSY_PAUSE_MS = 200;
import {
  type AgentEndpoint,
  boundSocketPath,
  checkPrivateDir,
  checkPrivateEntry,
  ensurePrivateDir,
  parentDir,
} from "./socket_path.ts";

export class AgentNotRunning extends Error {}

export interface AgentListener {
  listener: Deno.Listener;
  /** The secret each connection's handshake proves (TCP only). */
  secret: string | null;
  /** Whether the socket or port file at the path is still the one this agent made. */
  stillOurs(): Promise<boolean>;
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
    // Bound under a name of its own, then renamed into place: Deno unlinks the bound path when
    // the listener closes, which must not take away a socket a newer agent has put at `path`.
    // (The short name keeps within the socket path limit that agentEndpoint checked.)
    const bound = boundSocketPath(path, Deno.pid);
    let listener: Deno.Listener;
    try {
      await Deno.remove(bound).catch(() => {});
      listener = Deno.listen({ transport: "unix", path: bound });
      await Deno.chmod(bound, 0o600);
      await Deno.rename(bound, path);
    } catch (error) {
      throw new JimError("agent", `cannot listen on ${path}: ${(error as Error).message}`);
    }
    const { ino, dev } = await Deno.lstat(path);
    const stillOurs = async () => {
      const current = await Deno.lstat(path).catch(() => null);
      return current !== null && current.isSocket !== false && current.ino === ino &&
        current.dev === dev;
    };
    return {
      listener,
      secret: null,
      stillOurs,
      // A newer agent may already listen at this path: remove only the socket this one made.
      cleanup: async () => {
        if (await stillOurs()) await Deno.remove(path).catch(() => {});
      },
    };
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const secret = randomHex(32);
  const info: PortFile = { port: (listener.addr as Deno.NetAddr).port, secret, pid: Deno.pid };
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(info), { mode: 0o600 });
  await Deno.rename(temp, path);
  const stillOurs = async () => (await readPortFile(path).catch(() => null))?.secret === secret;
  return {
    listener,
    secret,
    stillOurs,
    cleanup: async () => {
      if (await stillOurs()) await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * Connects to the agent and, over TCP, completes the handshake: the connection returned is
 * ready for a request. Throws AgentNotRunning when nothing answers there, or (TCP) when what
 * answers cannot prove it holds the port file's secret: the port of an agent that died may by
 * now belong to another user. Before anything is sent, the directory and the socket (or port
 * file) must be the user's own and private: in a shared /tmp another user could otherwise stand
 * up a fake agent and collect the credentials. `handshakeMs` bounds the wait for the agent's proof.
 */
export async function connectAgent(
  endpoint: AgentEndpoint,
  handshakeMs: number,
): Promise<Deno.Conn> {
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
    // The socket's own permissions admit only this user (checked above): no handshake there.
    if (endpoint.kind === "unix") {
      return await Deno.connect({ transport: "unix", path: endpoint.path });
    }
    const info = await readPortFile(endpoint.path);
    // Loaded for the loopback transport only: a Unix-socket command never compiles it.
    const { proveAgent } = await import("./agent_handshake.ts");
    // A flood of unproven connections (another local user) fills the agent's waiting slots: wait
    // a little and try again, and past that say so, rather than take the agent for gone.
    for (let attempt = 1;; attempt++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: info.port });
      // The proof and the request go in two small writes: with Nagle's algorithm the second
      // would wait for the agent's delayed ACK (40 ms on Linux).
      conn.setNoDelay(true);
      let outcome: HandshakeOutcome = "unproved";
      try {
        outcome = await proveAgent(conn, info.secret, handshakeMs);
      } finally {
        if (outcome !== "proved") {
          try {
            conn.close();
          } catch { /* closed at the deadline */ }
        }
      }
      if (outcome === "proved") return conn;
      if (outcome === "unproved") throw new AgentNotRunning();
      if (attempt >= BUSY_ATTEMPTS) {
        throw new JimError(
          "agent",
          "the session agent is busy: too many connections are waiting to prove themselves " +
            "(another local user may be flooding its port); try again shortly",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_PAUSE_MS));
    }
  } catch (error) {
    if (error instanceof JimError) throw error;
    if (
      error instanceof AgentNotRunning || error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.ConnectionRefused ||
      error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe
    ) {
      throw new AgentNotRunning();
    }
    throw new JimError("agent", `cannot reach the session agent: ${(error as Error).message}`);
  }
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
