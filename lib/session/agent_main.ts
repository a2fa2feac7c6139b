// The agent process's entry (`jim __agent`): reads its settings from the environment, reports
// readiness on stdout as one JSON line, then serves until disconnect or the idle timeout.
// Per-session settings (HTTP timeout, credential store, CA) come with each adopted session.

import { describeError } from "../errors.ts";
import { type CallOptions, performCall, performStream } from "./call_server.ts";
import type { ApiCall, SessionRecord } from "./protocol.ts";
import { tracedFetch } from "../api/traced_fetch.ts";
import { caHttpClient } from "../api/ca_cert.ts";
import { idleTimeoutMs } from "../settings.ts";
import { VERSION } from "../version.ts";
import { runAgent } from "./agent_server.ts";
import { agentEndpoint, currentUid } from "./socket_path.ts";

export async function agentMain(): Promise<number> {
  const env = Deno.env;
  const uid = currentUid();
  const report = (value: unknown) => {
    try {
      Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(value)}\n`));
    } catch { /* the parent stopped listening */ }
  };
  try {
    await runAgent({
      endpoint: agentEndpoint(env, uid),
      uid,
      idleTimeoutMs: idleTimeoutMs(env),
      version: VERSION,
      holder: {
        now: Date.now,
        idleTimeoutMs: idleTimeoutMs(env),
        perform: async (session, credentials, call, shared) => {
          const traced = callTrace(session, call, shared);
          try {
            const result = await performCall(session, credentials, call, traced.options);
            return call.trace ? { ...result, trace: traced.lines } : result;
          } catch (error) {
            throw traced.tag(error);
          }
        },
        stream: async (session, credentials, call, sink) => {
          const traced = callTrace(session, call);
          try {
            const items = await performStream(session, credentials, call, {
              ...traced.options,
              signal: sink.signal,
              // Each page takes the trace lines made for it, so none pile up over a long walk.
              onPage: (items, page) => sink.onPage(items, traced.lines.splice(0), page.bytes),
            });
            return { items, trace: traced.lines };
          } catch (error) {
            throw traced.tag(error);
          }
        },
        refresh: async (session, refreshToken, trace) => {
          const { refreshSession } = await import("../auth/session_refresh.ts");
          return refreshSession(session.oauth?.context, refreshToken, session.url, {
            httpClient: caClient(session.caCertPem),
            timeoutMs: session.httpTimeoutMs,
            trace,
          });
        },
        revoke: async (session, refreshToken) => {
          const { revokeSessionToken } = await import("../auth/revoke.ts");
          return revokeSessionToken(session.oauth?.context, refreshToken, {
            httpClient: caClient(session.caCertPem),
          });
        },
        storeRefreshToken: async (session, refreshToken, bus) => {
          const { storeRefreshToken } = await import("./stored_sign_in.ts");
          await storeRefreshToken(session.key, refreshToken, session.keyring, bus);
        },
        forgetRefreshToken: async (session, bus) => {
          const { forgetRefreshToken } = await import("./stored_sign_in.ts");
          await forgetRefreshToken(session.key, session.keyring, bus);
        },
      },
      onReady: () => {
        report({ ready: true, pid: Deno.pid });
        try {
          Deno.stdout.close();
        } catch { /* already closed */ }
      },
    });
    return 0;
  } catch (error) {
    report({ error: describeError(error) });
    return 1;
  }
}

const caClients = new Map<string, Deno.HttpClient>();

/** One HTTP client per distinct CA, kept for the agent's life. */
function caClient(pem: string | undefined): Deno.HttpClient | undefined {
  if (!pem) return undefined;
  let client = caClients.get(pem);
  if (!client) {
    client = caHttpClient(pem, "the session's CA certificate");
    caClients.set(pem, client);
  }
  return client;
}

/**
 * What one call or stream runs with: the fetch (the session's CA, and a --verbose line per HTTP
 * step when the call asks for a trace), the client's retry lines into the same list, and the
 * list attached to an error so the command still shows it.
 */
function callTrace(
  session: SessionRecord,
  call: ApiCall,
  shared: string[] = [],
): { lines: string[]; options: CallOptions; tag(error: unknown): unknown } {
  const lines = shared;
  const trace = call.trace ? (line: string) => void lines.push(line) : undefined;
  return {
    lines,
    options: {
      timeoutMs: session.httpTimeoutMs,
      fetch: tracedFetch(fetch, { httpClient: caClient(session.caCertPem), trace }),
      trace,
    },
    tag: (error) => {
      if (call.trace && error instanceof Error) Object.assign(error, { trace: lines });
      return error;
    },
  };
}
