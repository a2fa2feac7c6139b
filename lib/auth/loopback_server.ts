// The loopback redirect listener of the browser sign-in (RFC 8252 section 7.3). It binds the
// first free port of 8400-8409 (the redirect URIs existing JIM IdP registrations list), or the
// one port asked for, on 127.0.0.1 and, where the host has IPv6, on ::1 (browsers may resolve
// "localhost" to either). Only a callback carrying the expected state is handed to the flow;
// anything else gets an error page and the wait goes on. The page shown for the real callback
// waits for the flow's verdict, so the browser says "signed in" only once tokens are in hand.
// It also serves one-time start addresses (/start/<id>) that forward the browser to the
// provider, so the authorization URL need not be on a browser's command line (see
// browser_handoff.ts), and takes a callback address pasted on the terminal (submit).

import { JimError, usageError } from "../errors.ts";

export const DEFAULT_REDIRECT_PORTS: readonly number[] = [
  8400,
  8401,
  8402,
  8403,
  8404,
  8405,
  8406,
  8407,
  8408,
  8409,
];

export type RedirectHost = "localhost" | "127.0.0.1";

export interface LoopbackOptions {
  /** The state sent with the authorization request; callbacks without it are turned away. */
  readonly expectedState: string;
  /** Exactly this port (busy is an error); default: the first free of 8400-8409. */
  readonly redirectPort?: number;
  /** Host written in the redirect URI; default "localhost". */
  readonly redirectHost?: RedirectHost;
}

export type CallbackOutcome = { readonly ok: true } | {
  readonly ok: false;
  readonly message: string;
};

export interface CallbackHit {
  /** The query of the callback, state already matched. */
  readonly params: URLSearchParams;
  /** Tells the waiting browser how the sign-in ended. */
  finish(outcome: CallbackOutcome): void;
}

/** What became of an address handed in through submit (pasted on the terminal). */
export type SubmitOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "state_mismatch" | "already_received" };

export interface LoopbackListener {
  readonly redirectUri: string;
  readonly port: number;
  /** Ports of the default range skipped because another program listened there. */
  readonly busyPorts: readonly number[];
  /** Resolves with the first callback that carries the expected state. */
  readonly callback: Promise<CallbackHit>;
  /**
   * A one-time address on this listener that forwards to `target` (the authorization URL);
   * `visited` runs at the first visit. A second visit gets an error page, not the target.
   */
  startUrl(target: string, visited?: () => void): string;
  /** A callback's query that reached jim another way (pasted), under the same checks. */
  submit(params: URLSearchParams): SubmitOutcome;
  /** Stops listening on every address; a browser still waiting gets a final page first. */
  close(): Promise<void>;
}

export const SUCCESS_TEXT = "Signed in to JIM. You can close this window.";

export function startLoopbackListener(options: LoopbackOptions): Promise<LoopbackListener> {
  return Promise.resolve().then(() => listen(options));
}

function listen(options: LoopbackOptions): LoopbackListener {
  const host = options.redirectHost ?? "localhost";
  if (host !== "localhost" && host !== "127.0.0.1") {
    throw usageError("redirect host must be localhost or 127.0.0.1");
  }
  const fixed = options.redirectPort;
  if (fixed !== undefined && !(Number.isInteger(fixed) && fixed >= 1 && fixed <= 65535)) {
    throw usageError("redirect port must be a whole number from 1 to 65535");
  }

  let accepted = false;
  let deliver!: (hit: CallbackHit) => void;
  const callback = new Promise<CallbackHit>((resolve) => deliver = resolve);
  const pendingPages = new Set<(outcome: CallbackOutcome) => void>();

  const starts = new Map<string, { target: string; visited?: () => void; used: boolean }>();

  /** The checks every callback passes, whichever way it reached jim. */
  const check = (params: URLSearchParams): SubmitOutcome => {
    const states = params.getAll("state");
    if (states.length !== 1 || states[0] !== options.expectedState) {
      return { ok: false, reason: "state_mismatch" };
    }
    if (accepted) return { ok: false, reason: "already_received" };
    accepted = true;
    return { ok: true };
  };

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/start/")) return start(url.pathname.slice("/start/".length));
    if (url.pathname !== "/callback/" && url.pathname !== "/callback") {
      return page(404, "Not found", "This address is not part of the jim sign-in.");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return page(405, "Method not allowed", "The sign-in callback accepts GET only.");
    }
    const verdict = check(url.searchParams);
    if (!verdict.ok && verdict.reason === "state_mismatch") {
      return page(
        400,
        "Sign-in response not recognised",
        "This response does not belong to the sign-in jim is waiting for (state mismatch). " +
          "Return to the terminal; the sign-in is still waiting.",
      );
    }
    if (!verdict.ok) {
      return page(409, "Already received", "jim already received this sign-in response.");
    }
    const outcome = await new Promise<CallbackOutcome>((resolve) => {
      pendingPages.add(resolve);
      deliver({
        params: new URLSearchParams(url.searchParams),
        finish: (result) => {
          pendingPages.delete(resolve);
          resolve(result);
        },
      });
    });
    return outcome.ok
      ? page(200, "Signed in", SUCCESS_TEXT)
      : page(400, "Sign-in failed", `${outcome.message}. Return to the terminal for details.`);
  };

  const start = (id: string): Response => {
    const entry = starts.get(id);
    if (!entry) return page(404, "Not found", "This address is not part of the jim sign-in.");
    if (entry.used) {
      return page(
        410,
        "Sign-in link already used",
        "This sign-in link was already opened once. Return to the terminal and use the address " +
          "printed there.",
      );
    }
    entry.used = true;
    entry.visited?.();
    return new Response(null, {
      status: 302,
      headers: { location: entry.target, ...PAGE_HEADERS },
    });
  };

  const busyPorts: number[] = [];
  const servers = bind(fixed, host, handler, busyPorts);
  const port = servers[0].addr.port;
  let closing: Promise<void> | undefined;
  return {
    redirectUri: `http://${host}:${port}/callback/`,
    port,
    busyPorts,
    callback,
    startUrl(target, visited) {
      const id = randomId();
      starts.set(id, { target, visited, used: false });
      return `http://${host}:${port}/start/${id}`;
    },
    submit(params) {
      const verdict = check(params);
      if (verdict.ok) {
        // Nobody waits on a page for a pasted address: the terminal hears the verdict.
        deliver({ params: new URLSearchParams(params), finish: () => {} });
      }
      return verdict;
    },
    close() {
      for (const resolve of [...pendingPages]) {
        resolve({ ok: false, message: "The sign-in was ended by jim" });
      }
      pendingPages.clear();
      return closing ??= Promise.all(servers.map((s) => s.shutdown())).then(() => {});
    },
  };
}

type Handler = (request: Request) => Promise<Response>;

function bind(
  fixed: number | undefined,
  host: RedirectHost,
  handler: Handler,
  busy: number[],
): Deno.HttpServer<Deno.NetAddr>[] {
  const candidates = fixed !== undefined ? [fixed] : DEFAULT_REDIRECT_PORTS;
  for (const port of candidates) {
    const v4 = tryServe("127.0.0.1", port, handler);
    if (v4 === "busy") busy.push(port);
    if (v4 === "busy" || v4 === "unavailable") continue; // "unavailable" is for ::1 only
    if (host === "127.0.0.1") return [v4];
    const v6 = tryServe("::1", port, handler);
    if (v6 === "busy") {
      // Another program holds ::1 on this port: a browser resolving localhost there would
      // deliver the code to it, so this port is not ours.
      v4.shutdown();
      busy.push(port);
      continue;
    }
    return v6 === "unavailable" ? [v4] : [v4, v6];
  }
  if (fixed !== undefined) {
    throw new JimError(
      "failed",
      `redirect port ${fixed} is in use; close the program using it or choose another port`,
    );
  }
  throw new JimError(
    "failed",
    "redirect ports 8400-8409 are all in use; close a program using one or pass --redirect-port",
  );
}

/** Whether the sign-in could not use `port`: held on 127.0.0.1, or on ::1 where there is IPv6. */
export function redirectPortBusy(port: number): boolean {
  for (const hostname of ["127.0.0.1", "::1"]) {
    try {
      Deno.listen({ hostname, port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) return true;
    }
  }
  return false;
}

function tryServe(
  hostname: string,
  port: number,
  handler: Handler,
): Deno.HttpServer<Deno.NetAddr> | "busy" | "unavailable" {
  try {
    return Deno.serve({
      hostname,
      port,
      onListen() {},
      onError: () => page(500, "Error", "jim could not handle this request."),
    }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return "busy";
    if (hostname === "::1") return "unavailable"; // no IPv6 here: 127.0.0.1 alone will do
    throw new JimError(
      "failed",
      `cannot listen on ${hostname}:${port} for the sign-in redirect: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

function page(status: number, title: string, text: string): Response {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - jim</title>
<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:36em;padding:0 1em}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      ...PAGE_HEADERS,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}

// The start redirect carries the state to the provider: no cache keeps it, no referrer leaks it.
const PAGE_HEADERS = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
