// Talks to the session agent over its socket: one request, one response, bounded in time (or,
// for `stream`, one frame per page, each bounded in time). A missing socket or a dead agent means
// "not connected"; a hung one is given up on after a bound that depends on the operation.

import { JimError } from "../errors.ts";
import { type Deadline, startDeadline } from "../deadline.ts";
import type { PageSink } from "../api/paging.ts";
import { encodeLine, LineReader, readLine, writeBytes } from "./framing.ts";
import { AgentNotRunning, connectAgent } from "./agent_transport.ts";
import type { AgentEndpoint } from "./socket_path.ts";
import {
  type AgentRequest,
  type ApiCall,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
  parseResponse,
  parseStreamFrame,
  PROTOCOL_VERSION,
} from "./protocol.ts";

type RequestBody = AgentRequest extends infer R ? R extends unknown ? Omit<R, "v"> : never
  : never;

export { AgentNotRunning };

/** How long each kind of request may wait for the agent's answer. */
export interface AgentTimeouts {
  controlMs: number;
  callMs: number;
  batchMs: number;
}

const TIMEOUTS: AgentTimeouts = {
  controlMs: 15_000,
  // An API call may wait out rate limiting (up to 5 Retry-After waits of 60 s) and timeouts.
  callMs: 10 * 60_000,
  // A batch is health checks: a script polling test-connection must not wait minutes on a hung
  // agent.
  batchMs: 2 * 60_000,
};

// A live agent answers the loopback handshake at once; a listener that accepts and stays silent
// (another program on a dead agent's port) counts as no agent once this has passed.
const HANDSHAKE_WAIT_MS = 5_000;

export class AgentClient {
  readonly endpoint: AgentEndpoint;
  readonly #timeouts: AgentTimeouts;

  constructor(endpoint: AgentEndpoint, timeouts: AgentTimeouts = TIMEOUTS) {
    this.endpoint = endpoint;
    this.#timeouts = timeouts;
  }

  /** Where the agent's socket (or port file) lives; its directory is the private one. */
  get socketPath(): string {
    return this.endpoint.path;
  }

  /** Sends one request; throws AgentNotRunning when no agent answers. */
  async send(
    request: RequestBody,
    onTrace?: (line: string) => void,
    protocol = PROTOCOL_VERSION,
  ): Promise<unknown> {
    const conn = await connectAgent(
      this.endpoint,
      Math.min(this.#timeouts.controlMs, HANDSHAKE_WAIT_MS),
    );
    // A refresh waits on the identity provider and on writing the rotated token back.
    const limit = request.op === "request" || request.op === "refresh"
      ? this.#timeouts.callMs
      : request.op === "batch"
      ? this.#timeouts.batchMs
      : this.#timeouts.controlMs;
    // A hung agent must not hang the command: past the deadline the connection is closed, and
    // the pending read fails.
    const deadline = startDeadline(limit, () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
    try {
      await writeBytes(conn, requestBytes(request, protocol));
      const line = await readLine(conn, MAX_RESPONSE_BYTES);
      if (line === null) {
        // Hung up before a word: whatever listens there is not (or no longer) an agent serving
        // this user, as when a stale Windows port file names a port another program now holds.
        throw new AgentNotRunning();
      }
      const response = parseResponse(line);
      const trace = response.ok
        ? (response.result as { trace?: unknown } | null)?.trace
        : response.error.trace;
      if (onTrace && Array.isArray(trace)) {
        for (const entry of trace) if (typeof entry === "string") onTrace(entry);
      }
      if (!response.ok) {
        throw new JimError(response.error.code, response.error.message, {
          status: response.error.status,
        });
      }
      return response.result;
    } catch (error) {
      throw agentFailure(error);
    } finally {
      deadline.cancel();
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }

  /**
   * Asks an agent of an older jim, which refuses this protocol's requests, to stop: every
   * version's agent obeys a `shutdown` in its own protocol.
   */
  async shutdownOlder(protocol: number): Promise<void> {
    await this.send({ op: "shutdown" }, undefined, protocol);
  }

  /**
   * Pages through a GET list endpoint through the agent: each page goes to `onPage` as it
   * arrives, and the next frame is read only once `onPage` has settled, so a slow reader holds
   * the agent back instead of filling memory. `onPage` returning false hangs up, which stops the
   * agent fetching. Resolves with the number of items handed over.
   */
  async stream(
    call: ApiCall,
    onPage: PageSink,
    onTrace?: (line: string) => void,
    instance?: string,
    bus?: string,
  ): Promise<number> {
    const conn = await connectAgent(
      this.endpoint,
      Math.min(this.#timeouts.controlMs, HANDSHAKE_WAIT_MS),
    );
    // Each frame may take as long as one call (rate-limit waits included); the whole stream may
    // take longer, and the reader's time with a page does not count. One deadline, moved on
    // when it fires, rather than one set and cancelled per frame: a long export has ten
    // thousand frames.
    const callMs = this.#timeouts.callMs;
    let waitingSince = performance.now();
    let reading = true;
    const watch = (ms: number): Deadline =>
      startDeadline(ms, () => {
        const waited = performance.now() - waitingSince;
        if (reading && waited >= callMs) closeQuietly(conn);
        else deadline = watch(reading ? callMs - waited : callMs);
      });
    let deadline = watch(callMs);
    const trace = (lines: unknown) => {
      if (onTrace && Array.isArray(lines)) {
        for (const entry of lines) if (typeof entry === "string") onTrace(entry);
      }
    };
    let count = 0;
    let answered = false;
    // An error of the reader's own (its output failing) is its own, not the agent's.
    let inSink = false;
    try {
      await writeBytes(
        conn,
        requestBytes({
          op: "stream",
          call,
          ...(instance ? { instance } : {}),
          ...(bus ? { bus } : {}),
        }),
      );
      const reader = new LineReader(conn);
      for (;; answered = true) {
        const line = await reader.readLine(MAX_RESPONSE_BYTES);
        if (line === null) throw new AgentNotRunning();
        reading = false;
        const frame = parseStreamFrame(line);
        trace(frame.ok ? frame.trace : frame.error.trace);
        if (!frame.ok) {
          throw new JimError(frame.error.code, frame.error.message, { status: frame.error.status });
        }
        if ("end" in frame) return count;
        count += frame.page.length;
        inSink = true;
        if (await onPage(frame.page) === false) return count;
        inSink = false;
        waitingSince = performance.now();
        reading = true;
      }
    } catch (error) {
      if (inSink) throw error;
      const failure = agentFailure(error);
      // Some items are out already: an agent gone now is a broken answer, not "not connected".
      if (failure instanceof AgentNotRunning && answered) {
        throw new JimError("agent", "the session agent stopped in the middle of the answer");
      }
      throw failure;
    } finally {
      deadline.cancel();
      closeQuietly(conn);
    }
  }

  /** The agent's hello, or null when none is running. */
  async hello(): Promise<{ protocol: number; version: string; pid: number } | null> {
    try {
      return await this.send({ op: "hello" }) as { protocol: number; version: string; pid: number };
    } catch (error) {
      if (error instanceof AgentNotRunning) return null;
      throw error;
    }
  }
}

/** The request line, refused here when the agent would refuse it for its size. */
function requestBytes(request: RequestBody, protocol = PROTOCOL_VERSION): Uint8Array {
  // Encoded once: the bytes checked against the agent's limit are the bytes sent.
  const message = encodeLine({ v: protocol, ...request });
  if (message.length - 1 > MAX_REQUEST_BYTES) {
    throw new JimError(
      "usage",
      `the request is too large for the session agent (${
        message.length - 1
      } bytes; at most ${MAX_REQUEST_BYTES})`,
    );
  }
  return message;
}

function agentFailure(error: unknown): Error {
  if (error instanceof JimError || error instanceof AgentNotRunning) return error;
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return new JimError("agent", "the session agent did not answer in time");
  }
  if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
    return new AgentNotRunning();
  }
  return new JimError("agent", `session agent failure: ${(error as Error).message}`);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
