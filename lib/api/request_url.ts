// Builds the URL of an API request from the instance base URL and a caller's path, refusing any
// path that could leave the instance: absolute or protocol-relative URLs, backslashes, dot
// segments, control characters.

import { usageError } from "../errors.ts";
import { echoInput } from "../text.ts";

export type QueryParams = Record<string, string | number | undefined>;

/**
 * `baseUrl` + `path` (which may carry a query string), then `query` applied with
 * URLSearchParams: a name given in `query` replaces the same name in the path's query string;
 * undefined values are skipped.
 */
export function buildRequestUrl(baseUrl: string, path: string, query?: QueryParams): URL {
  checkPath(path);
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const url = new URL(`${base.origin}${prefix}${path}`);
  if (
    url.origin !== base.origin ||
    !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))
  ) {
    throw usageError(`the API path '${echoInput(path)}' leaves the JIM instance's base URL`);
  }
  // Set on a copy and put back once: each url.searchParams.set re-parses the whole URL.
  let params: URLSearchParams | undefined;
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw usageError(`query parameter '${echoInput(name)}' is not a finite number`);
    }
    (params ??= new URLSearchParams(url.search)).set(name, String(value));
  }
  if (params) url.search = params.toString();
  return url;
}

function checkPath(path: string): void {
  if (typeof path !== "string" || path === "") throw usageError("the API path is empty");
  // deno-lint-ignore no-control-regex -- control characters are what this rejects
  if (/[\u0000-\u001f\u007f\s]/.test(path)) {
    throw usageError("the API path contains whitespace or control characters");
  }
  if (!path.startsWith("/")) {
    throw usageError(
      `the API path '${echoInput(path)}' must start with '/' (e.g. /api/v1/health); ` +
        "full URLs are not accepted",
    );
  }
  if (path.startsWith("//") || path.includes("\\")) {
    throw usageError(`the API path '${echoInput(path)}' must not start with '//' or contain '\\'`);
  }
  if (path.includes("#")) throw usageError("the API path must not contain a fragment ('#')");
  const pathPart = path.split("?", 1)[0];
  for (const segment of pathPart.split("/")) {
    const decoded = segment.replace(/%2e/gi, ".");
    if (decoded === "." || decoded === "..") {
      throw usageError(`the API path '${echoInput(path)}' must not contain '.' or '..' segments`);
    }
  }
}
