// The agent's check of every request before it acts on it: the wire format is in protocol.ts;
// this part only the agent needs, so commands do not load it.

import { JimError } from "../errors.ts";
import { type AgentRequest, PROTOCOL_VERSION } from "./protocol.ts";
import { HTTP_METHODS } from "../api/request_input.ts";
import { isBusAddress } from "./bus_address.ts";

const OPS = new Set([
  "hello",
  "status",
  "adopt",
  "select",
  "request",
  "batch",
  "stream",
  "refresh",
  "disconnect",
  "shutdown",
]);
export const MAX_BATCH_CALLS = 16;

/** An instance key is an origin (scheme://host:port): far shorter than this. */
const MAX_INSTANCE_LENGTH = 2048;

export function parseRequest(line: string): AgentRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad("the request is not valid JSON");
  }
  if (!isObject(value)) throw bad("the request must be a JSON object");
  if (value.v !== PROTOCOL_VERSION) {
    throw bad(
      `unsupported protocol version ${
        JSON.stringify(value.v)
      }; this agent speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (typeof value.op !== "string" || !OPS.has(value.op)) throw bad("unknown operation");
  if (value.bus !== undefined && !isBusAddress(value.bus)) {
    throw bad("bus must be a unix:path= or unix:abstract= D-Bus address");
  }
  if (value.op === "adopt") checkSession(value.session);
  if (value.op === "select" && typeof value.instance !== "string") {
    throw bad("select needs an instance");
  }
  if (
    value.instance !== undefined &&
    (typeof value.instance !== "string" || value.instance.length > MAX_INSTANCE_LENGTH)
  ) {
    throw bad(`instance must be a string of at most ${MAX_INSTANCE_LENGTH} characters`);
  }
  if (value.op === "disconnect") {
    for (const flag of ["revoke", "all"]) {
      if (value[flag] !== undefined && typeof value[flag] !== "boolean") {
        throw bad(`disconnect ${flag} must be a boolean`);
      }
    }
  }
  if (value.op === "request") checkCall(value.call);
  if (value.op === "stream") {
    checkCall(value.call);
    if ((value.call as Record<string, unknown>).method !== "GET") {
      throw bad("stream pages through a GET list endpoint only");
    }
  }
  if (value.op === "batch") {
    if (!Array.isArray(value.calls) || value.calls.length === 0) {
      throw bad("batch needs a non-empty list of calls");
    }
    if (value.calls.length > MAX_BATCH_CALLS) {
      throw bad(`batch takes at most ${MAX_BATCH_CALLS} calls`);
    }
    value.calls.forEach(checkCall);
  }
  return value as unknown as AgentRequest;
}

function checkSession(session: unknown): void {
  if (!isObject(session)) throw bad("adopt needs a session object");
  if (typeof session.url !== "string" || typeof session.key !== "string") {
    throw bad("session url and key must be strings");
  }
  if (session.authMethod === "ApiKey") {
    if (typeof session.apiKey !== "string" || session.apiKey === "") {
      throw bad("an ApiKey session needs its key");
    }
  } else if (session.authMethod === "OAuth") {
    const oauth = session.oauth;
    if (
      !isObject(oauth) || typeof oauth.accessToken !== "string" ||
      typeof oauth.expiresAt !== "number" || typeof oauth.issuedAt !== "number" ||
      (oauth.refreshToken !== undefined && typeof oauth.refreshToken !== "string")
    ) {
      throw bad("an OAuth session needs its tokens and expiry");
    }
  } else {
    throw bad("session authMethod must be ApiKey or OAuth");
  }
  if (typeof session.authorised !== "boolean") throw bad("session authorised must be a boolean");
  if (typeof session.httpTimeoutMs !== "number" || !(session.httpTimeoutMs > 0)) {
    throw bad("session httpTimeoutMs must be a positive number");
  }
  const keyring = session.keyring;
  if (
    keyring !== undefined &&
    (!isObject(keyring) || typeof keyring.backend !== "string" ||
      (keyring.timeout !== undefined && typeof keyring.timeout !== "string") ||
      (keyring.bus !== undefined && !isBusAddress(keyring.bus)))
  ) {
    throw bad("session keyring must name a backend");
  }
}

function checkCall(call: unknown): void {
  if (!isObject(call)) throw bad("request needs a call object");
  if (typeof call.method !== "string" || !HTTP_METHODS.has(call.method)) {
    throw bad("call method must be an HTTP method");
  }
  if (typeof call.path !== "string" || !call.path.startsWith("/")) {
    throw bad("call path must start with /");
  }
  if (call.query !== undefined) {
    if (!isObject(call.query) || !Object.values(call.query).every((v) => typeof v === "string")) {
      throw bad("call query must map names to strings");
    }
  }
  // Collecting every page into one answer had no bound; `stream` hands them over one by one.
  if (call.paginate !== undefined) throw bad("paging is the stream operation's, not a call's");
  for (const flag of ["allowErrorStatus", "trace", "anonymous"]) {
    if (call[flag] !== undefined && typeof call[flag] !== "boolean") {
      throw bad(`call ${flag} must be a boolean`);
    }
  }
}

function bad(message: string): JimError {
  return new JimError("protocol", `bad agent request: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
