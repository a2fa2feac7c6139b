// How commands reach the session: through the agent, or — when JIM_URL and JIM_API_KEY are both
// set — directly, with no agent (stateless mode for CI and scripts, which wins over the agent).

import { JimError } from "../errors.ts";
import type { Deps } from "../deps.ts";
import { parseInstanceUrl, plainHttpWarning } from "../api/instance_url.ts";
import { checkApiKey } from "../api/api_key.ts";
import { lazyImport } from "../lazy_import.ts";
import { httpTimeoutMs } from "../settings.ts";
import { AgentNotRunning } from "./agent_client.ts";
import {
  type ApiCall,
  type ApiResult,
  asApiResult,
  asBatchResult,
  asStatus,
  type BatchResult,
  DISCONNECTED,
  previewApiKey,
  type SessionStatus,
} from "./protocol.ts";

export interface SessionPort {
  readonly mode: "agent" | "stateless";
  status(): Promise<SessionStatus>;
  /** Throws JimError("not_connected") when there is no session. */
  call(call: ApiCall): Promise<ApiResult>;
  /** The calls at once, then the status: one round trip to the agent. */
  batch(calls: ApiCall[]): Promise<Batch>;
}

export interface Batch {
  outcomes: PromiseSettledResult<ApiResult>[];
  status: SessionStatus;
}

const notConnected = () => new JimError("not_connected", "You are not connected to JIM.");

export function statelessCredentials(env: Deps["env"]): { url: string; apiKey: string } | null {
  const url = env.get("JIM_URL");
  const apiKey = env.get("JIM_API_KEY");
  if (!url || !apiKey) return null;
  return { url, apiKey };
}

export function openSession(deps: Deps): SessionPort {
  const stateless = statelessCredentials(deps.env);
  return stateless ? statelessSession(deps, stateless) : agentSession(deps);
}

/** The agent's session status, disconnected when no agent runs (whatever JIM_URL says). */
export async function agentStatus(deps: Deps): Promise<SessionStatus> {
  try {
    return asStatus(await deps.agent.send({ op: "status" }));
  } catch (error) {
    if (error instanceof AgentNotRunning) return { ...DISCONNECTED, agentPid: 0 };
    throw error;
  }
}

function agentSession(deps: Deps): SessionPort {
  return {
    mode: "agent",
    status: () => agentStatus(deps),
    async call(call) {
      try {
        const traced = deps.trace ? { ...call, trace: true } : call;
        return asApiResult(await deps.agent.send({ op: "request", call: traced }, deps.trace));
      } catch (error) {
        if (error instanceof AgentNotRunning) throw notConnected();
        throw error;
      }
    },
    async batch(calls) {
      const traced = deps.trace ? calls.map((call) => ({ ...call, trace: true })) : calls;
      let answer: BatchResult;
      try {
        answer = asBatchResult(await deps.agent.send({ op: "batch", calls: traced }), calls.length);
      } catch (error) {
        if (!(error instanceof AgentNotRunning)) throw error;
        return {
          outcomes: calls.map(() => ({ status: "rejected", reason: notConnected() })),
          status: { ...DISCONNECTED, agentPid: 0 },
        };
      }
      const outcomes = answer.outcomes.map((outcome): PromiseSettledResult<ApiResult> => {
        if (outcome.ok) {
          for (const line of outcome.result.trace ?? []) deps.trace?.(line);
          return { status: "fulfilled", value: outcome.result };
        }
        const { code, message, status } = outcome.error;
        return { status: "rejected", reason: new JimError(code, message, { status }) };
      });
      return { outcomes, status: answer.status };
    },
  };
}

function statelessSession(deps: Deps, creds: { url: string; apiKey: string }): SessionPort {
  const instance = (() => {
    try {
      return parseInstanceUrl(creds.url);
    } catch (error) {
      throw new JimError("usage", `JIM_URL: ${(error as Error).message}`);
    }
  })();
  checkApiKey(creds.apiKey, "environment");
  const warning = plainHttpWarning(instance);
  if (warning) deps.io.err(warning);
  return {
    mode: "stateless",
    status() {
      return Promise.resolve({
        ...DISCONNECTED,
        connected: true,
        url: instance.base,
        key: instance.key,
        authMethod: "ApiKey",
        authorised: true,
        apiKeyPreview: previewApiKey(creds.apiKey),
        agentPid: 0,
      });
    },
    async call(call) {
      const { performCall } = await lazyImport<
        typeof import("../api/perform_call.ts")
      >(import.meta.url, "../api/perform_call.ts");
      return performCall(
        { url: instance.base },
        call.anonymous ? { kind: "none" } : { kind: "apiKey", apiKey: creds.apiKey },
        call,
        { fetch: deps.fetch, timeoutMs: httpTimeoutMs(deps.env) },
      );
    },
    async batch(calls) {
      const outcomes = await Promise.allSettled(calls.map((call) => this.call(call)));
      return { outcomes, status: await this.status() };
    },
  };
}
