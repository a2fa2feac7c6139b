// The JIM REST client used by the session agent and by stateless mode for every API request:
// builds the URL under the instance base, adds credentials, times out every attempt, never
// follows redirects, refreshes once on a 401 (OAuth), waits and retries on 429, decodes JSON,
// and turns every failure into a one-line JimError with no secret in it. The fetch it is given
// is the transport (traced_fetch.ts: the CA, and a --verbose line per HTTP step); the client
// traces only what it decides between steps, its retries.

import { startDeadline } from "../deadline.ts";
import { JimError, usageError } from "../errors.ts";
import { networkError } from "./network_error.ts";
import { collectAllPages } from "./paging.ts";
import { redactSecrets } from "./redact.ts";
import { buildRequestUrl, type QueryParams } from "./request_url.ts";
import {
  decodeBody,
  DEFAULT_MAX_BODY_BYTES,
  isJsonContentType,
  readBodyBytes,
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

/** What ended an attempt early, if anything did. */
interface Ended {
  by: "deadline" | "caller" | null;
}

interface Attempt {
  readonly response: ApiResponse;
  readonly contentType: string | null;
  /** The body as it came, before decoding. */
  readonly bytes: Uint8Array;
}

/** One page of a list: its JSON and the bytes it was sent as. */
export interface Page {
  readonly body: unknown;
  readonly bytes: Uint8Array;
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
    const prepared = { method, url, path: req.path, bodyText: encodeBody(method, req.body) };
    return (await this.#send(prepared, options)).response;
  }

  async #send(
    prepared: { method: string; url: URL; path: string; bodyText: string | undefined },
    options: RequestOptions & { signal?: AbortSignal },
  ): Promise<Attempt> {
    const { method, url, bodyText } = prepared;
    let refreshed = false;
    for (let retries429 = 0;;) {
      const attempt = await this.#attempt(method, url, bodyText, options.signal);
      const { response, contentType } = attempt;
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
        if (options.allowErrorStatus) return attempt;
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
      if (status >= 200 && status < 300) return attempt;
      if (options.allowErrorStatus) return attempt;
      throw statusError({
        status,
        statusText: response.statusText,
        body: response.body,
        contentType,
        method,
        path: prepared.path,
      });
    }
  }

  /** GET returning the parsed JSON body; a 2xx that is not JSON is a protocol error. */
  async getJson<T = unknown>(path: string, query?: ApiRequest["query"]): Promise<T> {
    return jsonBody(await this.request({ method: "GET", path, query }), path) as T;
  }

  /**
   * The pages of a GET list endpoint, each parsed and with the bytes it came as (the agent
   * forwards those rather than encoding the page again). The path is checked and the URL built
   * once, not once a page: over a long export that was a tenth of the agent's time. `signal`
   * cancels the page in flight.
   */
  pager(
    path: string,
    query?: QueryParams,
    signal?: AbortSignal,
  ): (page: number, pageSize: number) => Promise<Page> {
    const first = buildRequestUrl(this.#baseUrl, path, { ...query, page: 1, pageSize: 1 });
    const params = new URLSearchParams(first.search);
    const stem = `${first.origin}${first.pathname}?`;
    return async (page, pageSize) => {
      params.set("page", String(page));
      params.set("pageSize", String(pageSize));
      const url = new URL(stem + params.toString());
      const { response, bytes } = await this.#send(
        { method: "GET", url, path, bodyText: undefined },
        { signal },
      );
      return { body: jsonBody(response, path), bytes };
    };
  }

  /** Every item of a list endpoint: a paged envelope {items, totalCount} or a bare array. */
  listAll<T = unknown>(path: string, query?: ApiRequest["query"]): Promise<T[]> {
    return collectAllPages<T>(
      (page, pageSize) => this.getJson(path, { ...query, page, pageSize }),
      `GET ${redactSecrets(path.split("?", 1)[0])}`,
    );
  }

  async #attempt(
    method: string,
    url: URL,
    bodyText: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
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

    if (signal?.aborted) {
      throw new JimError("cancelled", redactSecrets(`request to ${url} was cancelled`));
    }
    // One controller, ended by the deadline or by the caller's signal: AbortSignal.any costs
    // about 11 µs a request and leaves a dependent behind on the caller's signal each time, which
    // over a long export's ten thousand pages adds up. startDeadline, not setTimeout: the first
    // setTimeout in a process loads Deno's Node-compatible timers (see deadline.ts).
    const attempt = new AbortController();
    const ended: Ended = { by: null };
    const end = (by: Ended["by"]) => {
      ended.by ??= by;
      attempt.abort();
    };
    const deadline = startDeadline(this.#timeoutMs, () => end("deadline"));
    const cancel = () => end("caller");
    signal?.addEventListener("abort", cancel);
    try {
      return await this.#exchange(method, url, bodyText, headers, attempt.signal, ended);
    } finally {
      deadline.cancel();
      signal?.removeEventListener("abort", cancel);
    }
  }

  async #exchange(
    method: string,
    url: URL,
    bodyText: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
    ended: Readonly<Ended>,
  ): Promise<Attempt> {
    const describe = `${method} ${url}`;
    let raw: Response;
    try {
      raw = await this.#fetch(url, {
        method,
        headers,
        body: bodyText,
        redirect: "manual",
        signal,
      });
    } catch (error) {
      throw this.#failure(error, url, ended);
    }
    if ((raw.status >= 300 && raw.status < 400) || raw.type === "opaqueredirect") {
      await raw.body?.cancel().catch(() => {});
      throw redirectError(raw, url);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBodyBytes(raw, DEFAULT_MAX_BODY_BYTES, describe);
    } catch (error) {
      if (error instanceof JimError) {
        throw new JimError(error.code, redactSecrets(error.message), { status: raw.status });
      }
      throw this.#failure(error, url, ended);
    }
    const contentType = raw.headers.get("content-type");
    const decoded = decodeBody(new TextDecoder().decode(bytes), contentType);
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
      bytes,
    };
  }

  #failure(error: unknown, url: URL, ended: Readonly<Ended>): JimError {
    if (ended.by === "deadline") {
      return new JimError(
        "network",
        redactSecrets(`request to ${url} timed out after ${seconds(this.#timeoutMs)} s`),
      );
    }
    if (ended.by === "caller") {
      return new JimError("cancelled", redactSecrets(`request to ${url} was cancelled`));
    }
    return networkError(error, url);
  }

  /** A --verbose line for a decision between HTTP steps (the steps are the fetch's to trace). */
  #note(line: string): void {
    this.#trace?.(redactSecrets(line));
  }
}

/** A 2xx body that must be JSON: text under another content type is a protocol error. */
function jsonBody(response: ApiResponse, path: string): unknown {
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
  return response.body;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw usageError(`${name} must be a positive number`);
  return value;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 10) / 100);
}
