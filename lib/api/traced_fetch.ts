// The fetch every jim request goes through: a custom CA client when one is configured, and a
// --verbose trace line per HTTP step (method, URL, status, milliseconds) with secrets masked.

import { redactSecrets } from "./redact.ts";

export interface FetchSetup {
  /** Carries a custom CA (from --ca-cert or JIM_CA_CERT). */
  httpClient?: Deno.HttpClient;
  trace?: (line: string) => void;
}

export function tracedFetch(base: typeof fetch, setup: FetchSetup): typeof fetch {
  const { httpClient, trace } = setup;
  if (!httpClient && !trace) return base;
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const withClient = httpClient ? { ...init, client: httpClient } : init;
    if (!trace) return base(input, withClient);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET"))
      .toUpperCase();
    const url = input instanceof Request ? input.url : String(input);
    const started = performance.now();
    const elapsed = () => `${Math.round(performance.now() - started)} ms`;
    try {
      const response = await base(input, withClient);
      trace(redactSecrets(`${method} ${url} -> ${response.status} (${elapsed()})`));
      return response;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      trace(redactSecrets(`${method} ${url} -> failed: ${reason.split("\n")[0]} (${elapsed()})`));
      throw error;
    }
  };
}
