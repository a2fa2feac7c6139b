// One mapping from what oauth4webapi and fetch throw to JimError codes and one-line messages.
// oauth4webapi's own messages are fixed texts; anything the IdP wrote is clipped to printable
// ASCII. Secrets (codes, verifiers, tokens) are never part of either.

import { JimError } from "../errors.ts";
import { networkError } from "../api/network_error.ts";
import { errorReason, printable } from "./safe_text.ts";

interface CodedError {
  code?: unknown;
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  cause?: unknown;
  message?: unknown;
}

/** The OAuth error code of an oauth4webapi ResponseBodyError or AuthorizationResponseError. */
export function oauthErrorCode(error: unknown): string | undefined {
  const e = error as CodedError | null;
  if (
    e &&
    (e.code === "OAUTH_RESPONSE_BODY_ERROR" || e.code === "OAUTH_AUTHORIZATION_RESPONSE_ERROR") &&
    typeof e.error === "string"
  ) {
    return e.error;
  }
  return undefined;
}

/** "error: description" as the IdP gave them, made safe for one line. */
export function oauthErrorText(error: unknown): string {
  const e = error as CodedError;
  const code = printable(String(e.error ?? "error"), 80);
  const description = typeof e.error_description === "string" && e.error_description !== ""
    ? `: ${printable(e.error_description)}`
    : "";
  return `${code}${description}`;
}

/**
 * Maps a failure of `action` ("the token refresh", ...) to a JimError. `idp`, the provider's
 * issuer, lets a transport failure be described as for any other request (TLS trust, proxy,
 * refused, unresolved host).
 */
export function toJimError(error: unknown, action: string, idp?: URL): JimError {
  if (error instanceof JimError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as CodedError;
  switch (e.code) {
    case "OAUTH_AUTHORIZATION_RESPONSE_ERROR":
      return new JimError(
        "auth_failed",
        `sign-in was refused by the identity provider: ${oauthErrorText(error)}`,
        { cause: error },
      );
    case "OAUTH_RESPONSE_BODY_ERROR": {
      const status = typeof e.status === "number" ? e.status : undefined;
      // 429 and 5xx say "not now", not "no": the grant may still be good.
      if (status !== undefined && (status >= 500 || status === 429)) {
        return new JimError(
          "http",
          `${action} failed: the identity provider answered HTTP ${status} (${
            oauthErrorText(error)
          })`,
          { cause: error, status },
        );
      }
      return new JimError(
        "auth_failed",
        `${action} was refused by the identity provider: ${oauthErrorText(error)}`,
        { cause: error, status },
      );
    }
    case "OAUTH_WWW_AUTHENTICATE_CHALLENGE":
      return new JimError(
        "auth_failed",
        `${action} was refused by the identity provider (it asked for client authentication)`,
        { cause: error },
      );
    case "OAUTH_RESPONSE_IS_NOT_CONFORM":
      if (e.cause instanceof Response && !e.cause.ok) {
        return new JimError(
          "http",
          `${action} failed: the identity provider answered HTTP ${e.cause.status}`,
          { cause: error, status: e.cause.status },
        );
      }
  }
  if (typeof e.code === "string" && e.code.startsWith("OAUTH_")) {
    return new JimError(
      "protocol",
      `${action} failed: the identity provider's answer is invalid: ${errorReason(error)}`,
      { cause: error },
    );
  }
  if (
    error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")
  ) {
    return new JimError(
      "network",
      `${action} failed: the identity provider did not answer in time`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof TypeError && !(typeof e.code === "string" && e.code.startsWith("ERR_"))) {
    return new JimError(
      "network",
      `${action} failed: could not reach the identity provider: ${
        idp ? networkError(error, idp).message : errorReason(error)
      }`,
      { cause: error },
    );
  }
  return new JimError("failed", `${action} failed: ${errorReason(error)}`, { cause: error });
}
