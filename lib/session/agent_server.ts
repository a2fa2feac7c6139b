// The session agent: a per-user background process that holds the session in memory and
// performs API requests for later commands, so no secret is written to disk by jim.

import { JimError } from "../errors.ts";
import { FrameTooLarge, readLine, writeLine } from "./framing.ts";
import {
  type AgentRequest,
  errorResponse,
  MAX_REQUEST_BYTES,
  okResponse,
  parseRequest,
  PROTOCOL_VERSION,
} from "./protocol.ts";
import { ensurePrivateDir, parentDir } from "./socket_path.ts";
import { SessionHolder, type SessionHolderDeps } from "./session_holder.ts";

export interface AgentOptions {
  socketPath: string;
  uid: number | null;
  idleTimeoutMs: number;
  version: string;
  holder: SessionHolderDeps;
  /** Told once the socket is listening (the parent waits for it). */
  onReady(): void;
}

const READ_TIMEOUT_MS = 10_000;

export async function runAgent(options: AgentOptions): Promise<void> {
  const { socketPath } = options;
  await ensurePrivateDir(parentDir(socketPath), options.uid);
  await removeStaleSocket(socketPath);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path: socketPath });
  } catch (error) {
    throw new JimError("agent", `cannot listen on ${socketPath}: ${(error as Error).message}`);
  }
  await Deno.chmod(socketPath, 0o600);

  const holder = new SessionHolder(options.holder);
  let stopping = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idleTimer);
    try {
      listener.close();
    } catch { /* already closed */ }
  };
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, options.idleTimeoutMs);
  };
  const onSignal = () => stop();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, onSignal);
  }
  touch();
  options.onReady();

  const inFlight = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      touch();
      const job = serve(conn, holder, options.version, stop).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
  } catch (error) {
    if (!stopping) throw error;
  } finally {
    stop();
    await Promise.allSettled(inFlight);
    holder.clear();
    await removeOwnSocket(socketPath);
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
}

async function serve(
  conn: Deno.Conn,
  holder: SessionHolder,
  version: string,
  stop: () => void,
): Promise<void> {
  try {
    let line: string | null;
    try {
      line = await withTimeout(readLine(conn, MAX_REQUEST_BYTES), READ_TIMEOUT_MS);
    } catch (error) {
      const message = error instanceof FrameTooLarge
        ? `bad agent request: ${error.message}`
        : "bad agent request: not received in time";
      await writeLine(conn, errorResponse(new JimError("protocol", message))).catch(() => {});
      return;
    }
    if (line === null) return;
    let request: AgentRequest;
    try {
      request = parseRequest(line);
    } catch (error) {
      await writeLine(conn, errorResponse(error));
      return;
    }
    let response;
    try {
      response = okResponse(await handle(request, holder, version));
    } catch (error) {
      response = errorResponse(error);
    }
    await writeLine(conn, response).catch(() => {});
    if (request.op === "disconnect" || request.op === "shutdown") stop();
  } catch {
    // A client that went away mid-answer must not take the agent down.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

function handle(request: AgentRequest, holder: SessionHolder, version: string): Promise<unknown> {
  switch (request.op) {
    case "hello":
      return Promise.resolve({ protocol: PROTOCOL_VERSION, version, pid: Deno.pid });
    case "status":
      return Promise.resolve(holder.status());
    case "adopt":
      holder.adopt(request.session);
      return Promise.resolve(holder.status());
    case "request":
      return holder.call(request.call);
    case "disconnect": {
      const status = holder.status();
      holder.clear();
      return Promise.resolve(status);
    }
    case "shutdown":
      return Promise.resolve({ stopping: true });
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isSocket) {
      throw new JimError("agent", `refusing to replace ${path}: it exists and is not a socket`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    throw new JimError("agent", "another session agent is already running");
  } catch (error) {
    if (error instanceof JimError) throw error;
  }
  await Deno.remove(path).catch(() => {});
}

async function removeOwnSocket(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
