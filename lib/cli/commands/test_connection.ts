// `jim test-connection` / Test-JIMConnection: is the session active and healthy? Checks the
// server's health endpoint and the credentials, and reports token expiry.

import { JimError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import type { ParsedCommand } from "../parse.ts";
import { openSession } from "../../session/session_port.ts";
import type { SessionStatus } from "../../session/protocol.ts";
import { formatJson, formatList } from "../format.ts";

export interface TestConnectionOptions {
  quiet: boolean;
  json: boolean;
}

export function parse(command: ParsedCommand): TestConnectionOptions {
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

// The module's values, copied from src/JIM.PowerShell/Public/Connection/Test-JIMConnection.ps1
// so a script ported from PowerShell compares the same strings. jim's own advice goes to stderr.
const NOT_CONNECTED = {
  Status: "Not connected",
  Message: "Use Connect-JIM to establish a connection.",
};
/** `$health.status ?? 'Healthy'`. */
const HEALTHY_FALLBACK = "Healthy";
const SUCCESS = "Connection successful";
const SUCCESS_SOON = "Connection successful (token expires soon)";
const SUCCESS_EXPIRED = "Connection successful (token expired, will refresh on next request)";
/** A failed check: Status 'Error', Message the exception's message. */
const ERROR_STATUS = "Error";
const SOON_MS = 5 * 60_000;

export async function run(
  options: TestConnectionOptions,
  deps: Deps,
): Promise<number> {
  const { result, advice } = await testConnection(deps);
  if (options.quiet) deps.io.out(result.Connected ? "true" : "false");
  else {
    deps.io.out(options.json ? formatJson(result) : formatList({ ...result }));
    if (advice) deps.io.err(advice);
  }
  return result.Connected ? 0 : 1;
}

export async function testConnection(
  deps: Deps,
): Promise<{ result: TestConnectionResult; advice?: string }> {
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
      result: {
        Connected: false,
        Url: null,
        AuthMethod: null,
        ServerVersion: null,
        ...NOT_CONNECTED,
        TokenExpiresAt: null,
      },
      advice: "Run jim connect <your JIM URL> to sign in.",
    };
  }
  // The version endpoint is optional (server 0.3.0 and later, and only where proxies forward
  // it): its failure leaves the version the session has, never fails the test.
  let serverVersion = status.serverVersion;
  if (version.status === "fulfilled") {
    const body = version.value.body as { version?: unknown } | null;
    if (body && typeof body.version === "string") serverVersion = body.version;
  }
  const failed = (error: unknown, advice?: string) => ({
    result: {
      Connected: false,
      Url: status.url,
      AuthMethod: status.authMethod,
      ServerVersion: serverVersion,
      Status: ERROR_STATUS,
      Message: messageOf(error),
      TokenExpiresAt: null,
    },
    advice,
  });

  if (health.status === "rejected") {
    return failed(health.reason, "The JIM server did not answer its health check.");
  }
  if (userinfo.status === "rejected") {
    const error = userinfo.reason;
    const authFailure = error instanceof JimError &&
      (error.code === "auth_failed" || error.code === "not_connected");
    if (!authFailure) return failed(error, "The authenticated check failed.");
    return failed(
      status.refreshError ?? messageOf(error),
      session.mode === "stateless"
        ? "Check JIM_API_KEY (jim uses it with JIM_URL)."
        : `Run jim connect ${status.url} to sign in again.`,
    );
  }
  const healthBody = health.value.body as { status?: unknown } | null;
  return {
    result: {
      Connected: true,
      Url: status.url,
      AuthMethod: status.authMethod,
      ServerVersion: serverVersion,
      Status: healthBody && typeof healthBody.status === "string"
        ? healthBody.status
        : HEALTHY_FALLBACK,
      Message: successMessage(status, deps.now()),
      TokenExpiresAt: status.expiresAt,
    },
    // The Message stays the module's string; a stored sign-in gone stale is said beside it.
    advice: status.storeWarning ? `Warning: ${status.storeWarning}` : undefined,
  };
}

function successMessage(status: SessionStatus, now: number): string {
  if (status.authMethod !== "OAuth" || !status.expiresAt) return SUCCESS;
  const left = Date.parse(status.expiresAt) - now;
  if (left <= 0) return SUCCESS_EXPIRED;
  if (left < SOON_MS) return SUCCESS_SOON;
  return SUCCESS;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
