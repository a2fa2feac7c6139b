// The JIM REST client used by the session agent and by stateless mode for every API request:
// builds the URL under the instance base, adds credentials, times out every attempt, never
// follows redirects, refreshes once on a 401 (OAuth), waits and retries on 429, decodes JSON,
// and turns every failure into a one-line JimError with no secret in it. The fetch it is given
// is the transport (traced_fetch.ts: the CA, and a --verbose line per HTTP step); the client
// traces only what it decides between steps, its retries.

import { JimError, usageError } from "../errors.ts";
import { networkError } from "./network_error.ts";
import { collectAllPages } from "./paging.ts";
import { redactSecrets } from "./redact.ts";
import { buildRequestUrl, type QueryParams } from "./request_url.ts";
import {
  decodeBody,
  DEFAULT_MAX_BODY_BYTES,
  isJsonContentType,
  readBodyText,
} from "./response_body.ts";
import { MAX_RETRY_DELAY_MS, planRateLimitRetry } from "./retry_after.ts";
import { checkBaseUrl, checkMethod, encodeBody } from "./request_input.ts";
import { redirectError, serverErrorDetail, statusError } from "./status_error.ts";
import { oneLineText } from "../text.ts";

export { redactSecrets } from "./redact.ts";

export type Credentials =
  | { kind: "apiKey"; apiKey: string }
  | {
    kind: "bearer";
    token(): Promise<string>;
    /** Called once after a 401; true if a new token is now available. */
    refreshAfterUnauthorized(): Promise<boolean>;
  }
  | { kind: "none" };

export interface HttpOptions {
  /** From parseInstanceUrl(...).base: no trailing slash, may have a path prefix. */
  baseUrl: string;
  credentials: Credentials;
  /** Default globalThis.fetch; jim's own carries the CA and traces each step (traced_fetch.ts). */
  fetch?: typeof fetch;
  /** Per attempt, covering the body too; the caller reads JIM_HTTP_TIMEOUT. Default 30000. */
  timeoutMs?: number;
  /** The wait before a 429 retry. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds, for Retry-After HTTP dates. Default Date.now. */
  now?: () => number;
  /** --verbose: a line for each retry (401, 429), secrets redacted. */
  trace?: (line: string) => void;
  /** User-Agent header, e.g. "jim/1.2.3". Default "jim". */
  userAgent?: string;
}

export interface ApiRequest {
  method: string;
  /** Starts with "/", relative to the base URL; may include a query string. */
  path: string;
  query?: QueryParams;
  /** JSON-encoded and sent with Content-Type: application/json. */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON, or text if not JSON, or null if empty. */
  body: unknown;
}

export interface RequestOptions {
  /** Return 4xx/5xx responses instead of throwing (401 refresh and 429 retries still apply). */
  allowErrorStatus?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_RETRIES_429 = 5;

interface Attempt {
  readonly response: ApiResponse;
  readonly contentType: string | null;
}

export class JimApiClient {
  readonly #baseUrl: string;
  readonly #credentials: Credentials;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #trace?: (line: string) => void;
  readonly #userAgent: string;

  constructor(options: HttpOptions) {
    this.#baseUrl = checkBaseUrl(options.baseUrl);
    this.#credentials = options.credentials;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, "timeoutMs");
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#trace = options.trace;
    this.#userAgent = options.userAgent ?? "jim";
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** Performs the request with all rules; returns 2xx responses; throws JimError otherwise. */
  async request(req: ApiRequest, options: RequestOptions = {}): Promise<ApiResponse> {
    const method = checkMethod(req.method);
    const url = buildRequestUrl(this.#baseUrl, req.path, req.query);
    const bodyText = encodeBody(method, req.body);
    let refreshed = false;
    for (let retries429 = 0;;) {
      const { response, contentType } = await this.#attempt(method, url, bodyText);
      const { status } = response;
      if (status === 401 && this.#credentials.kind === "bearer" && !refreshed) {
        refreshed = true;
        if (await this.#credentials.refreshAfterUnauthorized()) {
          this.#note(`${method} ${url} -> 401: retrying once with a refreshed access token`);
          continue;
        }
        this.#note(`${method} ${url} -> 401: no new access token, so no retry`);
      }
      if (status === 429) {
        const plan = planRateLimitRetry(response.headers["retry-after"], retries429, this.#now());
        const askedTooMuch = (plan.requestedMs ?? 0) > MAX_RETRY_DELAY_MS;
        if (retries429 < MAX_RETRIES_429 && !askedTooMuch) {
          retries429++;
          const asked = plan.requestedMs === undefined ? "" : " (Retry-After)";
          this.#note(
            `${method} ${url} -> 429: waiting ${
              seconds(plan.delayMs)
            } s${asked}, then retry ${retries429} of ${MAX_RETRIES_429}`,
          );
          await this.#sleep(plan.delayMs);
          continue;
        }
        if (options.allowErrorStatus) return response;
        const detail = serverErrorDetail(response.body, contentType);
        const why = askedTooMuch
          ? `the server asks to wait ${seconds(plan.requestedMs!)} s; try again later`
          : `gave up after ${retries429} ${retries429 === 1 ? "retry" : "retries"}`;
        throw new JimError(
          "http",
          redactSecrets(`rate limited (429): ${why}${detail === "" ? "" : `: ${detail}`}`),
          { status },
        );
      }
      if (status >= 200 && status < 300) return response;
      if (options.allowErrorStatus) return response;
      throw statusError({
        status,
        statusText: response.statusText,
        body: response.body,
        contentType,
        method,
        path: req.path,
      });
    }
  }

  /** GET returning the parsed JSON body; a 2xx that is not JSON is a protocol error. */
  async getJson<T = unknown>(path: string, query?: ApiRequest["query"]): Promise<T> {
    const response = await this.request({ method: "GET", path, query });
    const contentType = response.headers["content-type"] ?? null;
    if (
      response.body !== null && typeof response.body === "string" && !isJsonContentType(contentType)
    ) {
      throw new JimError(
        "protocol",
        redactSecrets(
          `expected JSON from GET ${path} but got ${contentType ?? "no content type"}` +
            " (is the URL a JIM server?)",
        ),
      );
    }
    return response.body as T;
  }

  /** Every item of a list endpoint: a paged envelope {items, totalCount} or a bare array. */
  listAll<T = unknown>(path: string, query?: ApiRequest["query"]): Promise<T[]> {
    return collectAllPages<T>(
      (page, pageSize) => this.getJson(path, { ...query, page, pageSize }),
      `GET ${redactSecrets(path.split("?", 1)[0])}`,
    );
  }

  async #attempt(method: string, url: URL, bodyText: string | undefined): Promise<Attempt> {
    // A plain record with lower-case names: fetch builds its own Headers from it, and a Headers
    // made here would only be copied.
    const headers: Record<string, string> = {
      "accept": "application/json",
      "user-agent": this.#userAgent,
    };
    if (bodyText !== undefined) headers["content-type"] = "application/json";
    const credentials = this.#credentials;
    if (credentials.kind === "apiKey") headers["x-api-key"] = credentials.apiKey;
    if (credentials.kind === "bearer") {
      headers["authorization"] = `Bearer ${await credentials.token()}`;
    }

    // AbortSignal.timeout rather than setTimeout: the first setTimeout in a process loads
    // Deno's Node-compatible timers, about 4 ms of every short-lived command's start-up.
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const describe = `${method} ${url}`;
    let raw: Response;
    try {
      raw = await this.#fetch(url, {
        method,
        headers,
        body: bodyText,
        redirect: "manual",
        signal: timeout,
      });
    } catch (error) {
      throw this.#failure(error, url, timeout);
    }
    if ((raw.status >= 300 && raw.status < 400) || raw.type === "opaqueredirect") {
      await raw.body?.cancel().catch(() => {});
      throw redirectError(raw, url);
    }
    let text: string;
    try {
      text = await readBodyText(raw, DEFAULT_MAX_BODY_BYTES, describe);
    } catch (error) {
      if (error instanceof JimError) {
        throw new JimError(error.code, redactSecrets(error.message), { status: raw.status });
      }
      throw this.#failure(error, url, timeout);
    }
    const contentType = raw.headers.get("content-type");
    const decoded = decodeBody(text, contentType);
    if (decoded.kind === "malformed" && raw.status >= 200 && raw.status < 300) {
      throw new JimError(
        "protocol",
        redactSecrets(
          `the server sent malformed JSON for ${describe}: ${oneLineText(decoded.reason)}`,
        ),
        { status: raw.status },
      );
    }
    const responseHeaders: Record<string, string> = {};
    raw.headers.forEach((value, name) => responseHeaders[name.toLowerCase()] = value);
    return {
      response: {
        status: raw.status,
        statusText: raw.statusText,
        headers: responseHeaders,
        body: decoded.value,
      },
      contentType,
    };
  }

  #failure(error: unknown, url: URL, timeout: AbortSignal): JimError {
    if (timeout.aborted) {
      return new JimError(
        "network",
        redactSecrets(`request to ${url} timed out after ${seconds(this.#timeoutMs)} s`),
      );
    }
    return networkError(error, url);
  }

  /** A --verbose line for a decision between HTTP steps (the steps are the fetch's to trace). */
  #note(line: string): void {
    this.#trace?.(redactSecrets(line));
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw usageError(`${name} must be a positive number`);
  return value;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 10) / 100);
}
