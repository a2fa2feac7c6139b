// Before a session is kept, prove it works: the server answers as JIM (/api/v1/health) and the
// credentials pass an authenticated endpoint (userinfo) — health alone is anonymous. The
// version endpoint is read but optional: it arrived in server 0.3.0 and a proxy may not forward
// it, and the module's Get-JIMServerVersion.ps1 returns $null then.

import { JimError } from "../errors.ts";
import type { SessionDeps } from "./session_deps.ts";
import type { InstanceUrl } from "../api/instance_url.ts";
import { type Credentials, JimApiClient } from "../api/http_client.ts";
import { httpTimeoutMs } from "../settings.ts";
import { VERSION } from "../version.ts";

export interface VerifiedServer {
  /** The `status` of /api/v1/health ("healthy"): the Status Connect-JIM reports. */
  healthStatus: string;
  serverVersion: string | null;
  identity: Record<string, unknown> | null;
  authorised: boolean;
}

export async function verifyServer(
  deps: SessionDeps,
  instance: InstanceUrl,
  credentials: Credentials,
): Promise<VerifiedServer> {
  const client = (creds: Credentials | { kind: "none" }) =>
    new JimApiClient({
      baseUrl: instance.base,
      credentials: creds,
      fetch: deps.fetch,
      timeoutMs: httpTimeoutMs(deps.env),
      trace: deps.trace,
      userAgent: `jim/${VERSION}`,
    });
  const anonymous = client({ kind: "none" });
  const healthStatus = await readHealthStatus(anonymous, instance);
  const serverVersion = await readServerVersion(anonymous);
  let identity: Record<string, unknown>;
  try {
    identity = await client(credentials).getJson<Record<string, unknown>>("/api/v1/userinfo");
  } catch (error) {
    if (error instanceof JimError && error.code === "auth_failed") {
      const what = credentials.kind === "apiKey" ? "the API key" : "the sign-in";
      throw new JimError("auth_failed", `${instance.base} rejected ${what}: ${error.message}`, {
        status: error.status,
        cause: error,
      });
    }
    throw error;
  }
  if (typeof identity !== "object" || identity === null || Array.isArray(identity)) {
    throw new JimError(
      "protocol",
      `${instance.base} answered userinfo with something that is not an object`,
    );
  }
  const authorised = credentials.kind === "apiKey" ? true : identity.authorised === true;
  return { healthStatus, serverVersion, identity, authorised };
}

/** JIM's health answer is `{status, timestamp}` (Controllers/Api/HealthController.cs). */
async function readHealthStatus(client: JimApiClient, instance: InstanceUrl): Promise<string> {
  const notJim = (cause?: unknown) =>
    new JimError(
      "failed",
      `${instance.base} does not look like a JIM server (no JIM answer at /api/v1/health); check the URL`,
      { cause },
    );
  let body: unknown;
  try {
    body = await client.getJson("/api/v1/health");
  } catch (error) {
    if (error instanceof JimError && error.code === "http" && error.status === 404) {
      throw notJim(error);
    }
    if (error instanceof JimError && error.code === "protocol") throw notJim(error);
    throw error;
  }
  const status = typeof body === "object" && body !== null
    ? (body as { status?: unknown }).status
    : undefined;
  if (typeof status !== "string" || status === "") throw notJim();
  return status;
}

async function readServerVersion(client: JimApiClient): Promise<string | null> {
  try {
    const body = await client.getJson("/api/v1/health/version");
    const version = typeof body === "object" && body !== null
      ? (body as { version?: unknown }).version
      : undefined;
    return typeof version === "string" ? version : null;
  } catch {
    // 404 from an older server or a proxy, or any other failure: the version is unknown.
    return null;
  }
}
