// Before a session is kept, prove it works: the server answers as JIM (health/version) and the
// credentials pass an authenticated endpoint (userinfo) — health alone is anonymous.

import { JimError } from "../errors.ts";
import type { Deps } from "../deps.ts";
import type { InstanceUrl } from "../api/instance_url.ts";
import { JimApiClient } from "../api/http_client.ts";
import { httpTimeoutMs } from "../settings.ts";
import type { Credentials } from "./session_holder.ts";
import { VERSION } from "../version.ts";

export interface VerifiedServer {
  serverVersion: string | null;
  identity: Record<string, unknown> | null;
  authorised: boolean;
}

export async function verifyServer(
  deps: Deps,
  instance: InstanceUrl,
  credentials: Credentials,
): Promise<VerifiedServer> {
  const client = (creds: Credentials | { kind: "none" }) =>
    new JimApiClient({
      baseUrl: instance.base,
      credentials: creds,
      fetch: deps.fetch,
      timeoutMs: httpTimeoutMs(deps.env),
      userAgent: `jim/${VERSION}`,
    });
  const serverVersion = await readServerVersion(client({ kind: "none" }), instance);
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
  return { serverVersion, identity, authorised };
}

async function readServerVersion(
  client: JimApiClient,
  instance: InstanceUrl,
): Promise<string | null> {
  let body: unknown;
  try {
    body = await client.getJson("/api/v1/health/version");
  } catch (error) {
    if (error instanceof JimError && error.code === "http" && error.status === 404) {
      throw new JimError(
        "failed",
        `${instance.base} does not look like a JIM server (no /api/v1/health/version); check the URL`,
        { cause: error },
      );
    }
    throw error;
  }
  if (typeof body === "object" && body !== null && "version" in body) {
    const version = (body as { version: unknown }).version;
    return typeof version === "string" ? version : null;
  }
  return null;
}
