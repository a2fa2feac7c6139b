// `jim test-connection` / Test-JIMConnection: is the session active and healthy? Checks the
// server's health endpoint and the credentials, and reports token expiry.

import { JimError } from "../../errors.ts";
import type { Deps } from "../../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import type { SessionStatus } from "../../session/protocol.ts";
import { formatJson, formatList } from "../format.ts";

export interface TestConnectionOptions {
  quiet: boolean;
  json: boolean;
}

export function parseTestConnection(command: ParsedCommand): TestConnectionOptions {
  return { quiet: command.values.quiet === true, json: command.values.json === true };
}

export interface TestConnectionResult {
  Connected: boolean;
  Url: string | null;
  AuthMethod: "OAuth" | "ApiKey" | null;
  ServerVersion: string | null;
  Status: string;
  Message: string;
  TokenExpiresAt: string | null;
}

const SOON_MS = 5 * 60_000;

export async function runTestConnection(
  options: TestConnectionOptions,
  deps: Deps,
): Promise<number> {
  const result = await testConnection(deps);
  if (options.quiet) deps.io.out(result.Connected ? "true" : "false");
  else deps.io.out(options.json ? formatJson(result) : formatList({ ...result }));
  return result.Connected ? 0 : 1;
}

export async function testConnection(deps: Deps): Promise<TestConnectionResult> {
  const session = await openSession(deps);
  // The three checks and then the status (expiry after any refresh the checks caused) in one
  // round trip to the agent: scripts poll this.
  const { outcomes, status } = await session.batch([
    { method: "GET", path: "/api/v1/health", anonymous: true },
    { method: "GET", path: "/api/v1/health/version", anonymous: true },
    { method: "GET", path: "/api/v1/userinfo" },
  ]);
  const [health, version, userinfo] = outcomes;
  if (!status.connected) {
    return {
      Connected: false,
      Url: null,
      AuthMethod: null,
      ServerVersion: null,
      Status: "Not connected",
      Message: "Use jim connect to establish a connection.",
      TokenExpiresAt: null,
    };
  }
  let serverVersion = status.serverVersion;
  if (version.status === "fulfilled") {
    const body = version.value.body as { version?: unknown } | null;
    if (body && typeof body.version === "string") serverVersion = body.version;
  }
  const result = (connected: boolean, state: string, message: string): TestConnectionResult => ({
    Connected: connected,
    Url: status.url,
    AuthMethod: status.authMethod,
    ServerVersion: serverVersion,
    Status: state,
    Message: message,
    TokenExpiresAt: status.expiresAt,
  });

  const unreachable = health.status === "rejected"
    ? health
    : version.status === "rejected"
    ? version
    : null;
  if (unreachable) {
    return result(
      false,
      "Unreachable",
      `The JIM server did not answer its health check: ${messageOf(unreachable.reason)}`,
    );
  }
  if (userinfo.status === "rejected") {
    const error = userinfo.reason;
    const authFailure = error instanceof JimError &&
      (error.code === "auth_failed" || error.code === "not_connected");
    const reason = status.refreshError ?? messageOf(error);
    return result(
      false,
      authFailure ? "Authentication failed" : "Unhealthy",
      authFailure
        ? `${reason} ${
          session.mode === "stateless"
            ? "Check JIM_API_KEY (jim uses it with JIM_URL)."
            : `Run jim connect ${status.url} to sign in again.`
        }`
        : `The authenticated check failed: ${messageOf(error)}`,
    );
  }
  const stale = status.storeWarning ? ` Warning: ${status.storeWarning}` : "";
  return result(true, "Connected", `${healthyMessage(status, deps.now())}${stale}`);
}

function healthyMessage(status: SessionStatus, now: number): string {
  const what = status.authMethod === "ApiKey" ? "an API key" : "single sign-on";
  const base = `Connected to ${status.url} using ${what}; the server is healthy.`;
  if (!status.expiresAt) return base;
  const left = Date.parse(status.expiresAt) - now;
  if (left <= 0) {
    return `${base} The access token has expired; it will be refreshed on the next request.`;
  }
  if (left < SOON_MS) {
    const minutes = Math.max(1, Math.round(left / 60_000));
    return `${base} The access token expires soon (in about ${minutes} minute${
      minutes === 1 ? "" : "s"
    }); it is refreshed automatically.`;
  }
  return base;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.endsWith(".") ? text : `${text}.`;
}
