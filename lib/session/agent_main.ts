// The agent process's entry (`jim __agent`): reads its settings from the environment, reports
// readiness on stdout as one JSON line, then serves until disconnect or the idle timeout.

import { describeError } from "../errors.ts";
import { httpTimeoutMs, performCall } from "../api/perform_call.ts";
import { tracedFetch } from "../api/traced_fetch.ts";
import { VERSION } from "../version.ts";
import { runAgent } from "./agent_server.ts";
import { agentEndpoint, currentUid } from "./socket_path.ts";

const DEFAULT_IDLE_SECONDS = 8 * 3600;

export async function agentMain(): Promise<number> {
  const env = Deno.env;
  const uid = currentUid();
  const timeoutMs = httpTimeoutMs(env);
  const report = (value: unknown) => {
    try {
      Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(value)}\n`));
    } catch { /* the parent stopped listening */ }
  };
  try {
    await runAgent({
      endpoint: agentEndpoint(env, uid),
      uid,
      idleTimeoutMs: idleTimeoutSeconds(env.get("JIM_AGENT_IDLE_TIMEOUT")) * 1000,
      version: VERSION,
      holder: {
        now: Date.now,
        perform: async (session, credentials, call) => {
          const trace: string[] = [];
          const fetchFn = tracedFetch(fetch, {
            httpClient: caClient(session.caCertPem),
            trace: call.trace ? (line) => trace.push(line) : undefined,
          });
          try {
            const result = await performCall(session, credentials, call, {
              timeoutMs,
              fetch: fetchFn,
            });
            return call.trace ? { ...result, trace } : result;
          } catch (error) {
            if (call.trace && error instanceof Error) Object.assign(error, { trace });
            throw error;
          }
        },
        refresh: async (session, refreshToken) => {
          const { refreshSession } = await import("../auth/session_refresh.ts");
          return refreshSession(
            session.oauth?.context,
            refreshToken,
            session.url,
            caClient(session.caCertPem),
          );
        },
        storeRefreshToken: async (key, refreshToken) => {
          const { storeRefreshToken } = await import("./stored_sign_in.ts");
          await storeRefreshToken(key, refreshToken);
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

export function idleTimeoutSeconds(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_IDLE_SECONDS;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_IDLE_SECONDS;
}

const caClients = new Map<string, Deno.HttpClient>();

function caClient(pem: string | undefined): Deno.HttpClient | undefined {
  if (!pem) return undefined;
  let client = caClients.get(pem);
  if (!client) {
    client = Deno.createHttpClient({ caCerts: [pem] });
    caClients.set(pem, client);
  }
  return client;
}
