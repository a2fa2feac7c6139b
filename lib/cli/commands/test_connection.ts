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
  const session = openSession(deps);
  const before = await session.status();
  if (!before.connected) {
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
  const result = (
    connected: boolean,
    serverVersion: string | null,
    status: string,
    message: string,
    tokenExpiresAt: string | null,
  ): TestConnectionResult => ({
    Connected: connected,
    Url: before.url,
    AuthMethod: before.authMethod,
    ServerVersion: serverVersion,
    Status: status,
    Message: message,
    TokenExpiresAt: tokenExpiresAt,
  });

  // The three checks go to the agent at once: one round trip's wait, not three.
  const [health, version, userinfo] = await Promise.allSettled([
    session.call({ method: "GET", path: "/api/v1/health", anonymous: true }),
    session.call({ method: "GET", path: "/api/v1/health/version", anonymous: true }),
    session.call({ method: "GET", path: "/api/v1/userinfo" }),
  ]);
  let serverVersion = before.serverVersion;
  if (version.status === "fulfilled") {
    const body = version.value.body as { version?: unknown } | null;
    if (body && typeof body.version === "string") serverVersion = body.version;
  }
  const unreachable = health.status === "rejected"
    ? health
    : version.status === "rejected"
    ? version
    : null;
  if (unreachable) {
    return result(
      false,
      serverVersion,
      "Unreachable",
      `The JIM server did not answer its health check: ${messageOf(unreachable.reason)}`,
      before.expiresAt,
    );
  }
  if (userinfo.status === "rejected") {
    const error = userinfo.reason;
    const after = await session.status().catch(() => before);
    const authFailure = error instanceof JimError &&
      (error.code === "auth_failed" || error.code === "not_connected");
    const reason = after.refreshError ?? messageOf(error);
    return result(
      false,
      serverVersion,
      authFailure ? "Authentication failed" : "Unhealthy",
      authFailure
        ? `${reason} Run jim connect ${before.url} to sign in again.`
        : `The authenticated check failed: ${messageOf(error)}`,
      after.expiresAt,
    );
  }

  const after = await session.status().catch(() => before);
  return result(
    true,
    serverVersion,
    "Connected",
    healthyMessage(after, deps.now()),
    after.expiresAt,
  );
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
