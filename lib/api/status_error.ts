// The JimError for an HTTP error status, with the server's own words: JIM's error body carries
// `message` and sometimes `validationErrors` (field -> messages); ASP.NET problem details carry
// `title`/`detail` and, for ValidationProblemDetails, `errors`. Server text is made printable, one
// line, and bounded.

import { oneLineText as printable } from "../text.ts";
import { JimError } from "../errors.ts";
import { redactSecrets } from "./redact.ts";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export interface ErrorResponseInfo {
  readonly status: number;
  readonly statusText: string;
  readonly body: unknown;
  readonly contentType: string | null;
  readonly method: string;
  /** The caller's path (with any query string), as shown to the user. */
  readonly path: string;
}

/** The one-line error for a 4xx/5xx other than 429 and redirects. */
export function statusError(info: ErrorResponseInfo): JimError {
  const { status, method, path } = info;
  const detail = serverErrorDetail(info.body, info.contentType);
  const suffix = detail === "" ? "" : `: ${detail}`;
  let message: string;
  let code: "http" | "auth_failed" = "http";
  if (status === 401) {
    code = "auth_failed";
    message = `authentication failed (401)${
      suffix || ": the server did not accept the credentials"
    }`;
  } else if (status === 403) {
    message = `forbidden (403): authenticated but not authorised for ${method} ${path}${suffix}`;
  } else if (status === 404) {
    message = `not found (404): ${path}${suffix}`;
  } else {
    message = `${statusLabel(status, info.statusText)}${suffix}`;
  }
  return new JimError(code, redactSecrets(message), { status });
}

/** Redirects are never followed: a credential must not travel to wherever a 3xx points. */
export function redirectError(response: Response, url: URL): JimError {
  const location = response.headers.get("location");
  let target = "an unknown location";
  if (location !== null) {
    try {
      target = new URL(location, url).href;
    } catch {
      target = printable(location, 200);
    }
  }
  return new JimError(
    "http",
    redactSecrets(
      `the server redirected to ${target}; jim does not follow redirects with credentials — check the URL`,
    ),
    { status: response.status },
  );
}

/** "503 Service Unavailable", or "HTTP 599" when there is no reason phrase. */
export function statusLabel(status: number, statusText: string): string {
  const reason = printable(statusText, 60) || REASONS[status] || "";
  return reason === "" ? `HTTP ${status}` : `${status} ${reason}`;
}

/** The server's message plus flattened validation errors, or "" when there are none. */
export function serverErrorDetail(body: unknown, contentType: string | null): string {
  if (typeof body === "string") {
    // HTML error pages say nothing useful on one line.
    if (contentType !== null && /html|xml/i.test(contentType)) return "";
    if (/^\s*</.test(body)) return "";
    return printable(body, 300);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "";
  const record = body as Record<string, unknown>;
  const message = firstString(record.message, record.Message, record.detail, record.title) ??
    firstString(record.error_description, record.error) ?? "";
  const validation = flattenValidationErrors(
    record.validationErrors ?? record.ValidationErrors ?? record.errors,
  );
  const text = printable(message, 300);
  if (text === "" || validation === "") return text || validation;
  // ASP.NET's title is a sentence ("One or more validation errors occurred."): the field
  // messages follow it as the next sentence; a bare phrase takes a colon.
  return /[.!?]$/.test(text) ? `${text} ${validation}` : `${text}: ${validation}`;
}

/** { name: ["is required"], age: ["too low", "not a number"] } -> "name: is required; age: too low, not a number" */
export function flattenValidationErrors(errors: unknown): string {
  if (errors === null || typeof errors !== "object" || Array.isArray(errors)) return "";
  const items: string[] = [];
  for (const [field, value] of Object.entries(errors as Record<string, unknown>)) {
    const messages = (Array.isArray(value) ? value : [value])
      .filter((m): m is string | number => typeof m === "string" || typeof m === "number")
      .map((m) => printable(String(m), 200))
      .filter((m) => m !== "");
    const name = printable(field, 80);
    if (messages.length > 0) {
      items.push(name === "" ? messages.join(", ") : `${name}: ${messages.join(", ")}`);
    }
  }
  const text = items.join("; ");
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value.trim() !== "") return value;
  return undefined;
}
