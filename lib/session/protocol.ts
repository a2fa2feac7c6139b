// The agent's wire protocol: one newline-terminated JSON request and one JSON response per
// connection, except `stream`, answered with one frame per page and an end (or error) frame.
// Every request is validated here before the agent acts on it.

import { type ErrorCode, JimError } from "../errors.ts";
import type { Revocation } from "../auth/revoke.ts";

// 2: the batch operation. 3: the loopback transport's challenge–response (agent_handshake.ts)
// in place of the secret in each request. 4: one session per instance (`instance` on the
// requests that use a session, `select`, `disconnect` ending one session or `all`, and `sessions`
// in every status), where one `adopt` used to replace the only session. 5: a `stream` page frame
// carries the server's page as it came (`body`) instead of its items encoded again.
export const PROTOCOL_VERSION = 5;
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface OAuthSession {
  /** Serialisable OIDC client context (discovery metadata, client id, scopes). */
  context: unknown;
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  issuedAt: number;
  persist: boolean;
}

/** Everything the agent holds for a session; secrets only ever live here, in memory. */
export interface SessionRecord {
  url: string;
  key: string;
  authMethod: "ApiKey" | "OAuth";
  apiKey?: string;
  oauth?: OAuthSession;
  serverVersion: string | null;
  authorised: boolean;
  identity: Record<string, unknown> | null;
  caCertPem?: string;
  /** The connecting command's settings: the agent outlives it and must not use its own. */
  httpTimeoutMs: number;
  /**
   * Where rotated refresh tokens go: JIM_KEYRING and JIM_KEYRING_TIMEOUT as connect saw them,
   * and connect's D-Bus session address (see bus_address.ts).
   */
  keyring?: { backend: string; timeout?: string; bus?: string };
}

export interface ApiCall {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Return 4xx/5xx responses as results instead of errors (for `jim api`). */
  allowErrorStatus?: boolean;
  /** --verbose: return the agent's HTTP trace lines with the answer. */
  trace?: boolean;
  /** Send no credentials (health checks), so a dead token cannot hide a live server. */
  anonymous?: boolean;
}

export type AgentRequest =
  // bus: the command's DBUS_SESSION_BUS_ADDRESS, for writing rotated tokens back (optional).
  // instance: the session's instance key (instance_url.ts); without it, the current session.
  & { v: number; bus?: string }
  & (
    | { op: "hello" }
    | { op: "status"; instance?: string }
    | { op: "adopt"; session: SessionRecord }
    /** Makes the instance's session the current one (a connect that reused it). */
    | { op: "select"; instance: string }
    | { op: "request"; call: ApiCall; instance?: string }
    | { op: "batch"; calls: ApiCall[]; instance?: string }
    | { op: "stream"; call: ApiCall; instance?: string }
    | { op: "refresh"; instance?: string }
    /**
     * Ends one session (or every one, with `all`); the agent exits once none is left. revoke:
     * first revoke the refresh token at the identity provider (RFC 7009).
     */
    | { op: "disconnect"; revoke?: boolean; instance?: string; all?: boolean }
    | { op: "shutdown" }
  );

/** One open session in a status's list: which instance, never a secret. */
export interface SessionSummary {
  url: string;
  key: string;
  authMethod: "ApiKey" | "OAuth";
  /** The one commands use when they name no instance. */
  current: boolean;
}

/** What `status` reports: the session without any secret in it. */
export interface SessionStatus {
  connected: boolean;
  url: string | null;
  key: string | null;
  authMethod: "ApiKey" | "OAuth" | null;
  serverVersion: string | null;
  authorised: boolean;
  expiresAt: string | null;
  apiKeyPreview: string | null;
  persisted: boolean;
  /** Set when the last refresh failed: the session needs a new sign-in. */
  refreshError: string | null;
  /** Set when a rotated refresh token could not be written to the credential store. */
  storeWarning?: string | null;
  identity: Record<string, unknown> | null;
  agentPid: number;
  /** Seconds without a request before the agent exits (each request restarts the count). */
  idleTimeoutSeconds?: number;
  /** Every session the agent holds, the most recently connected last. */
  sessions?: SessionSummary[];
}

/** The `disconnect` answer: the session as it was, and what revocation did (when asked). */
export type DisconnectResult = SessionStatus & { revocation?: Revocation | null };

/** What `status` says when there is no session. */
export const DISCONNECTED: Omit<SessionStatus, "agentPid"> = {
  connected: false,
  url: null,
  key: null,
  authMethod: null,
  serverVersion: null,
  authorised: false,
  expiresAt: null,
  apiKeyPreview: null,
  persisted: false,
  refreshError: null,
  storeWarning: null,
  identity: null,
};

/** One call's outcome in a batch: its result, or the error it would have thrown. */
export type BatchOutcome =
  | { ok: true; result: ApiResult }
  | { ok: false; error: { code: ErrorCode; message: string; status?: number } };

/** A batch's answer: every call's outcome, then the session's status once they are done. */
export interface BatchResult {
  outcomes: BatchOutcome[];
  status: SessionStatus;
}

export interface ApiResult {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: unknown;
  trace?: string[];
  /** A notice for the command's stderr (a rotated token that could not be stored). */
  warning?: string;
  /** Set when the request named no instance while several sessions are open: the one used. */
  using?: { url: string; open: number };
}

export type AgentResponse =
  | { v: number; ok: true; result: unknown }
  | {
    v: number;
    ok: false;
    error: { code: ErrorCode; message: string; status?: number; trace?: string[] };
  };

export function parseResponse(line: string): AgentResponse {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JimError("agent", "the session agent sent a malformed response");
  }
  if (!isObject(value) || typeof value.ok !== "boolean") {
    throw new JimError("agent", "the session agent sent a malformed response");
  }
  if (!value.ok) {
    const error = value.error;
    if (!isObject(error) || typeof error.message !== "string" || typeof error.code !== "string") {
      throw new JimError("agent", "the session agent sent a malformed error");
    }
  }
  return value as unknown as AgentResponse;
}

export function errorResponse(error: unknown): AgentResponse {
  if (error instanceof JimError) {
    return {
      v: PROTOCOL_VERSION,
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        status: error.status,
        trace: (error as { trace?: string[] }).trace,
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    v: PROTOCOL_VERSION,
    ok: false,
    error: { code: "agent", message: `the session agent failed: ${message.split("\n")[0]}` },
  };
}

export function okResponse(result: unknown): AgentResponse {
  return { v: PROTOCOL_VERSION, ok: true, result };
}

/**
 * A `stream` answer, frame by frame: zero or more pages, then an end frame or an error response
 * (`ok: false`, as for any request). A frame may carry the --verbose trace lines since the last.
 */
export type StreamFrame =
  | { v: number; ok: true; page: unknown[]; trace?: string[] }
  | { v: number; ok: true; end: { items: number }; trace?: string[] };

export function pageFrame(items: unknown[], trace?: string[]): StreamFrame {
  return { v: PROTOCOL_VERSION, ok: true, page: items, ...(trace?.length ? { trace } : {}) };
}

/**
 * A page frame around the page exactly as the server sent it (`body`: the list envelope, or the
 * bare array): re-encoding each page was a fifth of the agent's time on a long export. The agent
 * parsed these bytes as JSON already, so a newline in them can only be whitespace between tokens
 * (JSON strings hold none raw), and a space keeps the frame on one line; a byte-order mark, which
 * the agent's decoder dropped, is dropped here too.
 */
export function pageFrameBytes(body: Uint8Array, trace?: string[]): Uint8Array {
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const head = new TextEncoder().encode(
    `{"v":${PROTOCOL_VERSION},"ok":true,${
      trace?.length ? `"trace":${JSON.stringify(trace)},` : ""
    }"body":`,
  );
  const frame = new Uint8Array(head.length + body.length - start + 2);
  frame.set(head);
  frame.set(start === 0 ? body : body.subarray(start), head.length);
  frame.set(CLOSE_LINE, frame.length - 2);
  for (let at = frame.indexOf(10, head.length); at >= 0 && at < frame.length - 1;) {
    frame[at] = 32;
    at = frame.indexOf(10, at + 1);
  }
  return frame;
}

const CLOSE_LINE = new Uint8Array([125, 10]); // "}\n"

export function endFrame(items: number, trace?: string[]): StreamFrame {
  return { v: PROTOCOL_VERSION, ok: true, end: { items }, ...(trace?.length ? { trace } : {}) };
}

/** One frame of a `stream` answer, checked; an error frame comes back as `ok: false`. */
export function parseStreamFrame(
  line: string,
): StreamFrame | Extract<AgentResponse, { ok: false }> {
  const response = parseResponse(line) as Record<string, unknown>;
  if (response.ok === false) return response as Extract<AgentResponse, { ok: false }>;
  if (response.trace !== undefined && !Array.isArray(response.trace)) throw malformed("stream");
  if (Array.isArray(response.page)) return response as unknown as StreamFrame;
  if ("body" in response) {
    const body = response.body;
    const page = Array.isArray(body) ? body : isObject(body) ? body.items : undefined;
    if (!Array.isArray(page)) throw malformed("stream");
    return { v: response.v as number, ok: true, page, trace: response.trace as string[] };
  }
  const end = response.end;
  if (isObject(end) && typeof end.items === "number") return response as unknown as StreamFrame;
  throw malformed("stream");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(what: string): JimError {
  return new JimError("agent", `the session agent sent a malformed ${what}`);
}

/** A `status` (or `adopt`/`disconnect`) answer, checked before anything reads it. */
export function asStatus(value: unknown): SessionStatus {
  if (!isObject(value) || typeof value.connected !== "boolean") throw malformed("status");
  if (value.connected && (typeof value.url !== "string" || typeof value.key !== "string")) {
    throw malformed("status");
  }
  return value as unknown as SessionStatus;
}

export function asApiResult(value: unknown): ApiResult {
  if (!isObject(value) || typeof value.status !== "number" || !isObject(value.headers ?? {})) {
    throw malformed("API result");
  }
  return value as unknown as ApiResult;
}

export function asBatchResult(value: unknown, calls: number): BatchResult {
  if (!isObject(value) || !Array.isArray(value.outcomes) || value.outcomes.length !== calls) {
    throw malformed("batch result");
  }
  for (const outcome of value.outcomes) {
    if (!isObject(outcome)) throw malformed("batch result");
    if (outcome.ok === true) asApiResult(outcome.result);
    else if (!isObject(outcome.error) || typeof outcome.error.message !== "string") {
      throw malformed("batch result");
    }
  }
  asStatus(value.status);
  return value as unknown as BatchResult;
}
