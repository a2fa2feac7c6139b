// Checks what a caller hands the API client before anything is sent: the base URL, the method
// and the JSON body.

import { usageError } from "../errors.ts";
import { oneLineText } from "../text.ts";

export function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw usageError(
      `the JIM base URL '${oneLineText(String(baseUrl), 80)}' is not a valid URL`,
    );
  }
  if (
    (url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== ""
  ) {
    throw usageError("the JIM base URL must be an http(s) URL without query or fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * The methods jim sends, in the order help and completion list them; `jim api`, the agent's
 * request check, completion and the client all take this set. The PowerShell module's
 * Invoke-JIMApi takes GET, POST, PUT, PATCH and DELETE (its ValidateSet, in
 * src/JIM.PowerShell/Private/Invoke-JIMApi.ps1 of TetronIO/JIM), the methods JIM's endpoints
 * use; HEAD and OPTIONS are added because they only ask (what a path answers, which methods it
 * allows) and change nothing. CONNECT and TRACE are never sent: one opens a tunnel, the other
 * echoes the request, credentials included.
 */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
]);

/** The method in capitals, if jim sends it (any case is taken). */
export function checkMethod(method: string): string {
  const upper = typeof method === "string" ? method.toUpperCase() : "";
  if (!HTTP_METHODS.has(upper)) {
    throw usageError(`'${oneLineText(String(method), 40)}' is not an HTTP method jim sends`);
  }
  return upper;
}

export function encodeBody(method: string, body: unknown): string | undefined {
  if (body === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw usageError(`the request body cannot be encoded as JSON: ${(error as Error).message}`);
  }
  if (text !== undefined && (method === "GET" || method === "HEAD")) {
    throw usageError(`a ${method} request cannot have a body`);
  }
  return text;
}
