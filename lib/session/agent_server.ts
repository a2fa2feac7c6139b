// The session agent: a per-user background process that holds the session in memory and
// performs API requests for later commands, so no secret is written to disk by jim.

import { withDeadline } from "../deadline.ts";
import { JimError } from "../errors.ts";
import { FrameTooLarge, LineReader, writeLine } from "./framing.ts";
import {
  type AgentRequest,
  type ApiCall,
  type DisconnectResult,
  errorResponse,
  MAX_REQUEST_BYTES,
  okResponse,
  PROTOCOL_VERSION,
  type SessionStatus,
} from "./protocol.ts";
import { parseRequest } from "./request_check.ts";
import type { AgentEndpoint } from "./socket_path.ts";
import { openAgentListener } from "./agent_transport.ts";
import { answerHandshake, BUSY_MESSAGE } from "./agent_handshake.ts";
import { AgentClient } from "./agent_client.ts";
import type { SessionHolderDeps } from "./session_holder.ts";
import { SessionSet } from "./session_set.ts";
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
// Over TCP anyone on the machine may connect. Until a connection has proved itself it gets a
// few hundred bytes and this long to do so; past this many at once, more are turned away at the
// door, so no number of strangers can make the agent hold more than a few kilobytes for them.
const HANDSHAKE_TIMEOUT_MS = 3_000;
const MAX_UNAUTHENTICATED = 32;
// How often the agent checks that its socket or port file is still the one it made (gpg-agent
// checks its socket every few seconds too).
const WATCH_INTERVAL_MS = 2_000;
const ACCEPT_RETRY_MS = 100;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runAgent(options: AgentOptions): Promise<void> {
  const opened = await openAgentListener(options.endpoint, options.uid, answersHello);
  const { listener, secret } = opened;

  const holder = new SessionSet(options.holder);
  let stopping = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let removed: Promise<void> | null = null;
  // Gone or replaced (the login ended, or a newer agent took the path): no command can reach
  // this agent any more, so it must not go on holding the session.
  let watching = false;
  const watch = setInterval(async () => {
    if (watching || stopping) return;
    watching = true;
    try {
      if (!(await opened.stillOurs())) {
        holder.clear();
        await stop();
      }
    } finally {
      watching = false;
    }
  }, WATCH_INTERVAL_MS);
  // Resolves once the socket or port file is given up, so `disconnect` can answer after that.
  const stop = (): Promise<void> => {
    if (!stopping) {
      stopping = true;
      clearTimeout(idleTimer);
      clearInterval(watch);
      try {
        listener.close();
      } catch { /* already closed */ }
      // Give up the path now, not after in-flight calls finish: a new agent may start meanwhile.
      removed = opened.cleanup();
    }
    return removed ?? Promise.resolve();
  };
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void stop(), options.idleTimeoutMs);
  };
  const onSignal = () => void stop();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, onSignal);
  }
  touch();
  options.onReady();

  const inFlight = new Set<Promise<void>>();
  const waiting = { count: 0 };
  try {
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) break;
        // Out of file descriptors or memory for a moment (another local user can open many
        // connections): turning one connection away must not end every session. The pause
        // keeps a lasting failure from spinning.
        await pause(ACCEPT_RETRY_MS);
        continue;
      }
      // The idle count restarts only for a request that proved itself and parsed: another local
      // user connecting to the loopback port must not keep the session alive.
      const job = serve(conn, holder, options.version, secret, waiting, stop, touch).finally(() =>
        inFlight.delete(job)
      );
      inFlight.add(job);
    }
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
  holder: SessionSet,
  version: string,
  secret: string | null,
  waiting: { count: number },
  stop: () => Promise<void>,
  touch: () => void,
): Promise<void> {
  const reader = new LineReader(conn);
  try {
    if (secret !== null) {
      // Small frames each way: none may wait for a delayed ACK.
      (conn as Deno.TcpConn).setNoDelay(true);
      if (waiting.count >= MAX_UNAUTHENTICATED) {
        const busy = new JimError("protocol", BUSY_MESSAGE);
        await withDeadline(writeLine(conn, errorResponse(busy)), 100, late).catch(() => {});
        return;
      }
      waiting.count++;
      try {
        await withDeadline(answerHandshake(conn, reader, secret), HANDSHAKE_TIMEOUT_MS, late);
      } catch (error) {
        const refusal = error instanceof JimError ? error : new JimError(
          "protocol",
          error instanceof FrameTooLarge
            ? `bad agent request: ${error.message}`
            : "bad agent request: not received in time",
        );
        await withDeadline(writeLine(conn, errorResponse(refusal)), 100, late).catch(() => {});
        return;
      } finally {
        waiting.count--;
      }
    }
    let line: string | null;
    try {
      line = await withDeadline(reader.readLine(MAX_REQUEST_BYTES), READ_TIMEOUT_MS, late);
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
    touch();
    if (request.op === "stream") {
      // As for every other request: the command's bus is where a rotated token goes next.
      holder.noteBus(request.bus);
      await serveStream(conn, request.call, holder.pick(request.instance));
      return;
    }
    let response;
    try {
      response = okResponse(await handle(request, holder, version));
    } catch (error) {
      response = errorResponse(error);
    }
    // The path is gone before the answer: once the last session's `disconnect` returns, no
    // command finds an agent.
    if ((request.op === "disconnect" && holder.size === 0) || request.op === "shutdown") {
      await stop();
    }
    await writeLine(conn, response).catch(() => {});
  } catch {
    // A client that went away mid-answer must not take the agent down.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

function handle(request: AgentRequest, sessions: SessionSet, version: string): Promise<unknown> {
  sessions.noteBus(request.bus);
  switch (request.op) {
    case "hello":
      return Promise.resolve({ protocol: PROTOCOL_VERSION, version, pid: Deno.pid });
    case "status":
      return Promise.resolve(sessions.status(request.instance));
    case "adopt":
      return Promise.resolve(sessions.adopt(request.session));
    case "select":
      return Promise.resolve(sessions.select(request.instance));
    case "request":
      return call(sessions, request.call, request.instance);
    case "batch":
      return batch(sessions, request.calls, request.instance);
    case "stream":
      // Answered frame by frame in serveStream, never with one response.
      return Promise.reject(new JimError("protocol", "bad agent request: stream out of place"));
    case "refresh":
      return refresh(sessions, request.instance);
    case "disconnect":
      return disconnect(sessions, request.revoke === true, request.instance, request.all === true);
    case "shutdown":
      return Promise.resolve({ stopping: true });
  }
}

/** One call; the command is told which session it used when it named none and had a choice. */
async function call(sessions: SessionSet, apiCall: ApiCall, instance?: string) {
  const holder = sessions.pick(instance);
  const url = holder.status().url;
  const open = sessions.size;
  const result = await holder.call(apiCall);
  return instance !== undefined || open < 2 || url === null
    ? result
    : { ...result, using: { url, open } };
}

async function batch(sessions: SessionSet, calls: ApiCall[], instance?: string) {
  const result = await sessions.pick(instance).batch(calls);
  return { ...result, status: { ...result.status, sessions: sessions.status().sessions } };
}

async function refresh(sessions: SessionSet, instance?: string): Promise<SessionStatus> {
  const status = await sessions.pick(instance).refreshNow();
  return { ...status, sessions: sessions.status().sessions };
}

/**
 * Ends the instance's session (the current one without an instance; every one with `all`); the
 * answer is the ended session as it was, with `sessions` those left.
 */
async function disconnect(
  sessions: SessionSet,
  revoke: boolean,
  instance: string | undefined,
  all: boolean,
): Promise<DisconnectResult> {
  const holder = sessions.pick(instance);
  const status = holder.status();
  const revocation = revoke ? await holder.revoke() : undefined;
  if (all) {
    for (const key of sessions.keys()) {
      if (revoke && key !== status.key) await sessions.pick(key).revoke().catch(() => null);
    }
    sessions.clear();
  } else if (status.key !== null) {
    sessions.end(status.key);
  }
  const left = { ...status, sessions: sessions.status().sessions };
  return revocation === undefined ? left : { ...left, revocation };
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

/** A wait of the agent's that ran out; the caller says what came too late. */
function late(): never {
  throw new Error("timeout");
}
