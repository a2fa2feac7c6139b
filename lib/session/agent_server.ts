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
import type { AgentEndpoint } from "./socket_path.ts";
import { openAgentListener, secretMatches } from "./agent_transport.ts";
import { AgentClient } from "./agent_client.ts";
import { SessionHolder, type SessionHolderDeps } from "./session_holder.ts";
import { serveStream } from "./agent_stream.ts";

export interface AgentOptions {
  endpoint: AgentEndpoint;
  uid: number | null;
  idleTimeoutMs: number;
  version: string;
  holder: SessionHolderDeps;
  /** Told once the socket is listening (the parent waits for it). */
  onReady(): void;
}

const READ_TIMEOUT_MS = 10_000;

export async function runAgent(options: AgentOptions): Promise<void> {
  const opened = await openAgentListener(options.endpoint, options.uid, answersHello);
  const { listener, secret } = opened;

  const holder = new SessionHolder(options.holder);
  let stopping = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let removed: Promise<void> | null = null;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idleTimer);
    try {
      listener.close();
    } catch { /* already closed */ }
    // Give up the path now, not after in-flight calls finish: a new agent may start meanwhile.
    removed = opened.cleanup();
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
      const job = serve(conn, holder, options.version, secret, stop).finally(() =>
        inFlight.delete(job)
      );
      inFlight.add(job);
    }
  } catch (error) {
    if (!stopping) throw error;
  } finally {
    stop();
    await Promise.allSettled(inFlight);
    holder.clear();
    await (removed ?? opened.cleanup());
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }
}

async function serve(
  conn: Deno.Conn,
  holder: SessionHolder,
  version: string,
  secret: string | null,
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
      if (secret !== null && !secretMatches(request.auth, secret)) {
        throw new JimError("protocol", "bad agent request: not authorised");
      }
    } catch (error) {
      await writeLine(conn, errorResponse(error));
      return;
    }
    if (request.op === "stream") {
      await serveStream(conn, request.call, holder);
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
    case "batch":
      return holder.batch(request.calls);
    case "stream":
      // Answered frame by frame in serveStream, never with one response.
      return Promise.reject(new JimError("protocol", "bad agent request: stream out of place"));
    case "disconnect": {
      const status = holder.status();
      holder.clear();
      return Promise.resolve(status);
    }
    case "shutdown":
      return Promise.resolve({ stopping: true });
  }
}

const STALE_CHECK_MS = 2_000;

/** Whether an agent answers at the endpoint (before a new one replaces what is there). */
async function answersHello(endpoint: AgentEndpoint): Promise<boolean> {
  const client = new AgentClient(endpoint, {
    controlMs: STALE_CHECK_MS,
    callMs: STALE_CHECK_MS,
    batchMs: STALE_CHECK_MS,
  });
  try {
    return await client.hello() !== null;
  } catch (error) {
    // Something answered, but not as this version's agent does. A socket in the private
    // directory is still an agent (of another version); a stale port file's port may by now
    // belong to any program.
    return endpoint.kind === "unix" && error instanceof JimError;
  }
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
