// The JIM server's anonymous SSO settings (GET {base}/api/v1/auth/config): which identity
// provider signs administrators in, with which public client and scopes. Sending the request and
// checking the answer are separate so the checker can be tested with hand-made Responses.

import { JimError } from "../errors.ts";
import { networkError } from "../api/network_error.ts";
import { readBodyText } from "../api/response_body.ts";
import { redirectError } from "../api/status_error.ts";
import { printable } from "./safe_text.ts";

export interface AuthConfig {
  /** The OpenID provider's issuer URL; discovery lives under it. */
  readonly authority: string;
  /** The server's public (native) client id. */
  readonly clientId: string;
  /** Scopes to request, as the server lists them (normally including offline_access). */
  readonly scopes: readonly string[];
  readonly responseType: "code";
  readonly usePkce: true;
  readonly codeChallengeMethod: "S256";
}

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export const AUTH_CONFIG_PATH = "/api/v1/auth/config";
const DEFAULT_TIMEOUT_MS = 30_000;
// The settings are a few hundred bytes; anything near this is not a JIM server.
const MAX_BODY_BYTES = 64 * 1024;

const SSO_NOT_CONFIGURED_MESSAGE =
  "SSO is not configured on this JIM server; connect with an API key instead: " +
  "jim connect <url> --api-key-stdin";

/** Fetches and checks the SSO settings of the JIM server at `baseUrl` (no trailing slash). */
export async function fetchAuthConfig(
  baseUrl: string,
  fetchFn: FetchFn,
  options: { timeoutMs?: number } = {},
): Promise<AuthConfig> {
  const response = await requestAuthConfig(baseUrl, fetchFn, options);
  return await checkAuthConfigResponse(response);
}

/**
 * Sends the anonymous request under the REST client's rules: no redirects followed, transport
 * failures described as for any other call (with the --ca-cert hint for an untrusted
 * certificate).
 */
async function requestAuthConfig(
  baseUrl: string,
  fetchFn: FetchFn,
  options: { timeoutMs?: number } = {},
): Promise<Response> {
  const url = `${baseUrl.replace(/\/+$/, "")}${AUTH_CONFIG_PATH}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetchFn(url, {
      method: "GET",
      headers: { accept: "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new JimError(
        "network",
        `the JIM server at ${baseUrl} did not answer within ${
          Math.round(timeoutMs / 1000)
        } seconds`,
        { cause: error },
      );
    }
    throw networkError(error, new URL(url));
  }
  if ((response.status >= 300 && response.status < 400) || response.type === "opaqueredirect") {
    await response.body?.cancel().catch(() => {});
    throw redirectError(response, new URL(url));
  }
  return response;
}

/** Checks an auth/config response: 200 with the expected shape, or 503 sso_not_configured. */
export async function checkAuthConfigResponse(response: Response): Promise<AuthConfig> {
  const text = await readBodyText(response, MAX_BODY_BYTES, `GET ${AUTH_CONFIG_PATH}`);
  let body: unknown = undefined;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 503 && isRecord(body) && body.error === "sso_not_configured") {
    throw new JimError("sso_not_configured", SSO_NOT_CONFIGURED_MESSAGE, { status: 503 });
  }
  if (response.status !== 200) {
    const detail = isRecord(body) && typeof body.message === "string"
      ? `: ${printable(body.message)}`
      : "";
    throw new JimError(
      "http",
      `the JIM server answered HTTP ${response.status} for ${AUTH_CONFIG_PATH}${detail}`,
      { status: response.status },
    );
  }
  if (body === undefined) throw malformed("the body is not JSON");
  return validateAuthConfig(body);
}

/** Validates the parsed JSON body of a 200 answer. */
export function validateAuthConfig(body: unknown): AuthConfig {
  if (!isRecord(body)) throw malformed("expected a JSON object");
  const { authority, clientId, scopes, responseType, usePkce, codeChallengeMethod } = body;
  if (typeof authority !== "string" || !isHttpUrl(authority)) {
    throw malformed("authority must be an http(s) URL");
  }
  if (
    typeof clientId !== "string" || !/^[\x21-\x7e]+$/.test(clientId)
  ) {
    throw malformed("clientId must be a non-empty string");
  }
  if (
    !Array.isArray(scopes) || scopes.length === 0 ||
    !scopes.every((s) => typeof s === "string" && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
  ) {
    throw malformed("scopes must be a non-empty list of scope names");
  }
  if (responseType !== "code") throw malformed('responseType must be "code"');
  if (usePkce !== true) throw malformed("usePkce must be true");
  if (codeChallengeMethod !== "S256") throw malformed('codeChallengeMethod must be "S256"');
  return {
    authority,
    clientId,
    scopes: [...new Set(scopes as string[])],
    responseType,
    usePkce,
    codeChallengeMethod,
  };
}

function malformed(detail: string): JimError {
  return new JimError("protocol", `the JIM server's SSO settings are malformed: ${detail}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "" &&
      url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}
